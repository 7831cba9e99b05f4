"""``dynamic_streams``: a ``stream_template`` turned into streams by its ``components_resolver``,
as airbyte-cdk 7.39.1 resolves them; each resolved stream then translates like a listed one.

Each resolver gives a list of ``components_values``, one stream each:

* ``ConfigComponentsResolver``: the lists at its ``stream_config(s)``' ``configs_pointer`` in the
  user's config (plus ``default_values``), one stream per combination of their items;
* ``ParametrizedComponentsResolver``: its ``stream_parameters.list_of_parameters_for_stream``;
* ``HttpComponentsResolver``: the records its ``retriever`` reads (with the ``stream_slice``
  each came in), fetched by restsync's engine when the source is built for a run; ``check`` and
  ``plan`` send no request and say so.

A copy of the template gets each ``components_mapping`` value (rendered with
``components_values``, ``stream_slice`` and ``stream_template_config``) at every existing place
its ``field_path`` matches (``*`` and ``**`` as in dpath); a missing place is created only with
``create_or_update`` (not by the HTTP resolver, as in the CDK). The config and parametrized
resolvers read a rendered text back as YAML (``'[a, b]'`` is a list); the HTTP one does not.
"""

from __future__ import annotations

import asyncio
import copy
import fnmatch
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from itertools import product
from pathlib import Path
from typing import Any

import yaml

from restsync._errors import ConfigError
from restsync._plan import ResourcePlan, SourcePlan
from restsync.airbyte._auth import token_url_on
from restsync.airbyte._budget import rate_budget
from restsync.airbyte._jinja import Interpolator, Slice, TemplateError
from restsync.airbyte._manifest import propagate_stream
from restsync.airbyte._parts import Unsupported
from restsync.airbyte._requests import truthy, url_on

__all__ = ["Dynamic", "Fetch", "dynamic_streams", "engine_fetch"]

MAX_STREAMS = 10_000  # resolved streams per manifest: a resolver listing more is refused
_FETCH_SECONDS = 600.0  # the resolver's requests end by then (the run's own bound comes later)
_TYPES: dict[str, type] = {"string": str, "integer": int, "number": float, "boolean": bool}

# (resolver, its config path) -> each record its retriever reads, with the slice it came in
Fetch = Callable[[Mapping[str, Any], str], list[tuple[Any, Slice]]]


@dataclass
class Dynamic:
    """The streams resolved from ``dynamic_streams`` (config path, stream), what restsync
    cannot resolve and what an API lists at run time (entry -> the sentence saying so)."""

    streams: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    pending: dict[str, str] = field(default_factory=dict)


def dynamic_streams(
    resolved: Mapping[str, Any],
    config: Mapping[str, Any],
    fetch: Fetch | None,
    folder: Path | None = None,
) -> Dynamic:
    """Every ``dynamic_streams`` entry resolved with this config; an HTTP resolver only when
    ``fetch`` is given (a run), else it is said to resolve at run time, unless its listing or
    its template uses a component restsync cannot run that no mapping can change."""
    result = Dynamic()
    entries = resolved.get("dynamic_streams")
    names: set[str] = set()
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        where = f"dynamic_streams[{index}]"
        entry = entry if isinstance(entry, Mapping) else {}
        resolver = entry.get("components_resolver")
        kind = str(resolver.get("type")) if isinstance(resolver, Mapping) else "no resolver"
        label = _label(where, entry)
        try:
            if kind == "HttpComponentsResolver":
                _precheck(entry, where, config, folder)
            streams = _resolve(entry, where, config, fetch)
        except Unsupported as problem:
            result.skipped[label] = (
                f"{label} is not run: it uses {problem.component}"
                + (f" ({problem.reason})" if problem.reason else "")
                + f" at {problem.where}, which restsync cannot run"
            )
            continue
        if streams is None:
            result.pending[label] = _at_run_time(label, kind, resolver)
            continue
        for stream in streams:
            name = stream.get("name")
            if not isinstance(name, str) or not name:
                raise ConfigError(
                    f"{where}.components_resolver.components_mapping",
                    f"a stream resolved from {where} has the name {name!r}, not a text; map "
                    "'name' to a text",
                )
            if name in names:
                fix = "check the config's list" if kind == "ConfigComponentsResolver" else ""
                raise ConfigError(
                    f"{where}.components_resolver",
                    f"{where} resolves two streams named '{name}'; "
                    + (fix or "each stream it resolves needs a name of its own"),
                )
            names.add(name)
            result.streams.append((f"{where}.stream_template", stream))
            if len(result.streams) > MAX_STREAMS:
                raise ConfigError(
                    "dynamic_streams",
                    f"the dynamic_streams resolve to more than {MAX_STREAMS} streams; narrow the "
                    "config lists or the API listing them",
                )
    return result


