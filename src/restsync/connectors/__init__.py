"""The five bundled connectors, and the YAML loader they share with user configs.

    from restsync.connectors import connector_source
    pipeline.run(connector_source("webhook_service"))      # API_KEY from the environment
"""

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
