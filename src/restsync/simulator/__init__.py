"""Serve any restsync plan as a local, deterministic mock HTTP API.

    from restsync.simulator import SimulatorOptions, serve_in_thread

    with serve_in_thread(plan, SimulatorOptions(seed=1, faults="429/retry=0:0.1")) as sim:
        ...  # point a client at sim.base_url, sending sim.credential

Every resource of the plan is served at its path, paged the way its paginator reads pages, behind
the auth the plan configures; records are a pure function of (seed, resource, index). Faults,
latency and counters make it a test bed for retries, rate limits and concurrency.

Modules: ``_values`` (field values by type and name), ``_data`` (record shapes and records),
``_store`` (records per resource and parent), ``_paging`` (one pager per paginator type),
``_placement`` (where records sit in a body), ``_stop_rule`` (fields that end paging), ``_auth``,
``_faults``, ``_endpoints`` (one served resource, request -> response as values), ``_compile``
(plan -> tables and endpoints), ``_counters``, ``_server`` (aiohttp glue and lifecycle).
"""

from restsync import _public
from restsync.simulator._faults import parse_faults
from restsync.simulator._options import SimulatorError, SimulatorOptions
from restsync.simulator._server import Simulator, serve_in_thread

__all__ = ["Simulator", "SimulatorError", "SimulatorOptions", "parse_faults", "serve_in_thread"]

_public.present_as_public(globals())