def _label(where: str, entry: Mapping[str, Any]) -> str:
    template = entry.get("stream_template")
    template = template if isinstance(template, Mapping) else {}
    named = entry.get("name") or template.get("name")
    return where + (f" (template '{named}')" if named else "")


def _at_run_time(label: str, kind: str, resolver: Any) -> str:
    requester = (resolver.get("retriever") or {}).get("requester") or {}
    address = ""
    if isinstance(requester, Mapping):
        # as written, not rendered: a config value in the address may be a credential
        base = str(requester.get("url_base") or requester.get("url") or "")
        path = str(requester.get("path") or "")
        address = base.rstrip("/") + ("/" + path.lstrip("/") if path else "")
    return (
        f"{label} is resolved at run time ({kind}: its streams are listed by a request"
        + (f" to {address}" if address else "")
        + "); check and plan send no request, so they do not show its streams"
    )


def _resolve(
    entry: Mapping[str, Any], where: str, config: Mapping[str, Any], fetch: Fetch | None
) -> list[dict[str, Any]] | None:
    resolver = entry.get("components_resolver")
    at = f"{where}.components_resolver"
    if not isinstance(resolver, Mapping):
        raise Unsupported(at, "no components_resolver", "a dynamic stream needs one")
    template = entry.get("stream_template")
    if not isinstance(template, Mapping):
        raise Unsupported(f"{where}.stream_template", "no stream_template", "")
    kind = str(resolver.get("type"))
    ai = Interpolator(config, resolver.get("$parameters"))
    mappings = _mappings(resolver, at)
    parent_wins = entry.get("use_parent_parameters", True) is not False
    if kind == "HttpComponentsResolver":
        if fetch is None:
            return None
        found = fetch(resolver, at)
        values: list[tuple[Any, Slice | None]] = list(found)
        as_yaml, with_conditions, create = False, False, False
        source, fix = "record {} the API listed", "the API's listing does not fit the manifest"
    elif kind == "ConfigComponentsResolver":
        values = [(v, None) for v in _config_values(resolver, config, at)]
        as_yaml, with_conditions, create = True, True, True
        pointers = [
            "/".join(str(p) for p in s.get("configs_pointer") or [])
            for s in _stream_configs(resolver)
        ]
        source = f"item {{}} of the config's {' x '.join(repr(p) for p in pointers)}"
        fix = "fix that item of the config"
    elif kind == "ParametrizedComponentsResolver":
        listed = (resolver.get("stream_parameters") or {}).get("list_of_parameters_for_stream")
        if not isinstance(listed, list):
            raise Unsupported(f"{at}.stream_parameters", "StreamParametersDefinition", "no list")
        values = [(v, None) for v in listed]
        as_yaml, with_conditions, create = True, False, True
        source = f"{at}.stream_parameters.list_of_parameters_for_stream[{{}}]"
        fix = "fix that entry of the manifest"
    else:
        raise Unsupported(at, kind, "an unknown components resolver")
    streams = []
    for position, (components_values, stream_slice) in enumerate(values[: MAX_STREAMS + 1]):
        stream = copy.deepcopy(dict(template))
        scope: dict[str, Any] = {
            "components_values": components_values,
            "stream_template_config": template,
        }
        if stream_slice is not None:
            scope["stream_slice"] = stream_slice
        for index, mapping in enumerate(mappings):
            here = f"{at}.components_mapping[{index}]"
            try:
                _apply(stream, mapping, ai, scope, as_yaml, with_conditions, create)
            except TemplateError as exc:
                raise ConfigError(
                    here,
                    f"the mapping cannot be rendered for {source.format(position)}: {exc}; {fix}",
                ) from None
            except yaml.YAMLError as exc:
                problem = str(exc).splitlines()[0]
                raise ConfigError(
                    here,
                    f"the mapping's value for {source.format(position)} is not valid YAML "
                    f"({problem}); {fix}",
                ) from None
        stream = propagate_stream(stream, parent_wins)
        stream.setdefault("type", "DeclarativeStream")
        streams.append(stream)
    return streams


