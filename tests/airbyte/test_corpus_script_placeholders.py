"""The placeholder config the corpus scripts build from a manifest's spec follows what the spec
says of a value (an example, a pattern, a date format, a constant), as a user's config would:
wikipedia-pageviews' 'x' for a start "in YYYYMMDD format" was refused at check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.airbyte._script import load_script


def _spec(**properties: dict[str, Any]) -> dict[str, Any]:
    return {"spec": {"connection_specification": {"type": "object", "properties": properties}}}


SPELLED = "The date of the first day to include, in YYYYMMDD or YYYYMMDDHH format."
DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

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
            "oneOf": [{"properties": {"url_base": {"const": "https://eu.example.com/v3"}}}],
            "default": {
                "type": "object",
                "properties": {"url_base": {"const": "https://www.example.com/v3"}},
            },
        },
        {"url_base": "https://www.example.com/v3"},
    ),
    (
        "api_url",  # an example its own pattern refuses, and nothing else fits either
        {
            "type": "string",
            "pattern": "^[a-z.]+\\.[a-z]+",
            "examples": ["https://x.example.com/v1"],
        },
        "https://x.example.com/v1",
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
    # babelforce: the spec's example is an epoch, the cursor parses '%Y-%m-%dT%H:%M:%SZ'
    stream = {
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
                "datetime": "{{ config['since'] }}",
                "datetime_format": "%Y-%m-%dT%H:%M:%SZ",
            },
        },
        "schema_loader": {
            "type": "InlineSchemaLoader",
            "schema": {"type": "object", "properties": {"id": {"type": "integer"}}},
        },
    }
    document = {
        "version": "6.0.0",
        "type": "DeclarativeSource",
        "streams": [stream],
        **_spec(since={"type": "string", "examples": ["1651363200"]}),
    }
    path = tmp_path / "manifest.yaml"
    path.write_text(yaml.safe_dump(document))
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
