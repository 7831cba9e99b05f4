"""dlt's classes for ``isinstance`` checks, without importing dlt to get them.

A config holds a dlt object (a paginator or auth instance, ``dlt.sources.incremental``, a
``DltResource``) only if the user built one, and then the module that defines its class is already
imported. Before that no value can be an instance of the class, so there is nothing to import:
checking and planning a plain config stays free of dlt, which costs about a second of start-up.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["is_dlt_instance", "loaded_dlt_class"]

# where dlt defines the classes a config may hold (tests/unit/test_dlt_hint_types.py pins them)
INCREMENTAL = ("dlt.extract.incremental", "Incremental")
AUTH_BASE = ("dlt.sources.helpers.rest_client.auth", "AuthConfigBase")
PAGINATOR_BASE = ("dlt.sources.helpers.rest_client.paginators", "BasePaginator")
RESOURCE = ("dlt.extract.resource", "DltResource")
REST_API_SETUP = "dlt.sources.rest_api.config_setup"


def loaded_dlt_class(where: tuple[str, str]) -> type | None:
    """The class ``where`` names (module, class name) if its module is imported, else ``None``."""
    module, name = where
    found = getattr(sys.modules.get(module), name, None)
    return found if isinstance(found, type) else None


def is_dlt_instance(value: Any, where: tuple[str, str]) -> bool:
    cls = loaded_dlt_class(where)
    return cls is not None and isinstance(value, cls)