def _precheck(
    entry: Mapping[str, Any], where: str, config: Mapping[str, Any], folder: Path | None
) -> None:
    """Before any request: raise ``Unsupported`` when the HTTP resolver's listing, or a
    component of its template that no mapping replaces, is one restsync cannot run (airtable's
    DynamicSchemaLoader, google-sheets' custom partition router): no stream it lists could run."""
    from restsync.airbyte._translate import Translator

    resolver = entry.get("components_resolver") or {}
    _listing_resources(resolver, f"{where}.components_resolver", config, folder)
    template = entry.get("stream_template")
    if not isinstance(template, Mapping):
        return
    at = f"{where}.stream_template"
    spec = propagate_stream(template, entry.get("use_parent_parameters", True) is not False)
    spec["name"] = str(spec.get("name") or "template")
    try:
        Translator(config, folder, {}, wanted=frozenset()).stream(spec, at, spec["name"], True)
    except Unsupported as problem:
        if problem.where.startswith(at) and _unmapped(problem, at, template, resolver):
            raise
    except (TemplateError, ConfigError):
        return  # the template's placeholders need the listed values: said at run time


def _unmapped(
    problem: Unsupported, at: str, template: Mapping[str, Any], resolver: Mapping[str, Any]
) -> bool:
    """Whether the component the problem names is in the template as written and no mapping
    sets it or a place above it (a mapping deeper inside cannot change its type)."""
    inner = problem.where[len(at) :].replace("[", ".").replace("]", "")
    parts = [p for p in inner.split(".") if p]
    node: Any = template
    for part in parts:
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            return False
    if not isinstance(node, Mapping) or node.get("type") != problem.component:
        return False
    whole = (*parts, "type")
    for mapping in resolver.get("components_mapping") or []:
        glob = tuple(str(p) for p in (mapping or {}).get("field_path") or [])
        if any(_matches(whole[:length], glob) for length in range(1, len(whole) + 1)):
            return False
    return True


@dataclass(frozen=True)
class _Mapping:
    field_path: list[Any]
    value: Any
    value_type: type | None
    condition: Any
    create_or_update: bool


def _mappings(resolver: Mapping[str, Any], at: str) -> list[_Mapping]:
    mappings = []
    for index, spec in enumerate(resolver.get("components_mapping") or []):
        here = f"{at}.components_mapping[{index}]"
        if not isinstance(spec, Mapping) or not isinstance(spec.get("field_path"), list):
            raise ConfigError(here, "a components mapping needs a 'field_path' list and a 'value'")
        if not isinstance(spec.get("value"), str):
            raise ConfigError(f"{here}.value", "the mapping's value must be a text (a template)")
        wanted = spec.get("value_type")
        mappings.append(
            _Mapping(
                field_path=list(spec["field_path"]),
                value=spec["value"],
                value_type=_TYPES.get(str(wanted)) if wanted else None,
                condition=spec.get("condition"),
                create_or_update=bool(spec.get("create_or_update")),
            )
        )
    return mappings


def _apply(
    stream: dict[str, Any],
    mapping: _Mapping,
    ai: Interpolator,
    scope: Mapping[str, Any],
    as_yaml: bool,
    with_conditions: bool,
    create: bool,
) -> None:
    if with_conditions and mapping.condition:
        if not truthy(ai.eval(mapping.condition, **scope)):
            return
    value = _render(mapping.value, ai, scope)
    wanted = mapping.value_type
    if wanted is not None and not isinstance(value, wanted):
        value = str(value) if wanted is str else value
    path = [_render(p, ai, scope) for p in mapping.field_path]
    if as_yaml and not (isinstance(value, str) and wanted is str):
        value = _yaml_value(value)
    changed = dpath_set(stream, [str(p) for p in path], value)
    if create and mapping.create_or_update and value and not changed:
        dpath_new(stream, [str(p) for p in path], value)


def _render(template: Any, ai: Interpolator, scope: Mapping[str, Any]) -> Any:
    """An ``InterpolatedString``: a plain text is kept as written, a template rendered and
    read back as a Python literal when it is one."""
    if not isinstance(template, str) or ("{{" not in template and "{%" not in template):
        return template
    return ai.string(template, **scope)


