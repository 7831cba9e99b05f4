"""The bundled connectors, and the YAML loader they share with user configs.

    from restsync import connectors
    connectors.names()                                  # ['account_analytics', ...]
    config = connectors.connector_config("webhook_service")   # API_KEY from env or secrets.toml
    pipeline.run(connectors.connector_source("webhook_service"))

YAML files reference secrets and settings with tags, never inline::

    auth: {type: bearer, token: !secret api_key}
    start_datetime: !config {name: start_date, default: "2024-01-01T00:00:00Z"}

See ``docs/connectors/`` for each connector's resources and declared schema.
"""

from restsync import _public
from restsync.connectors._registry import (
    ConnectorSpec,
    connector_config,
    connector_fields,
    connector_source,
    load_spec,
    names,
)
from restsync.connectors._yaml import ConfigRef, SecretRef, load_yaml_config, resolve_refs

__all__ = [
    "ConfigRef",
    "ConnectorSpec",
    "SecretRef",
    "connector_config",
    "connector_fields",
    "connector_source",
    "load_spec",
    "load_yaml_config",
    "names",
    "resolve_refs",
]

_public.present_as_public(globals())
