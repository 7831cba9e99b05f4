"""The placeholder config the corpus scripts build from a manifest's spec follows what the spec
says of a value (an example, a pattern, a date format, a constant), as a user's config would:
wikipedia-pageviews' 'x' for a start "in YYYYMMDD format" was refused at check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from restsync import ConfigError
from restsync.airbyte._spec import check_config
from tests.airbyte._script import load_script


def _spec(**properties: dict[str, Any]) -> dict[str, Any]:
    return {"spec": {"connection_specification": {"type": "object", "properties": properties}}}


SPELLED = "The date of the first day to include, in YYYYMMDD or YYYYMMDDHH format."
DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
DMY = r"^[0-9]{2}-[0-9]{2}-[0-9]{4}$"
DMY_TEXT = "The start date for the historical data stream in dd-mm-yyyy format."

CASES = [
    # (property name, its schema) -> the placeholder
    ("start", {"type": "string", "description": SPELLED}, "20240101"),
    ("end", {"type": "string", "description": SPELLED.replace("first", "last")}, "20240131"),
    ("since", {"type": "string", "format": "date"}, "2024-01-01"),
    ("since", {"type": "string", "examples": ["1651363200"], "format": "date-time"}, None),
    ("since", {"type": "string", "examples": ["2021-03-04"], "pattern": DAY}, "2021-03-04"),
    ("since", {"type": "string", "examples": ["03/04/2021"], "pattern": DAY}, "2024-01-01"),
    ("start_date", {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]}, None),
    ("api_key", {"type": "string"}, "x"),
    # a text field's example written as a number or a boolean (tmdb, gutendex): its text
    ("movie_id", {"type": "string", "examples": [550, 299534]}, "550"),
    ("copyright", {"type": "string", "examples": [True], "pattern": "^(true|false|null)$"}, "true"),
    (
        "region",
        {
            "type": "object",
            "properties": {"name": {"type": "string", "const": "EU"}},
            "oneOf": [{"properties": {"url_base": {"const": "https://eu.example.com/v3"}}}],
        },
        {"name": "EU", "url_base": "https://eu.example.com/v3"},
    ),
    (
        "region",  # a default that is an option's schema, not a value
        {
            "type": "object",
            "oneOf": [
                {"properties": {"url_base": {"const": "https://eu.example.com/v3"}}},
                {"properties": {"url_base": {"const": "https://www.example.com/v3"}}},
            ],
            "default": {
                "type": "object",
                "properties": {"url_base": {"const": "https://www.example.com/v3"}},
            },
        },
        {"url_base": "https://www.example.com/v3"},
    ),
    # a date its pattern spells out, under a ``format`` the pattern contradicts (coingecko-coins)
    (
        "start_date",
        {"type": "string", "format": "date", "pattern": DMY, "description": DMY_TEXT},
        "01-01-2024",
    ),
]


@pytest.mark.parametrize(("name", "schema", "expected"), CASES)
def test_the_placeholder_follows_the_spec(name: str, schema: dict[str, Any], expected: Any) -> None:
    value = load_script("airbyte_corpus").placeholder_config(_spec(**{name: schema}))[name]
    if expected is None:  # a date in the format the schema names
        kind = schema.get("format") or schema["anyOf"][0]["format"]
        assert value == {"date": "2024-01-01", "date-time": "2024-01-01T00:00:00Z"}[kind]
    else:
        assert value == expected


def test_a_refused_example_is_given_again_in_the_format_the_manifest_parses(
    tmp_path: Path,
) -> None:
    # a spec's example is an epoch, the cursor parses '%Y-%m-%dT%H:%M:%SZ'
    path, document = _since_manifest(tmp_path, {"type": "string", "examples": ["1651363200"]})
    script = load_script("airbyte_corpus")
    config = script.placeholder_config(document)
    assert config["since"] == "1651363200"
    problems, plan = script.translate(path, config)
    assert problems == {} and plan is not None
    assert config["since"] == "2024-01-01T00:00:00Z"


def test_an_optional_field_no_placeholder_satisfies_is_left_out() -> None:
    # cimis: an array whose enum lists texts; no value fits, and airbyte-cdk refused the
    # whole placeholder config for it ("'hly-air-tmp' is not of type 'array'")
    items = {"type": "array", "enum": ["hly-air-tmp", "hly-dew-pnt"]}
    spec = _spec(hourly_data_items=items, api_key={"type": "string"})
    assert load_script("airbyte_corpus").placeholder_config(spec) == {"api_key": "x"}
    spec["spec"]["connection_specification"]["required"] = ["hourly_data_items"]
    config = load_script("airbyte_corpus").placeholder_config(spec)
    assert "hourly_data_items" in config  # required: kept, refused


# the shapes the spec check refused in the corpus's placeholder configs (session 14): a required
# text only a pattern describes, an optional field whose own example its pattern refuses, array
# items with a pattern, a hidden deprecated field a migration copies over its successor
REFUSED_SHAPES: dict[str, Any] = {
    "type": "object",
    "required": ["access_token", "secret_key", "board_ids", "site_id", "start_date"],
    "properties": {
        "access_token": {"type": "string", "pattern": "^(sandbox|live)_.+$"},
        "secret_key": {"type": "string", "pattern": "^(s|r)k_(live|test)_[a-zA-Z0-9]+$"},
        "board_ids": {"type": "array", "items": {"type": "string", "pattern": "^[0-9a-f]{24}$"}},
        "site_id": {
            "type": "string",
            "pattern": "^[A-Za-z0-9-.]+\\.[A-Z-a-z0-9-.]+",
            "examples": ["airbyte.com"],
        },
        "api_url": {
            "type": "string",
            "pattern": "^[A-Za-z0-9-.]+\\.[A-Z-a-z0-9-.]+",
            "examples": ["https://plausible.example.com/api/v1/stats"],
        },
        "start_date": {"type": "string", "format": "date", "pattern": DMY, "description": DMY_TEXT},
        "custom_reports": {"type": "string", "airbyte_hidden": True},
        "reports": {"type": "array", "items": {"type": "object"}},
    },
}


def test_the_placeholder_config_passes_the_spec_check() -> None:
    document = {"spec": {"connection_specification": REFUSED_SHAPES}}
    config = load_script("airbyte_corpus").placeholder_config(document)
    check_config(document, config)  # the check restsync runs before it reads, as airbyte-cdk
    assert config["access_token"] == "sandbox_0"  # the simplest text the pattern matches
    assert config["secret_key"].startswith(("sk_", "rk_"))
    assert len(config["board_ids"]) == 1 and len(config["board_ids"][0]) == 24
    assert config["site_id"] == "airbyte.com"  # the spec's own example, which fits
    assert config["start_date"] == "01-01-2024"
    # optional, and nothing a user would give fits (the example is refused, a made-up text
    # would be no URL): left out, as are a hidden field and one no placeholder satisfies
    assert "api_url" not in config and "custom_reports" not in config


def test_an_optional_text_only_a_pattern_describes_is_left_out() -> None:
    spec = _spec(token={"type": "string", "pattern": "^live_[0-9]+$"})
    assert load_script("airbyte_corpus").placeholder_config(spec) == {}
    spec["spec"]["connection_specification"]["required"] = ["token"]
    assert load_script("airbyte_corpus").placeholder_config(spec) == {"token": "live_0"}


def test_a_refused_date_is_not_rewritten_into_a_field_the_spec_types_otherwise(
    tmp_path: Path,
) -> None:
    # babelforce: the spec wants an integer where the cursor parses '%Y-%m-%dT%H:%M:%SZ'; no
    # config satisfies both (airbyte-cdk fails on it too), and the refusal names the format
    path, document = _since_manifest(tmp_path, {"type": "integer", "examples": [1651363200]})
    script = load_script("airbyte_corpus")
    config = script.placeholder_config(document)
    with pytest.raises(ConfigError, match="does not match the format"):
        script.translate(path, config)
    assert config["since"] == 1651363200


def _since_manifest(folder: Path, since: dict[str, Any]) -> tuple[Path, dict[str, Any]]:
    """A manifest, written to ``folder``, of one stream whose cursor starts at
    ``config['since']``, the spec typing ``since`` as given: the file and its document."""
    document = {
        "version": "6.0.0",
        "type": "DeclarativeSource",
        "streams": [_cursor_stream("{{ config['since'] }}")],
        **_spec(since=since),
    }
    path = folder / "manifest.yaml"
    path.write_text(yaml.safe_dump(document))
    return path, document


def _cursor_stream(start: str) -> dict[str, Any]:
    return {
        "type": "DeclarativeStream",
        "name": "calls",
        "primary_key": ["id"],
        "retriever": {
            "type": "SimpleRetriever",
            "requester": {"type": "HttpRequester", "url_base": "https://x.invalid", "path": "/c"},
            "record_selector": {
                "type": "RecordSelector",
                "extractor": {"type": "DpathExtractor", "field_path": ["items"]},
            },
        },
        "incremental_sync": {
            "type": "DatetimeBasedCursor",
            "cursor_field": "created",
            "datetime_format": "%Y-%m-%dT%H:%M:%SZ",
            "start_datetime": {
                "type": "MinMaxDatetime",
                "datetime": start,
                "datetime_format": "%Y-%m-%dT%H:%M:%SZ",
            },
        },
        "schema_loader": {
            "type": "InlineSchemaLoader",
            "schema": {"type": "object", "properties": {"id": {"type": "integer"}}},
        },
    }