def _yaml_value(value: Any) -> Any:
    """airbyte-cdk's config and parametrized resolvers read a rendered text as YAML, keeping
    the text where it is no YAML (a Jinja expression, a '%Y-%m-%d' format, a tab)."""
    if not isinstance(value, str):
        return value
    try:
        return yaml.safe_load(value)
    except yaml.parser.ParserError:
        return value
    except yaml.scanner.ScannerError as exc:
        if "found '%'" in str(exc) or "'\\t' that cannot start" in str(exc):
            return value
        raise


# --- config lists -----------------------------------------------------------------------------


def _stream_configs(resolver: Mapping[str, Any]) -> list[Any]:
    specs = resolver.get("stream_config") or resolver.get("stream_configs")
    return specs if isinstance(specs, list) else [specs] if specs else []


def _config_values(
    resolver: Mapping[str, Any], config: Mapping[str, Any], at: str
) -> list[dict[str, Any]]:
    """One ``components_values`` per combination of an item of each stream config's list (the
    config's list, then its ``default_values``); a non-mapping item is kept under
    ``source_config_<i>`` as ``(its index, the item)``, as airbyte-cdk keeps it."""
    specs = _stream_configs(resolver)
    lists = []
    for index, spec in enumerate(specs):
        here = f"{at}.stream_config" + (f"[{index}]" if len(specs) > 1 else "")
        if not isinstance(spec, Mapping) or not isinstance(spec.get("configs_pointer"), list):
            raise ConfigError(here, "a StreamConfig needs a 'configs_pointer' list")
        ai = Interpolator(config, spec.get("$parameters"))
        path = [str(_render(p, ai, {})) for p in spec["configs_pointer"]]
        if any(any(c in p for c in "*?[") for p in path):
            raise Unsupported(f"{here}.configs_pointer", "StreamConfig", "a pointer with a glob")
        found: Any = config
        for part in path:
            found = found.get(part) if isinstance(found, Mapping) else None
        items = list(found) if isinstance(found, list) else [] if found is None else [found]
        items += list(spec.get("default_values") or [])
        lists.append(list(enumerate(items)))
    combinations = []
    for combination in product(*lists):
        merged: dict[str, Any] = {}
        for position, (item_index, item) in enumerate(combination):
            if isinstance(item, dict):
                merged.update(item)
            else:
                merged.setdefault(f"source_config_{position}", (item_index, item))
        combinations.append(merged)
        if len(combinations) > MAX_STREAMS:
            break
    return combinations


# --- dpath's set and new, on plain dicts and lists ---------------------------------------------


def dpath_set(node: Any, glob: list[str], value: Any) -> int:
    """Set every existing element whose path matches ``glob`` (fnmatch per segment, one ``**``
    for any number of segments) to ``value``; the number set."""
    changed = 0
    for path in [p for p, _ in _walk(node, ())]:
        if _exists(node, path) and _matches(path, tuple(glob)):
            _put(node, path, value)
            changed += 1
    return changed


def dpath_new(node: Any, path: list[str], value: Any) -> None:
    """Set ``value`` at ``path``, creating the mappings on the way."""
    for part in path[:-1]:
        key: Any = int(part) if isinstance(node, list) and part.isdigit() else part
        if isinstance(node, list):
            if not isinstance(key, int) or key >= len(node):
                return
            node = node[key]
            continue
        if not isinstance(node, dict):
            return
        if not isinstance(node.get(key), dict | list):
            node[key] = {}
        node = node[key]
    if path:
        _put_one(node, path[-1], value)


