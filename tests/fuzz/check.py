"""The property every config must have: it works, or it fails with one clean ``ConfigError``."""

from __future__ import annotations

from typing import Any

import restsync
from tests.fuzz.configs import SECRET

# table hints dlt already computed a schema from (the slow part of a check; most examples repeat
# the base config's hints)
_COMPUTED: set[str] = set()


def build(config: dict[str, Any]) -> None:
    """``rest_api_source`` (which plans first, as ``restsync check`` does), then each table's
    schema computed from its hints the way dlt's extract computes it."""
    source = restsync.rest_api_source(config)
    for resource in source.resources.values():
        key = repr((resource.name, resource._hints))
        if key in _COMPUTED:
            continue
        table = resource.compute_table_schema()
        resource.compute_nested_table_schemas(table["name"], source.schema.naming)
        _COMPUTED.add(key)


def assert_works_or_config_error(config: dict[str, Any]) -> None:
    try:
        build(config)
    except restsync.ConfigError as error:
        text = str(error)
        assert error.path, f"no config path in: {text}"
        assert "\n" not in text and "\r" not in text, f"more than one line: {text!r}"
        assert SECRET not in text, f"the secret is in: {text}"
        assert "Traceback" not in text and "Input should" not in text, text
