"""The ``restsync`` command line: run, check, plan, simulate, demo, connectors.

Every expected failure (a bad config, a missing secret, a failed resource, a refused load) ends
with a few plain lines and a documented exit code (docs/report.md#exit-codes), never a traceback
unless ``--verbose`` asks for one.
"""

from restsync.cli import _inspect, _run, _simulate  # noqa: F401  (each registers its commands)
from restsync.cli._app import app, main

__all__ = ["app", "main"]
