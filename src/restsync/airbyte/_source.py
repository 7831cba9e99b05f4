"""Public entry points: ``plan_manifest`` (validate and translate) and ``airbyte_source``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypedDict, Unpack

from restsync._errors import ConfigError
from restsync._plan import SourcePlan
from restsync.airbyte._auth import token_url_on
from restsync.airbyte._budget import rate_budget
from restsync.airbyte._config_rules import normalized_config
from restsync.airbyte._jinja import TemplateError
from restsync.airbyte._manifest import is_manifest, manifest_file, read_manifest, resolve_manifest
from restsync.airbyte._parts import Unsupported, refuse_stream_state
from restsync.airbyte._requests import url_on
from restsync.airbyte._translate import Translator, config_error

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
    return _problems(_streams(resolved), values, folder)


def _problems(
    streams: Mapping[str, Mapping[str, Any]], values: Mapping[str, Any], folder: Path | None
) -> dict[str, ConfigError]:
    problems: dict[str, Unsupported] = {}
    for index, (name, spec) in enumerate(streams.items()):
        translator = Translator(values, folder, streams, wanted=frozenset(streams))
        try:
            refuse_stream_state(spec, f"streams[{index}]")
            translator.stream(spec, f"streams[{index}]", name, selected=True)
        except Unsupported as problem:
            problems[name] = problem
        except TemplateError as exc:  # a template the sandbox refuses, met while translating
            problems[name] = Unsupported(f"streams[{index}]", "template", str(exc))
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
    all_streams = _streams(resolved)
    wanted = list(streams) if streams else list(all_streams)
    unknown = [s for s in wanted if s not in all_streams]
    if unknown:
        raise ConfigError(
            "streams", f"unknown stream '{unknown[0]}'; the manifest has: {', '.join(all_streams)}"
        )
    problems = _problems(all_streams, values, folder)
    blocking = [problems[s] for s in wanted if s in problems]
    if blocking:
        raise blocking[0]
    translator = Translator(values, folder, all_streams, wanted=frozenset(wanted))
    for index, stream in enumerate(all_streams):
        if stream in wanted:
            try:
                translator.stream(all_streams[stream], f"streams[{index}]", stream, selected=True)
            except Unsupported as problem:  # pragma: no cover - stream_problems found them all
                raise config_error(problem, stream, []) from None
    resources = translator.resources
    if page_format is not None:
        resources = {n: replace(r, page_format=page_format) for n, r in resources.items()}
    if base_url is not None:
        resources = url_on(token_url_on(resources, base_url), base_url)
    auth = next((r.auth for r in resources.values() if r.auth is not None), None)
    return SourcePlan(
        name=name,
        base_url=base_url or translator.base_url,
        headers={},
        auth=auth,
        resources=resources,
        max_concurrency=_concurrency(resolved, values),
        prefetch_pages=0,
        rate_limit=rate_budget(resolved),
    )


def _concurrency(resolved: Mapping[str, Any], values: Mapping[str, Any]) -> int:
    """The manifest's ``concurrency_level`` (requests in flight), else restsync's default."""
    from restsync.airbyte._jinja import Interpolator

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
    source = build_source(plan)
    note_built(source)  # a Python config file may build it: the loader finds it
    return source


def _streams(resolved: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    streams: dict[str, dict[str, Any]] = {}
    for index, spec in enumerate(resolved.get("streams") or []):
        if not isinstance(spec, Mapping):
            raise ConfigError(f"streams[{index}]", "a stream must be a mapping with a 'name'")
        name = spec.get("name") or (spec.get("$parameters") or {}).get("name")
        if not name:
            raise ConfigError(
                f"streams[{index}].name", "the stream has no name; add 'name: <stream>'"
            )
        streams[str(name)] = dict(spec)
    if not streams and resolved.get("dynamic_streams"):
        raise ConfigError(
            "dynamic_streams",
            "the manifest declares only dynamic_streams, which restsync cannot run yet",
        )
    if not streams:
        raise ConfigError("streams", "the manifest declares no streams")
    return streams
