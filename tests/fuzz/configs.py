"""Configs for the fuzzer: the bundled connector specs, and plausible dlt ``rest_api`` configs.

Every secret position (auth fields, header values) holds ``SECRET``, so a test can assert that no
error message ever shows it.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from restsync import connectors

SECRET = "s3cr3t-MARKER-4f1d"

_PATHS = ["next", "meta.next", "$.next", "links.next", "paging.cursors.after", "$.meta.total"]
_STOPS = [
    "done",
    "response.next is none",
    "{{ response.has_more == false }}",
    "records|length == 0",
    "not response.more",
    "response.get('cursor') is None",
]
_CURSORS = ["updated_at", "meta.updated", "$.modified", "id"]


def bundled_configs() -> list[dict[str, Any]]:
    """Each bundled connector's config, with ``SECRET`` in every secret and an extra header."""
    configs = []
    for name in connectors.names():
        config = _with_secret(connectors.connector_config(name, lenient=True))
        config["client"].setdefault("headers", {})["X-Api-Secret"] = SECRET
        configs.append(config)
    return configs


def _with_secret(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _with_secret(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_secret(v) for v in value]
    if isinstance(value, str) and value.startswith("<secret:"):
        return SECRET
    return value


# --- dlt-style configs ------------------------------------------------------------------------


def _auth() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.just({"type": "bearer", "token": SECRET}),
        st.just({"token": SECRET}),
        st.fixed_dictionaries(
            {
                "type": st.just("api_key"),
                "name": st.sampled_from(["X-API-Key", "api_key", "key"]),
                "api_key": st.just(SECRET),
                "location": st.sampled_from(["header", "query", "param", "cookie"]),
            }
        ),
        st.just({"type": "http_basic", "username": "me", "password": SECRET}),
        st.just(
            {
                "type": "oauth2_client_credentials",
                "access_token_url": "https://auth.example.com/token",
                "client_id": SECRET,
                "client_secret": SECRET,
            }
        ),
    )


def _paginator() -> st.SearchStrategy[Any]:
    paths = st.sampled_from(_PATHS)
    stops = st.sampled_from(_STOPS)
    return st.one_of(
        st.sampled_from(["single_page", "header_link", "json_link", "cursor", "auto"]),
        st.fixed_dictionaries({"type": st.just("json_link"), "next_url_path": paths}),
        st.fixed_dictionaries({"type": st.just("header_link")}),
        st.fixed_dictionaries(
            {"type": st.just("cursor"), "cursor_param": st.just("cursor")},
            optional={"cursor_path": paths, "stop_condition": stops, "limit": st.integers(1, 500)},
        ),
        st.fixed_dictionaries(
            {"type": st.just("offset"), "limit": st.integers(1, 1000)},
            optional={
                "total_path": paths,
                "offset": st.integers(0, 100),
                "maximum_offset": st.integers(0, 10_000),
                "stop_condition": stops,
            },
        ),
        st.fixed_dictionaries(
            {"type": st.just("page_number")},
            optional={
                "base_page": st.integers(0, 1),
                "total_path": paths,
                "maximum_page": st.integers(1, 50),
            },
        ),
        st.fixed_dictionaries({"type": st.just("header_cursor"), "cursor_key": st.just("X-Next")}),
    )


def _columns() -> st.SearchStrategy[Any]:
    column = st.fixed_dictionaries(
        {"data_type": st.sampled_from(["text", "bigint", "timestamp", "json", "bool", "double"])},
        optional={"nullable": st.booleans(), "primary_key": st.booleans()},
    )
    names = st.sampled_from(["id", "name", "updated_at", "meta"])
    return st.one_of(
        st.dictionaries(names, column, max_size=3),
        st.lists(st.builds(lambda n, c: {"name": n, **c}, names, column), max_size=3),
    )


def _write_disposition() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(["append", "replace", "merge"]),
        st.sampled_from(
            [
                {"disposition": "merge", "strategy": "upsert"},
                {"disposition": "merge", "strategy": "scd2"},
                {"disposition": "merge", "strategy": "delete-insert"},
                {"disposition": "replace"},
            ]
        ),
    )


