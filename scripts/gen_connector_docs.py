"""Generate docs/connectors/<name>.md and its README.md index from the bundled connector specs.

    python scripts/gen_connector_docs.py                 # into docs/connectors (`make docs`)
    python scripts/gen_connector_docs.py /tmp/out        # anywhere else

Run it after editing a spec in src/restsync/connectors/specs/; tests/connectors fails while the
checked-in pages differ from what this writes. It lives here, not in the package: only this
script and that test need it.

The pages are built from the resolved plan (so defaults, parents and inferred cursor paths read as
restsync will run them), with every secret and config value shown by name, never by value: the
output does not depend on the environment it is generated in.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from restsync._config import parse_config
from restsync._plan import (
    ApiKey,
    AutoPaging,
    BearerToken,
    CursorPaging,
    OffsetPaging,
    ResourcePlan,
    SourcePlan,
    build_plan,
    describe_paging,
)
from restsync.connectors import ConnectorSpec, load_spec, names
from restsync.connectors._yaml import ConfigRef, env_var, find_refs, placeholder_refs

_SCRIPT = "scripts/gen_connector_docs.py"
_REJECTS = "_restsync_rejects"


def write_docs(folder: Path) -> list[Path]:
    """Write one page per connector and the index into ``folder``; return the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    pages = {f"{name}.md": render_connector(name) for name in names()}
    pages["README.md"] = render_index()
    written = []
    for file_name, text in pages.items():
        path = folder / file_name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


# --- the index --------------------------------------------------------------------------------


def render_index() -> str:
    lines = [
        "# Bundled connectors",
        "",
        f"<!-- generated from src/restsync/connectors/specs/ by {_SCRIPT}; do not edit -->",
        "",
        "Each connector is a YAML config in restsync's dialect (dlt's `rest_api` plus the",
        "extensions in [config.md](../config.md)), bundled in",
        "`src/restsync/connectors/specs/`, with a declared schema for every table.",
        "",
        "| connector | what it syncs | tables | secrets (env var) |",
        "|---|---|---|---|",
    ]
    for name in names():
        spec = load_spec(name)
        secrets = ", ".join(f"`{s}` (`{env_var(s)}`)" for s in spec.secrets)
        count = len(spec.config["resources"])
        lines.append(f"| [`{name}`]({name}.md) | {spec.title} | {count} | {secrets} |")
    return "\n".join([*lines, _INDEX_USAGE])


# the index's part that no spec changes: how to run a connector, how YAML names secrets
_INDEX_USAGE = """
## Using one

```sh
restsync connectors                          # list them
export API_KEY=...                           # the secret the connector names
restsync run webhook_service                 # into ./webhook_service.duckdb
restsync check webhook_service               # validate and plan: no network, no secret
restsync demo --connector webhook_service    # against a local simulator of the API
```

From Python, a connector is an ordinary dlt source:

```python
import dlt
from restsync.connectors import connector_source

pipeline = dlt.pipeline("webhooks", destination="duckdb")
pipeline.run(connector_source("webhook_service"))
```

## Secrets and config values in YAML

Specs, and any YAML config given to `restsync run file.yaml`, reference secrets and
settings by name with two tags instead of writing them inline:

```yaml
client:
  auth: {type: bearer, token: !secret api_key}        # required
resources:
  - name: policies
    incremental_sync:
      cursor_field: updated
      start_datetime: !config start_date                # required
      # or with a default used when start_date is not set:
      # start_datetime: !config {name: start_date, default: "2024-01-01T00:00:00Z"}
```

Both are looked up through dlt's providers, so a name `api_key` is read from the
environment variable `API_KEY` or from `api_key = "..."` in `.dlt/secrets.toml`
(config values: `.dlt/config.toml`); a dotted name `sources.crm.api_key` from
`SOURCES__CRM__API_KEY`. A missing secret stops the run before any request, with a
message naming the variable to set. JSON configs, which have no tags, write
`{"$secret": "api_key"}` and `{"$config": "start_date", "default": "..."}`.
"""


# --- one connector ----------------------------------------------------------------------------


