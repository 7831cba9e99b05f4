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
from restsync.airbyte._async import job_slots, jobs_on
from restsync.airbyte._auth import token_url_on
from restsync.airbyte._budget import rate_budget
from restsync.airbyte._config_rules import normalized_config
from restsync.airbyte._dynamic import Dynamic, Fetch, dynamic_streams, engine_fetch
from restsync.airbyte._jinja import Interpolator, TemplateError
from restsync.airbyte._manifest import is_manifest, manifest_file, read_manifest, resolve_manifest
from restsync.airbyte._parts import Unsupported, refuse_stream_state
from restsync.airbyte._requests import truthy, url_on
from restsync.airbyte._spec import check_config
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


def checked_config(resolved: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    """The config the streams read (after the spec's normalization rules), refused with one
    sentence when it does not satisfy the spec, as airbyte-cdk refuses it before reading."""
    values = normalized_config(resolved, config)
    check_config(resolved, values)
    return values


def stream_problems(
    manifest: Mapping[str, Any] | str | Path, config: Mapping[str, Any] | str | Path | None = None
) -> dict[str, ConfigError]:
    """Every stream restsync cannot run, with the reason (``restsync check`` lists them all)."""
    document, folder = load_manifest(manifest)
    resolved = resolve_manifest(document)
    values = checked_config(resolved, load_user_config(config))
    named = _named(resolved, values, dynamic_streams(resolved, values, None, folder))
    return _problems(named, values, folder)


def _problems(
    named: Mapping[str, tuple[str, dict[str, Any]]], values: Mapping[str, Any], folder: Path | None
) -> dict[str, ConfigError]:
    streams = {name: spec for name, (_, spec) in named.items()}
    paths = {name: where for name, (where, _) in named.items()}
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
    resolve_requests: bool = False,
) -> SourcePlan:
    """Validate and translate a manifest; raise ``ConfigError`` for the first stream (of those
    selected) that restsync cannot run, saying which other streams can.

    ``resolve_requests``: resolve the ``dynamic_streams`` an API lists (HttpComponentsResolver)
    by sending its requests, as a run does; without it (``check``, ``plan``) they are named
    in ``extras['skipped_streams']`` as resolved at run time."""
    document, folder = load_manifest(manifest)
    resolved = resolve_manifest(document)
    values = checked_config(resolved, load_user_config(config))
    dynamic = dynamic_streams(resolved, values, None, folder)
    named = _named(resolved, values, dynamic)
    if resolve_requests and dynamic.pending and not (streams and set(streams) <= set(named)):
        # a run: what an API lists is resolved now, unless only other streams are selected
        fetch = engine_fetch(resolved, values, folder, base_url)
        dynamic = dynamic_streams(resolved, values, fetch, folder)
        named = _named(resolved, values, dynamic)
    all_streams = {name: spec for name, (_, spec) in named.items()}
    paths = {name: where for name, (where, _) in named.items()}
    skipped = _skipped(dynamic, list(all_streams), with_pending=not resolve_requests)
    if not all_streams and resolve_requests:  # only dynamic_streams, and none to run
        raise ConfigError(
            "dynamic_streams",
            next(iter(skipped.values()), "")
            or "the dynamic_streams resolve to no stream with this config; give the config "
            "lists their resolvers read, or check what the API lists",
        )
    wanted = list(streams) if streams else list(all_streams)
    unknown = [s for s in wanted if s not in all_streams]
    if unknown:
        later = " (and the dynamic_streams resolved at run time)" if dynamic.pending else ""
        raise ConfigError(
            "streams",
            f"unknown stream '{unknown[0]}'; the manifest has: {', '.join(all_streams)}{later}",
        )
    problems = _problems(named, values, folder)
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
    resources = job_slots(translator.resources, resolved)
    if page_format is not None:
        resources = {n: replace(r, page_format=page_format) for n, r in resources.items()}
    if base_url is not None:
        resources = jobs_on(url_on(token_url_on(resources, base_url), base_url), base_url)
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
        extras={"skipped_streams": skipped},
    )


def skipped_streams(
    manifest: Mapping[str, Any] | str | Path, config: Mapping[str, Any] | str | Path | None = None
) -> dict[str, str]:
    """The manifest's ``dynamic_streams`` that ``check`` and ``plan`` cannot show (an API
    lists their streams at run time) or that restsync cannot resolve, each (config path and
    template name) with the reason."""
    document, folder = load_manifest(manifest)
    resolved = resolve_manifest(document)
    values = checked_config(resolved, load_user_config(config))
    dynamic = dynamic_streams(resolved, values, None, folder)
    return _skipped(dynamic, list(_named(resolved, values, dynamic)))


def _skipped(dynamic: Dynamic, runnable: list[str], with_pending: bool = True) -> dict[str, str]:
    """Each unresolved dynamic stream's sentence, saying whether the other streams run; an
    entry an API lists at run time too (``check``, ``plan``), but not in a run that selected
    only other streams."""
    others = "the other streams still run" if runnable else "no other stream can run"
    reasons = {**dynamic.skipped, **(dynamic.pending if with_pending else {})}
    return {where: f"{reason}; {others}" for where, reason in reasons.items()}


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
    plan = plan_manifest(manifest, config, **options, resolve_requests=True)
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
            holds = truthy(Interpolator(config).eval(spec.get("condition"), False))
        except TemplateError as exc:
            raise ConfigError(
                f"{where}.condition", f"the condition cannot be read: {exc}"
            ) from None
        if holds:
            inner = spec.get("streams") or []
            listed += [(f"{where}.streams[{i}]", s) for i, s in enumerate(inner)]
    return listed


def _streams(
    resolved: Mapping[str, Any], config: Mapping[str, Any] | None = None, fetch: Fetch | None = None
) -> dict[str, dict[str, Any]]:
    """The manifest's streams by name (in its order, the dynamic ones last), for this config."""
    dynamic = dynamic_streams(resolved, config or {}, fetch)
    return {name: spec for name, (_, spec) in _named(resolved, config or {}, dynamic).items()}


def _named(
    resolved: Mapping[str, Any], config: Mapping[str, Any], dynamic: Dynamic
) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each stream by name with its config path (``streams[3]``, ``streams[28].streams[0]``,
    ``dynamic_streams[0].stream_template``)."""
    streams: dict[str, tuple[str, dict[str, Any]]] = {}
    for where, spec in listed_streams(resolved.get("streams"), config):
        if not isinstance(spec, Mapping):
            raise ConfigError(where, "a stream must be a mapping with a 'name'")
        name = spec.get("name") or (spec.get("$parameters") or {}).get("name")
        if not name:
            raise ConfigError(f"{where}.name", "the stream has no name; add 'name: <stream>'")
        streams[str(name)] = (where, dict(spec))
    for where, spec in dynamic.streams:
        name = str(spec["name"])
        if name in streams:
            raise ConfigError(
                where.split(".")[0],
                f"it resolves a stream named '{name}', which {streams[name][0]} already is; "
                "give one of them another name",
            )
        streams[name] = (where, spec)
    if not streams and resolved.get("dynamic_streams"):
        return streams  # none resolved with this config, or an API lists them at run time
    if not streams:
        raise ConfigError("streams", "the manifest declares no streams")
    return streams