def _incremental() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"cursor_path": st.sampled_from(_CURSORS)},
        optional={
            "start_param": st.just("since"),
            "end_param": st.just("until"),
            "initial_value": st.sampled_from(["2024-01-01T00:00:00Z", 0, 1_700_000_000]),
            "end_value": st.just("2025-01-01T00:00:00Z"),
            "lag": st.floats(0, 3600),
            "row_order": st.sampled_from(["asc", "desc"]),
        },
    )


def _incremental_sync() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "cursor_field": st.sampled_from(_CURSORS),
            "start_datetime": st.sampled_from(["2024-01-01T00:00:00Z", "2024-06-01"]),
        },
        optional={
            "datetime_format": st.just("%Y-%m-%dT%H:%M:%SZ"),
            "lookback_window": st.sampled_from(["P1D", "PT6H", 3600, "60"]),
            "start_time_option": st.just({"field_name": "since", "inject_into": "header"}),
            "end_datetime": st.just("2025-01-01T00:00:00Z"),
        },
    )


@st.composite
def _resource(draw: st.DrawFn, name: str, parents: list[str]) -> dict[str, Any]:
    endpoint: dict[str, Any] = {"path": f"/{name}"}
    resource: dict[str, Any] = {"name": name, "endpoint": endpoint}
    if parents and draw(st.booleans()):
        parent = draw(st.sampled_from(parents))
        if draw(st.booleans()):
            endpoint["path"] = f"/{parent}/{{resources.{parent}.id}}/{name}"
        else:
            endpoint["path"] = f"/{parent}/{{pid}}/{name}"
            endpoint["params"] = {"pid": {"type": "resolve", "resource": parent, "field": "id"}}
        if draw(st.booleans()):
            resource["include_from_parent"] = ["name"]
    optional = {
        "paginator": _paginator(),
        "data_selector": st.sampled_from(["data", "$.items[*]", "results", [], ["data", "x"]]),
        "incremental": _incremental(),
        "params": st.just({"per_page": 50, "q": "a b"}),
        "response_actions": st.just([{"status_code": 404, "action": "ignore"}]),
        "method": st.sampled_from(["GET", "POST"]),
        "json": st.just({"filter": {"since": "{incremental.start_value}"}}),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            endpoint.setdefault(key, draw(strategy))
    hints = {
        "primary_key": st.sampled_from(["id", ["id", "kind"]]),
        "write_disposition": _write_disposition(),
        "columns": _columns(),
        "table_name": st.sampled_from(["things", "t_" + name]),
        "merge_key": st.just("id"),
        "max_table_nesting": st.integers(0, 3),
        "incremental_sync": _incremental_sync(),
        "processing_steps": st.just([{"filter": bool}, {"map": dict}]),
        "selected": st.booleans(),
    }
    for key, strategy in hints.items():
        if draw(st.integers(0, 3)) == 0:
            resource[key] = draw(strategy)
    if "incremental_sync" in resource:
        endpoint.pop("incremental", None)
    return resource


@st.composite
def dlt_configs(draw: st.DrawFn) -> dict[str, Any]:
    """A plausible dlt rest_api config (most are valid; some combine keys in ways restsync
    refuses, which is fine: the property is about *how* it refuses)."""
    names = draw(
        st.lists(
            st.sampled_from(["users", "posts", "comments", "orders", "events", "teams"]),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    resources: list[Any] = []
    for i, name in enumerate(names):
        if draw(st.integers(0, 4)) == 0:
            resources.append(name)  # the string shorthand
        else:
            resources.append(draw(_resource(name, names[:i])))
    client: dict[str, Any] = {
        "base_url": draw(
            st.sampled_from(
                ["https://api.example.com", "https://api.example.com/v1/", "http://127.0.0.1:8080"]
            )
        ),
        "headers": {"Accept": "application/json", "X-Token": SECRET},
    }
    if draw(st.booleans()):
        client["auth"] = draw(_auth())
    if draw(st.booleans()):
        client["paginator"] = draw(_paginator())
    config: dict[str, Any] = {"client": client, "resources": resources}
    if draw(st.booleans()):
        config["resource_defaults"] = {
            "primary_key": "id",
            "write_disposition": draw(_write_disposition()),
            "endpoint": {"params": {"per_page": 100}},
        }
    return config
