"""Generate ``docs/connectors/*.md`` from the specs, so the pages cannot drift from them.

    python -m restsync.connectors._docs docs/connectors      # or: make docs

A test regenerates the pages and compares them with the checked-in ones.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from restsync.connectors._registry import connector_config, load_spec, names

__all__ = ["render_connector", "render_index", "write_docs"]


def write_docs(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names():
        path = folder / f"{name}.md"
        path.write_text(render_connector(name))
        written.append(path)
    index = folder / "README.md"
    index.write_text(render_index())
    written.append(index)
    return written


def render_index() -> str:
    lines = [
        "# Bundled connectors",
        "",
        "Generated from `src/restsync/connectors/specs/` by `make docs`; do not edit by hand.",
        "",
        "| connector | API | resources | secrets |",
        "|---|---|---|---|",
    ]
    for name in names():
        spec = load_spec(name)
        count = len(spec.config["resources"])
        secrets = ", ".join(f"`{s.upper()}`" for s in spec.secrets)
        lines.append(f"| [`{name}`]({name}.md) | {spec.title} | {count} | {secrets} |")
    lines += [
        "",
        "Run one with `restsync run <connector>`, list them with `restsync connectors`,",
        "serve one as a mock API with `restsync simulate <connector>`. From Python:",
        "",
        "```python",
        "from restsync.connectors import connector_source",
        'dlt.pipeline("x", destination="duckdb").run(connector_source("webhook_service"))',
        "```",
        "",
    ]
    return "\n".join(lines)


def render_connector(name: str) -> str:
    from restsync._api import plan_config

    spec = load_spec(name)
    plan = plan_config(connector_config(name, lenient=True), name=name)
    auth = spec.config["client"].get("auth") or {}
    lines = [
        f"# `{name}` — {spec.title}",
        "",
        "Generated from the connector's spec by `make docs`; do not edit by hand.",
        "",
        spec.description,
        "",
        "## Run it",
        "",
        "```sh",
        *[
            f'export {s.upper()}=...        # or {s} = "..." in .dlt/secrets.toml'
            for s in spec.secrets
        ],
        f"restsync run {name}                       # into ./{name}.duckdb",
        f"restsync simulate {name} --port 8080 &                # a local mock of the API",
        f"restsync run {name} --base-url http://127.0.0.1:8080",
        "```",
        "",
        "## Authentication",
        "",
        _auth_text(auth),
        "",
    ]
    if spec.config_values:
        lines += [
            "## Config values",
            "",
            *[
                f"- `{c}` (env `{c.upper()}`): the start of incremental syncs, ISO 8601; "
                "defaults to 2024-01-01T00:00:00Z"
                for c in spec.config_values
            ],
            "",
        ]
    lines += ["## Resources", ""]
    for resource in plan.resources.values():
        lines += _resource_section(resource)
    lines += [
        "## Schema evolution and rejected records",
        "",
        "The columns above are declared; fields the API sends beyond them still load (dlt adds",
        "columns as they appear). A record that lacks its primary key or a required (not null)",
        "field is not dropped: it goes to the `_restsync_rejects` table with the resource, the",
        "reason, the raw record as JSON and the time, and the run summary counts it.",
        "",
    ]
    return "\n".join(lines)


def _auth_text(auth: dict[str, Any]) -> str:
    kind = auth.get("type", "bearer")
    secret = _ref_name(auth.get("token") or auth.get("api_key"))
    if kind == "api_key":
        where = auth.get("location", "header")
        return (
            f"API key sent in the `{auth.get('name')}` {where}, from the secret `{secret}` "
            f"(env `{(secret or '').upper()}`)."
        )
    return f"Bearer token from the secret `{secret}` (env `{(secret or '').upper()}`)."


def _ref_name(value: Any) -> str | None:
    return getattr(value, "name", None)


def _resource_section(resource: Any) -> list[str]:
    paginator = resource.paginator.model_dump(exclude_defaults=True)
    key = ", ".join(resource.primary_key) or "none"
    lines = [
        f"### `{resource.name}`",
        "",
        f"- endpoint: `{resource.method} {resource.path}`, records at `{resource.data_selector}`",
        f"- primary key: `{key}`, write disposition: `{resource.write_disposition}`",
        f"- pagination: `{paginator}`",
    ]
    if resource.parent:
        parent = resource.parent.resource
        bindings = resource.parent.bindings.items()
        fields = ", ".join(f"`{{{k}}}` = `{parent}.{v}`" for k, v in bindings)
        carried = ", ".join(f"`_{parent}_{f}`" for f in resource.parent.include)
        lines.append(f"- child of `{parent}`: {fields}; rows carry {carried}")
    if resource.incremental:
        inc = resource.incremental
        lines.append(
            f"- incremental on `{inc.cursor_path}` (datetimes, format `{inc.datetime_format}`): "
            "records older than the start or the last loaded value are skipped"
        )
    retry = resource.retry
    lines.append(
        f"- retries: statuses {sorted(retry.status_codes)}, up to {retry.max_retries} times, "
        f"backoff factor {retry.backoff_factor:g}"
    )
    columns = resource.hints.get("columns") or {}
    if columns:
        lines += ["", "| column | type | required |", "|---|---|---|"]
        for column, hint in columns.items():
            required = "yes" if hint.get("nullable") is False else ""
            lines.append(f"| `{column}` | {hint.get('data_type', '')} | {required} |")
    lines.append("")
    return lines


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/connectors")
    for path in write_docs(target):
        print(path)