def render_connector(name: str) -> str:
    spec = load_spec(name)
    plan = build_plan(parse_config(placeholder_refs(spec.config)), name=name)
    lines = [
        f"# {spec.title} (`{name}`)",
        "",
        f"<!-- generated from src/restsync/connectors/specs/{name}.yaml by {_SCRIPT}; "
        "do not edit -->",
        "",
        spec.description,
        "",
        "## What it syncs",
        "",
        "| table | endpoint | primary key | parent | incremental on |",
        "|---|---|---|---|---|",
    ]
    for r in plan.resources.values():
        parent = f"`{r.parent.resource}`" if r.parent else ""
        cursor = f"`{r.incremental.cursor_path}`" if r.incremental else ""
        lines.append(
            f"| [`{r.table_name}`](#{r.name}) | `{r.method} {r.path}` | {_key(r)} | {parent} "
            f"| {cursor} |"
        )
    lines += ["", *_auth_section(spec, plan), *_config_section(spec, plan), *_run_section(spec)]
    lines += ["## Resources", ""]
    for resource in plan.resources.values():
        lines += _resource_section(resource, plan)
    lines += _evolution_section()
    return "\n".join(lines)


def _auth_section(spec: ConnectorSpec, plan: SourcePlan) -> list[str]:
    auth = plan.auth
    refs = find_refs(spec.config["client"].get("auth"))
    secret = refs[0].name if refs else ""
    if isinstance(auth, ApiKey):
        where = {"header": "header", "cookie": "cookie"}.get(auth.location, "query parameter")
        how = f"An API key, sent in the `{auth.name}` {where}."
    elif isinstance(auth, BearerToken):
        how = "A bearer token, sent as `Authorization: Bearer <token>`."
    elif auth is None:
        how = "None: the API is open."
    else:
        how = f"`{auth.type}`."
    lines = ["## Authentication", "", how, ""]
    if secret:
        lines += [
            f"The secret is named `{secret}`. Set it in the environment:",
            "",
            "```sh",
            f'export {env_var(secret)}="..."',
            "```",
            "",
            "or in `.dlt/secrets.toml`:",
            "",
            "```toml",
            f'{secret} = "..."',
            "```",
            "",
        ]
    return lines


def _config_section(spec: ConnectorSpec, plan: SourcePlan) -> list[str]:
    refs = {r.name: r for r in find_refs(spec.config) if isinstance(r, ConfigRef)}
    if not refs:
        return []
    lines = [
        "## Config values",
        "",
        "| name | env var | default | used for |",
        "|---|---|---|---|",
    ]
    incremental = ", ".join(f"`{r.name}`" for r in plan.resources.values() if r.incremental)
    for name, ref in refs.items():
        default = f"`{ref.default}`" if ref.default is not None else "required"
        lines.append(
            f"| `{name}` | `{env_var(name)}` | {default} "
            f"| where incremental syncs start ({incremental}) |"
        )
    lines += [
        "",
        f"Set it like a secret (`export {env_var(next(iter(refs)))}=...`) "
        "or in `.dlt/config.toml`.",
        "",
    ]
    return lines


def _run_section(spec: ConnectorSpec) -> list[str]:
    exports = [f"export {env_var(s)}=...   # see Authentication" for s in spec.secrets]
    return [
        "## Run it",
        "",
        "```sh",
        *exports,
        f"restsync run {spec.name}                          # into ./{spec.name}.duckdb",
        f"restsync check {spec.name}                        # validate, no network",
        f"restsync simulate {spec.name} --port 8080 &       # a local mock of this API",
        f"restsync run {spec.name} --base-url http://127.0.0.1:8080",
        "```",
        "",
    ]


def _resource_section(r: ResourcePlan, plan: SourcePlan) -> list[str]:
    lines = [
        f"### `{r.name}`",
        "",
        f"- **table**: `{r.table_name}`",
        f"- **endpoint**: `{r.method} {plan.base_url.rstrip('/')}{r.path}`; "
        f"records {_selector(r.data_selector)}",
    ]
    if r.parent:
        (placeholder, field), *_ = r.parent.bindings.items()
        column = f"_{r.parent.resource}_{field.replace('.', '_')}"
        lines.append(
            f"- **parent**: one request per `{r.parent.resource}` record, `{{{placeholder}}}` = "
            f"its `{field}`; rows carry it as `{column}`"
        )
    lines += [
        f"- **primary key**: {_key(r)}; write disposition `{_disposition(r.write_disposition)}`",
        f"- **pagination**: {_pagination(r)}",
        f"- **incremental**: {_incremental(r)}",
        f"- **retries**: on {', '.join(str(s) for s in sorted(r.retry.status_codes))}; up to "
        f"{r.retry.max_retries} retries with exponential backoff (factor "
        f"{r.retry.backoff_factor:g}), or after the server's `Retry-After`",
        "",
    ]
    columns = r.hints.get("columns") or {}
    if isinstance(columns, Mapping) and columns:
        lines += ["| column | type | nullable |", "|---|---|---|"]
        for column, hint in columns.items():
            nullable = "no" if hint.get("nullable") is False else "yes"
            lines.append(f"| `{column}` | {hint.get('data_type', '')} | {nullable} |")
        lines.append("")
    return lines


