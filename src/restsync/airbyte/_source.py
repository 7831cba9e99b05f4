"""Public entry points: ``plan_manifest`` (validate and translate) and ``airbyte_source``."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypedDict, Unpack

from restsync._errors import ConfigError
from restsync._plan import SourcePlan
from restsync.airbyte._auth import token_url_on
from restsync.airbyte._budget import rate_budget
from restsync.airbyte._config_rules import normalized_config
from restsync.airbyte._jinja import Interpolator, TemplateError
from restsync.airbyte._manifest import is_manifest, manifest_file, read_manifest, resolve_manifest
from restsync.airbyte._parts import Unsupported, refuse_stream_state
from restsync.airbyte._requests import _truthy, url_on
from restsync.airbyte._translate import Translator, config_error

log = logging.getLogger("restsync")

__all__ = [
    "airbyte_source",
    "is_manifest",
    "load_manifest",
    "manifest_file",
    "plan_manifest",
    "stream_problems",
]


def load_manifest(manifest: Mapping[str, Any] | str | Path) -> tuple[dict[str, Any], Path | None]:
    """The manifest as a dict and the folder it came from (for JsonFileSchemaLoader files)."""
    if isinstance(manifest, Mapping):
        if not is_manifest(manifest):
            raise ConfigError("", "this is not an Airbyte manifest (no 'type: DeclarativeSource')")
        return dict(manifest), None
    path = Path(manifest)
    return read_manifest(path), path.parent


def load_user_config(config: Mapping[str, Any] | str | Path | None) -> dict[str, Any]:
    if config is None:
        return {}
    if isinstance(config, Mapping):
        return dict(config)
    path = Path(config)
    try:
        loaded = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(
            "--config", f"{path} does not exist; give the connector's config JSON"
        ) from None
    except json.JSONDecodeError as exc:
        raise ConfigError(
            "--config", f"{path} is not valid JSON (line {exc.lineno}): {exc.msg}"
        ) from None
    if not isinstance(loaded, dict):
        raise ConfigError("--config", f"{path} must hold a JSON object")
    return loaded


def stream_problems(
    manifest: Mapping[str, Any] | str | Path, config: Mapping[str, Any] | str | Path | None = None
) -> dict[str, ConfigError]:
    """Every stream restsync cannot run, with the reason (``restsync check`` lists them all)."""
    document, folder = load_manifest(manifest)
    resolved = resolve_manifest(document)
    values = normalized_config(resolved, load_user_config(config))
    return _problems(resolved, values, folder)


def _problems(
    resolved: Mapping[str, Any], values: Mapping[str, Any], folder: Path | None
) -> dict[str, ConfigError]:
    streams, paths = _streams(resolved, values), _paths(resolved, values)
    problems: dict[str, Unsupported] = {}
    for name, spec in streams.items():
        translator = Translator(values, folder, streams, wanted=frozenset(streams))
        try:
            refuse_stream_state(spec, paths[name])
            translator.stream(spec, paths[name], name, selected=True)
        except Unsupported as problem:
            problems[name] = problem
        except TemplateError as exc:  # a template the sandbox refuses, met while translating
            problems[name] = Unsupported(paths[name], "template", str(exc))
    runnable = [n for n in streams if n not in problems]
    return {n: config_error(p, n, runnable) for n, p in problems.items()}


def plan_manifest(
    manifest: Mapping[str, Any] | str | Path,
    config: Mapping[str, Any] | str | Path | None = None,
    *,
    name: str = "airbyte",
    streams: Sequence[str] | None = None,
    base_url: str | None = None,
    page_format: str | None = None,
) -> SourcePlan:
    """Validate and translate a manifest; raise ``ConfigError`` for the first stream (of those
    selected) that restsync cannot run, saying which other streams can."""
    document, folder = load_manifest(manifest)
    resolved = resolve_manifest(document)
    values = normalized_config(resolved, load_user_config(config))
    all_streams, paths = _streams(resolved, values), _paths(resolved, values)
    wanted = list(streams) if streams else list(all_streams)
    unknown = [s for s in wanted if s not in all_streams]
    if unknown:
        raise ConfigError(
            "streams", f"unknown stream '{unknown[0]}'; the manifest has: {', '.join(all_streams)}"
        )
    problems = _problems(resolved, values, folder)
    blocking = [problems[s] for s in wanted if s in problems]
    if blocking:
        raise blocking[0]
    translator = Translator(values, folder, all_streams, wanted=frozenset(wanted))
    for stream in all_streams:
        if stream in wanted:
            try:
                translator.stream(all_streams[stream], paths[stream], stream, selected=True)
            except Unsupported as problem:  # pragma: no cover - stream_problems found them all
                raise config_error(problem, stream, []) from None
    resources = translator.resources
    if page_format is not None:
        resources = {n: replace(r, page_format=page_format) for n, r in resources.items()}
    if base_url is not None:
        resources = url_on(token_url_on(resources, base_url), base_url)
    # no source-wide auth: each stream sends its own authenticator's credentials or none, as
    # in airbyte-cdk (a stream without one must not borrow a sibling's, maybe another origin's)
    return SourcePlan(
        name=name,
        base_url=base_url or translator.base_url,
        headers={},
        auth=None,
        resources=resources,
        max_concurrency=_concurrency(resolved, values),
        prefetch_pages=0,
        rate_limit=rate_budget(resolved),
        extras={"skipped_streams": skipped_dynamic(resolved)},
    )


_RESOLVED_BY = {
    "HttpComponentsResolver": "its streams are listed by an API request at run time",
    "ConfigComponentsResolver": "its streams are built from a list in the config at run time",
    "ParametrizedComponentsResolver": "its streams are built from the manifest's parameter lists",
}


def skipped_streams(manifest: Mapping[str, Any] | str | Path) -> dict[str, str]:
    """The manifest's ``dynamic_streams`` restsync does not run beside its ``streams``, each
    (config path and template name) with the reason (``restsync check`` and ``plan`` say so)."""
    document, _ = load_manifest(manifest)
    return skipped_dynamic(resolve_manifest(document))


def skipped_dynamic(resolved: Mapping[str, Any]) -> dict[str, str]:
    skipped: dict[str, str] = {}
    dynamic = resolved.get("dynamic_streams")
    for index, spec in enumerate(dynamic if isinstance(dynamic, list) else []):
        spec = spec if isinstance(spec, Mapping) else {}
        template = spec.get("stream_template")
        template = template if isinstance(template, Mapping) else {}
        named = spec.get("name") or template.get("name")
        where = f"dynamic_streams[{index}]" + (f" (template '{named}')" if named else "")
        resolver = spec.get("components_resolver")
        kind = str(resolver.get("type")) if isinstance(resolver, Mapping) else "no resolver"
        why = _RESOLVED_BY.get(kind, "its streams are resolved at run time")
        skipped[where] = (
            f"{where} is not run: restsync does not run dynamic_streams yet ({kind}: {why}); "
            "only the manifest's 'streams' run"
        )
    return skipped


def _concurrency(resolved: Mapping[str, Any], values: Mapping[str, Any]) -> int:
    """The manifest's ``concurrency_level`` (requests in flight), else restsync's default."""
    level = resolved.get("concurrency_level")
    if not isinstance(level, Mapping):
        return 16
    ai = Interpolator(values, level.get("$parameters"))
    try:
        wanted = int(ai.eval(level.get("default_concurrency")) or 16)
        ceiling = level.get("max_concurrency")
        return max(1, min(wanted, int(ceiling)) if ceiling else wanted)
    except (TypeError, ValueError):
        raise ConfigError(
            "concurrency_level.default_concurrency",
            "the concurrency level is not a number with this config; give a whole number",
        ) from None


class ManifestOptions(TypedDict, total=False):
    """``airbyte_source`` takes what ``plan_manifest`` takes, with the same defaults."""

    name: str
    streams: Sequence[str] | None
    base_url: str | None
    page_format: str | None


def airbyte_source(
    manifest: Mapping[str, Any] | str | Path,
    config: Mapping[str, Any] | str | Path | None = None,
    **options: Unpack[ManifestOptions],
) -> Any:
    """A dlt source that runs an Airbyte manifest's streams with restsync's engine; the
    keyword options are ``plan_manifest``'s (name, streams, base_url, page_format)."""
    from restsync._api import _OVERRIDES, note_built
    from restsync._load import build_source

    options["base_url"] = options.get("base_url") or _OVERRIDES.get().get("base_url")
    plan = plan_manifest(manifest, config, **options)
    for reason in plan.extras.get("skipped_streams", {}).values():
        log.warning("%s", reason)
    source = build_source(plan)
    note_built(source)  # a Python config file may build it: the loader finds it
    return source