def _walk(node: Any, prefix: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, child in items:
        yield (*prefix, key), child
        if isinstance(child, dict | list) and child:
            yield from _walk(child, (*prefix, key))


def _exists(node: Any, path: tuple[Any, ...]) -> bool:
    for key in path:
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
        else:
            return False
    return True


def _matches(path: tuple[Any, ...], glob: tuple[str, ...]) -> bool:
    if "**" in glob:
        at = glob.index("**")
        if len(path) >= len(glob):
            glob = glob[:at] + ("*",) * (len(path) - len(glob) + 1) + glob[at + 1 :]
        elif len(path) == len(glob) - 1:
            glob = glob[:at] + glob[at + 1 :]
        else:
            return False
    if len(path) != len(glob):
        return False
    return all(fnmatch.fnmatchcase(str(p), g) for p, g in zip(path, glob, strict=True))


def _put(node: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _put_one(node: Any, key: str, value: Any) -> None:
    if isinstance(node, dict):
        node[key] = value
    elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
        node[int(key)] = value


# --- an HTTP resolver's records, fetched by restsync's engine ------------------------------------


def _listing_resources(
    resolver: Mapping[str, Any], at: str, config: Mapping[str, Any], folder: Path | None
) -> tuple[str, dict[str, ResourcePlan], str]:
    """The HTTP resolver's retriever translated as a stream of its own (its partitions and
    pages as any stream's): its name, its resources and its base URL."""
    from restsync.airbyte._translate import Translator

    name = "_" + at.split(".")[0].replace("[", "_").rstrip("]")
    spec = propagate_stream(
        {
            "type": "DeclarativeStream",
            "name": name,
            "retriever": resolver.get("retriever") or {},
            "$parameters": resolver.get("$parameters") or {},
        },
        parent_wins=False,
    )
    translator = Translator(config, folder, {}, wanted=frozenset({name}))
    try:
        translator.stream(spec, at, name, selected=True)
    except TemplateError as exc:
        raise Unsupported(at, "template", str(exc)) from None
    return name, dict(translator.resources), translator.base_url


def engine_fetch(
    manifest: Mapping[str, Any],
    config: Mapping[str, Any],
    folder: Path | None,
    base_url: str | None,
) -> Fetch:
    """Read an ``HttpComponentsResolver``'s retriever with restsync's engine, each record
    kept with the slice it came in."""

    def fetch(resolver: Mapping[str, Any], at: str) -> list[tuple[Any, Slice]]:
        name, resources, home = _listing_resources(resolver, at, config, folder)
        if base_url:
            resources = url_on(token_url_on(resources, base_url), base_url)
        listing = resources[name]
        resources[name] = replace(
            listing,
            select=_WithSlice(listing.select),
            primary_key=(),
            incremental=None,
            hints={},
            write_disposition="append",
        )
        plan = SourcePlan(
            name="dynamic_streams",
            base_url=base_url or home,
            headers={},
            auth=None,
            resources=resources,
            # one request at a time: the streams come in the order airbyte-cdk lists them
            # (slice by slice, page by page), a listing is a few requests
            max_concurrency=1,
            prefetch_pages=0,
            rate_limit=rate_budget(manifest),
            max_run_seconds=_FETCH_SECONDS,
        )
        records, error = _run_engine(plan, name)
        if error is not None:
            raise Unsupported(at, "HttpComponentsResolver", f"listing its streams failed: {error}")
        return [(r["values"], r["slice"]) for r in records[: MAX_STREAMS + 1]]

    return fetch


@dataclass(frozen=True)
class _WithSlice:
    """The retriever's own record selection, each record kept with its slice: the components
    mapping reads both (``components_values``, ``stream_slice``)."""

    select: Any

    def __call__(self, body: Any, headers: Mapping[str, str], parent: Any) -> list[Any]:
        records = self.select(body, headers, parent) if self.select else []
        stream_slice = parent if isinstance(parent, Slice) else Slice()
        return [{"values": r, "slice": stream_slice} for r in records]


class _Sink:
    def __init__(self, name: str) -> None:
        self.name = name
        self.got: list[Any] = []

    async def records(self, resource: str, records: list[Any]) -> list[Any]:
        if resource == self.name:
            self.got.extend(records)
        return []

    async def rejects(self, rejects: list[Any]) -> None:
        return None

    async def finished(self, resource: str, error: Any) -> None:
        return None


def _run_engine(plan: SourcePlan, name: str) -> tuple[list[Any], str | None]:
    """Run the engine for one resource in a thread of its own (the caller may be inside an
    event loop); its records and its error, if it failed."""
    from restsync._engine import Engine

    sink = _Sink(name)
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["report"] = asyncio.run(Engine(plan, sink, deliver={name}).run())
        except Exception as exc:  # reported as the listing's failure, never a traceback
            outcome["error"] = f"{type(exc).__name__}: {exc}"

    worker = threading.Thread(target=run, name="restsync-dynamic-streams", daemon=True)
    worker.start()
    worker.join(_FETCH_SECONDS + 30)
    if worker.is_alive():
        return [], f"no answer within {_FETCH_SECONDS + 30:.0f} s"
    if "error" in outcome:
        return [], str(outcome["error"])
    failure = outcome["report"].resources[name].error
    return sink.got, (str(failure) if failure is not None else None)