def _key(r: ResourcePlan) -> str:
    return ", ".join(f"`{k}`" for k in r.primary_key) or "none"


def _disposition(value: Any) -> str:
    return value if isinstance(value, str) else str(value.get("disposition", value))


def _selector(selector: str | None) -> str:
    if selector in (None, ""):
        return "are the body's list (or the list under `data`, `results` or `items`)"
    if selector == "$":
        return "are the whole body (an object is one record)"
    return f"at `{selector}`"


def _pagination(r: ResourcePlan) -> str:
    p = r.paginator
    if isinstance(p, CursorPaging):
        sent = (
            f"in the body at `{p.cursor_body_path}`"
            if p.cursor_body_path
            else f"as the `{p.cursor_param}` query parameter"
        )
        text = f"cursor: each response's `{p.cursor_path}` is sent back {sent}"
        if p.limit is not None:
            text += f", with `{p.limit_param}={p.limit}`"
        ends = [f"`{r.stop_condition.source}` holds"] if r.stop_condition else []
        ends.append("the cursor is missing")
        if p.stop_after_empty_page:
            ends.append("a page is empty")
        text += f"; stops when {', '.join(ends[:-1])} or {ends[-1]}"
        return text + ". A cursor that is a full next-page URL is followed as a URL."
    if isinstance(p, OffsetPaging):
        text = (
            f"offset: `{p.offset_param}` starts at {p.offset} and advances by {p.limit}, "
            f"with `{p.limit_param}={p.limit}`; "
        )
        if p.total_path:
            return text + f"stops when the offset reaches the total at `{p.total_path}`."
        if r.stop_condition:
            return text + f"stops when `{r.stop_condition.source}` holds, or at a short page."
        return text + f"stops at the first page with fewer than {p.limit} records (or none)."
    if isinstance(p, AutoPaging):
        return (
            "none given in the document: detected from the first response "
            "(a Link header, a next-page URL in the body, else a single page)."
        )
    fields = {k: v for k, v in describe_paging(p).items() if k != "type"}
    settings = ", ".join(f"`{k}={v}`" for k, v in fields.items())
    return f"`{p.type}`" + (f" ({settings})" if settings else "") + "."


def _incremental(r: ResourcePlan) -> str:
    inc = r.incremental
    if inc is None:
        return (
            "none: every run reads all pages; merging on the primary key keeps one row per record."
            if r.primary_key
            else "none: every run reads all pages."
        )
    fmt = f" (format `{inc.datetime_format}`)" if inc.datetime_format else ""
    sent = (
        f" The start is sent to the API as `{inc.start_param.name}`."
        if inc.start_param
        else " The document names no request parameter for it, so pages are filtered as read."
    )
    return (
        f"on `{inc.cursor_path}`{fmt}: records older than the start (see Config values) or "
        f"than the newest `{inc.cursor_path}` already loaded are skipped; the newest value is "
        f"saved in the pipeline state for the next run.{sent}"
    )


def _evolution_section() -> list[str]:
    return [
        "## Schema evolution and rejected records",
        "",
        "The columns above are declared with their types. Fields the API sends beyond them still",
        "load (schema evolution): dlt adds a column for each new field, typed from its values,",
        "and a child table for each nested list.",
        "",
        "A record that cannot load as declared (no primary key, a field that is not nullable",
        f"missing, an unreadable incremental cursor) is not dropped: it goes to the `{_REJECTS}`",
        "table with the `resource`, the `reason`, the raw `record` as JSON and the time",
        "`rejected_at` (plus dlt's `_dlt_load_id`, naming the load), and the run summary",
        "counts it.",
        "",
    ]


def main(argv: list[str] | None = None, *, default: Path = Path("docs/connectors")) -> int:
    """``gen_connector_docs.py [FOLDER]``: write the pages into FOLDER (else ``default``)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1 or any(a.startswith("-") for a in args):
        print(f"usage: {_SCRIPT} [FOLDER]   (default: {default})", file=sys.stderr)
        return 2
    for path in write_docs(Path(args[0]) if args else default):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(default=Path(__file__).resolve().parents[1] / "docs" / "connectors"))