def listed_streams(streams: Any, config: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """The manifest's ``streams`` list as (config path, stream), a ``ConditionalStreams`` entry
    replaced by its streams when its condition holds for this config and by nothing when it
    does not, as airbyte-cdk lists them (tiktok-marketing's sandbox-only streams)."""
    if not isinstance(streams or [], list):
        raise ConfigError("streams", "streams must be a list of stream definitions")
    listed: list[tuple[str, Mapping[str, Any]]] = []
    for index, spec in enumerate(streams or []):
        where = f"streams[{index}]"
        if not isinstance(spec, Mapping) or spec.get("type") != "ConditionalStreams":
            listed.append((where, spec))
            continue
        try:
            holds = _truthy(Interpolator(config).eval(spec.get("condition"), False))
        except TemplateError as exc:
            raise ConfigError(
                f"{where}.condition", f"the condition cannot be read: {exc}"
            ) from None
        if holds:
            inner = spec.get("streams") or []
            listed += [(f"{where}.streams[{i}]", s) for i, s in enumerate(inner)]
    return listed


def _streams(
    resolved: Mapping[str, Any], config: Mapping[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """The manifest's streams by name (in its order), for this config."""
    return {name: spec for name, (_, spec) in _named(resolved, config or {}).items()}


def _paths(resolved: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, str]:
    """Each stream's config path (``streams[3]``, ``streams[28].streams[0]``)."""
    return {name: where for name, (where, _) in _named(resolved, config).items()}


def _named(
    resolved: Mapping[str, Any], config: Mapping[str, Any]
) -> dict[str, tuple[str, dict[str, Any]]]:
    streams: dict[str, tuple[str, dict[str, Any]]] = {}
    for where, spec in listed_streams(resolved.get("streams"), config):
        if not isinstance(spec, Mapping):
            raise ConfigError(where, "a stream must be a mapping with a 'name'")
        name = spec.get("name") or (spec.get("$parameters") or {}).get("name")
        if not name:
            raise ConfigError(f"{where}.name", "the stream has no name; add 'name: <stream>'")
        streams[str(name)] = (where, dict(spec))
    if not streams and resolved.get("dynamic_streams"):
        raise ConfigError(
            "dynamic_streams",
            "the manifest declares only dynamic_streams, which restsync cannot run yet",
        )
    if not streams:
        raise ConfigError("streams", "the manifest declares no streams")
    return streams
