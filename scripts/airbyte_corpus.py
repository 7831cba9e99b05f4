"""Coverage on real manifests: which streams restsync translates and which it rejects, and why.

    .venv/bin/python scripts/airbyte_corpus.py FOLDER [CONFIG.json]

FOLDER holds manifest.yaml files (kept locally, not in this repository). A config is built from
each manifest's spec defaults when none is given (with placeholder values for the rest), since
translation needs config values but no network. Prints one line per manifest and the totals.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from restsync import ConfigError  # noqa: E402
from restsync.airbyte import plan_manifest, stream_problems  # noqa: E402

_PLACEHOLDERS = {"start_date": "2024-01-01T00:00:00Z", "end_date": "2024-01-31T00:00:00Z"}


def placeholder_config(manifest: dict[str, Any], folder: Path | None = None) -> dict[str, Any]:
    """A config the spec accepts: defaults, a spec's first enum value or example, the first
    option of a ``oneOf`` (with its constants), and placeholders for the rest. Older connectors
    keep their spec in ``spec.json``/``spec.yaml`` beside the manifest."""
    spec = manifest.get("spec") or _spec_file(folder) or {}
    return _object_value(
        spec.get("connection_specification") or spec.get("connectionSpecification") or {}
    )


def _spec_file(folder: Path | None) -> dict[str, Any] | None:
    for name in ("spec.json", "spec.yaml"):
        if folder is not None and (folder / name).is_file():
            return yaml.safe_load((folder / name).read_text())  # JSON is YAML too
    return None


def _object_value(schema: dict[str, Any]) -> dict[str, Any]:
    """An object's own properties and those of its first ``oneOf`` (or ``anyOf``) option: an
    object must satisfy both, and the option's constants are often what a template reads
    (``config['region']['url_base']``)."""
    options = [o for o in schema.get("oneOf") or schema.get("anyOf") or [] if isinstance(o, dict)]
    properties = (
        {**(schema.get("properties") or {}), **(options[0].get("properties") or {})}
        if options
        else schema.get("properties") or {}
    )
    required = set(schema.get("required") or []) | set(
        (options[0].get("required") or []) if options else []
    )
    config: dict[str, Any] = {}
    for name, prop in properties.items():
        if isinstance(prop, dict):
            if name not in required and prop.get("airbyte_hidden") and "default" not in prop:
                # a field the form never shows (google-search-console's deprecated
                # custom_reports, which a config migration would copy over its successor):
                # a user's config does not have it
                continue
            value = _value(name, prop, invent=name in required)
            # an optional field no placeholder satisfies (cimis' hourly_data_items: an array whose
            # enum lists texts; plausible's api_url, whose own example its pattern refuses) is
            # left out, as a user would leave it: airbyte-cdk checks the config against the
            # spec and would refuse the whole config for it
            if name in required or _accepts(prop, value):
                config[name] = value
    return config


def _accepts(prop: dict[str, Any], value: Any) -> bool:
    """Whether the field's whole schema accepts the value (a schema jsonschema cannot read
    is not ours to judge)."""
    try:
        return jsonschema.Draft7Validator(prop).is_valid(value)
    except (jsonschema.SchemaError, RecursionError):
        return True


def _value(name: str, prop: dict[str, Any], invent: bool = True) -> Any:
    """A value for the field ``name`` of schema ``prop``; ``invent``: a text the field's
    pattern alone describes may be made up (a required field: the config needs one)."""
    for key in ("const", "default"):
        if key in prop:
            # a number's default written as text (reddit's limit: "1000"): as a user gives it,
            # a number, since airbyte-cdk checks the config against the spec
            value = prop[key]
            if isinstance(value, dict) and isinstance(value.get("properties"), dict):
                # a schema written where its value belongs (survey-sparrow's region default is
                # the "Global account" option itself): the value that option describes
                return _object_value(value)
            numeric = prop.get("type") in ("integer", "number")
            value = _typed(value, prop.get("type")) if numeric and isinstance(value, str) else value
            # a default the field itself refuses (tiktok-marketing's credentials default to {},
            # which none of its options accepts) is no value: airbyte-cdk would refuse it
            if key == "const" or _accepts(prop, value):
                return value
    if prop.get("enum"):
        return prop["enum"][0]
    example = _as_text((prop.get("examples") or [None])[0], prop.get("type"))
    # an example like "YYYY-MM-DD" describes a format; it is no value, and neither is one the
    # field's own pattern or format refuses (a user's value would follow those)
    if (
        example is not None
        and not isinstance(example, (dict, list))
        and "YYYY" not in str(example)
        and (not isinstance(example, str) or _fits(example, prop))
    ):
        return _typed(example, prop.get("type"))
    options = [o for o in prop.get("oneOf") or prop.get("anyOf") or [] if isinstance(o, dict)]
    if prop.get("type") == "object" or any("properties" in o for o in options):
        return _object_value(prop)
    if options:  # one of some plain types (``anyOf: [{type: string}, {type: "null"}]``)
        return _value(
            name,
            {**{k: v for k, v in prop.items() if k not in ("oneOf", "anyOf")}, **options[0]},
            invent,
        )
    kind = prop.get("type")
    kind = next((k for k in kind if k != "null"), "string") if isinstance(kind, list) else kind
    if kind == "array":
        items = prop.get("items")
        return [_value(name, items, invent) if isinstance(items, dict) and items else "a"]
    if kind in ("integer", "number", "boolean"):
        return {"integer": 1, "number": 1, "boolean": True}[kind]
    candidates = _dates(name, prop)
    if any(word in name.lower() for word in ("url", "host")):
        candidates.append("https://example.com")  # a url_base is often built from it
    candidates += _TEXTS
    fitting = next((c for c in candidates if _fits(c, prop)), None)
    if fitting is None and invent and isinstance(prop.get("pattern"), str):
        # a required text of a shape no placeholder has (paystack's secret_key
        # "^(s|r)k_(live|test)_[a-zA-Z0-9]+$", trello's 24 hex digits): the simplest text the
        # pattern matches, as the spec check wants one
        fitting = _matching_text(prop["pattern"])
        fitting = fitting if fitting is not None and _fits(fitting, prop) else None
    # nothing fits: the spec's own example all the same, as a user would copy it (the spec
    # check names the field: a manifest that asks for what its own pattern refuses)
    fallback = example if isinstance(example, str) and "YYYY" not in example else "x"
    return fitting if fitting is not None else fallback


@lru_cache(maxsize=256)
def _matching_text(pattern: str) -> str | None:
    """The simplest text JSON schema's ``pattern`` (a search, as ``re.search``) accepts, found
    by hypothesis' ``from_regex`` and shrunk to its minimal example (derandomized: the same
    text on every run), or ``None`` when there is none or the pattern is not Python's."""
    from hypothesis import HealthCheck, find, settings
    from hypothesis import strategies as st
    from hypothesis.errors import HypothesisException

    quiet = settings(
        database=None,
        derandomize=True,
        max_examples=50,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    try:
        text = find(st.from_regex(pattern), lambda _: True, settings=quiet)
    except (HypothesisException, re.error):
        return None
    return text if _search(pattern, text) else None


def _fits(text: str, prop: dict[str, Any]) -> bool:
    """Whether a text is one the field's ``pattern`` and date ``format`` accept."""
    pattern = prop.get("pattern")
    if pattern:
        # the pattern is what the spec check tests; a ``format`` beside it is only a note
        # (coingecko-coins' "format: date" over "^[0-9]{2}-[0-9]{2}-[0-9]{4}$")
        return _search(pattern, text)
    wanted = _FORMATS.get(str(prop.get("format")))
    return wanted is None or re.fullmatch(wanted, text) is not None


def _search(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:  # a JSON-schema pattern Python's re cannot read: not ours to judge
        return True


# JSON schema's date formats, as airbyte-cdk's config check reads them
_FORMATS = {
    "date": r"\d{4}-\d{2}-\d{2}",
    "date-time": r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?",
}

# a date format a field's description or title spells out ("in YYYYMMDD or YYYYMMDDHH
# format"), longest first, and its strftime form
_SPELLED = [
    ("YYYY-MM-DDTHH:MM:SSZ", "%Y-%m-%dT%H:%M:%SZ"),
    ("YYYY-MM-DDTHH:MM:SS", "%Y-%m-%dT%H:%M:%S"),
    ("YYYY-MM-DD HH:MM:SS", "%Y-%m-%d %H:%M:%S"),
    ("YYYY-MM-DD", "%Y-%m-%d"),
    ("YYYYMMDD", "%Y%m%d"),
    ("DD/MM/YYYY HH:MM", "%d/%m/%Y %H:%M"),
    ("DD-MM-YYYY", "%d-%m-%Y"),
    ("MM/DD/YYYY", "%m/%d/%Y"),
    ("DD/MM/YYYY", "%d/%m/%Y"),
]


def _dates(name: str, prop: dict[str, Any]) -> list[str]:
    """Date texts for a field that asks for a date: by its name, its format, or the format its
    description spells out (the first one it names); an end a month after the start."""
    # (or its example: datascope's "dd/mm/YYYY HH:MM" for a pattern of digits)
    examples = " ".join(str(e) for e in prop.get("examples") or [])
    words = f"{prop.get('description', '')} {prop.get('title', '')} {examples}".upper()
    spelled = [fmt for text, fmt in _SPELLED if text in words]
    first = min(spelled, key=lambda f: words.find(_spelled_text(f))) if spelled else None
    if not (first or "date" in name or prop.get("format") in _FORMATS):
        return []
    day = datetime(2024, 1, 31 if "end" in name.lower() else 1, tzinfo=UTC)
    found = [day.strftime(first)] if first else []
    return [*found, _PLACEHOLDERS.get(name, day.strftime("%Y-%m-%dT%H:%M:%SZ"))]


def _spelled_text(strftime: str) -> str:
    return next(text for text, fmt in _SPELLED if fmt == strftime)


def _as_text(example: Any, kind: Any) -> Any:
    """A text field's example written as a JSON scalar (tmdb's ``550``, gutendex's ``true``) as
    the text a user gives: airbyte-cdk checks the config against the spec, so ``550`` fails
    "is not of type 'string'" and the CDK reads nothing."""
    if kind == "string" and isinstance(example, (bool, int, float)):
        return json.dumps(example)  # true, not Python's True
    return example


def _typed(example: Any, kind: Any) -> Any:
    """A spec's example as its declared type (examples of integers are often written as text)."""
    try:
        if kind == "integer" or (isinstance(kind, list) and "integer" in kind):
            return int(example)
        if kind == "number" or (isinstance(kind, list) and "number" in kind):
            # "1000" as a user's JSON config has it: 1000, not 1000.0
            return int(example) if str(example).strip().lstrip("-").isdigit() else float(example)
    except (TypeError, ValueError):
        pass
    if kind == "array" or (isinstance(kind, list) and "array" in kind):
        return [example]
    return example


# texts a spec's pattern may accept, tried in order
_TEXTS = [
    "x",
    "2024-01-01T00:00:00Z",
    "2024-01-01",
    "2024-01-01T00:00:00.000Z",
    "2024-01-01 00:00:00",
    "2024-01-01T00:00:00",
    "https://example.com",
    "1",
]


def manifest_paths(folder: str) -> list[Path]:
    """``FOLDER/*.yaml`` and ``FOLDER/<connector>/manifest.yaml`` (a connector's own folder
    keeps its ``schemas/`` beside the manifest)."""
    root = Path(folder)
    return sorted([*root.glob("*.yaml"), *root.glob("*/manifest.yaml")])


def connector_name(path: Path) -> str:
    return path.parent.name if path.name == "manifest.yaml" else path.name


def main(folder: str, config_path: str | None = None) -> None:
    manifests = manifest_paths(folder)
    whole = streams_ok = streams_total = 0
    for path in manifests:
        document = yaml.safe_load(path.read_text())
        config = (
            json.loads(Path(config_path).read_text())
            if config_path
            else placeholder_config(document, path.parent)
        )
        for key, value in _PLACEHOLDERS.items():
            config.setdefault(key, value)
        try:
            problems, plan = translate(path, config)
        except ConfigError as exc:
            print(f"{connector_name(path)}: rejected: {exc}")
            continue
        except Exception as exc:  # a bug in restsync: counted and named, the survey goes on
            print(f"{connector_name(path)}: CRASHED: {type(exc).__name__}: {exc}")
            continue
        names = [n for n in stream_names(path, config)]
        streams_total += len(names)
        streams_ok += len(names) - len(problems)
        if plan is not None:
            whole += 1
            print(f"{connector_name(path)}: ok ({len(names)} streams)")
        else:
            print(f"{connector_name(path)}: {len(names) - len(problems)}/{len(names)} streams")
            for problem in problems.values():
                print(f"   {problem}")
    print(
        f"{whole}/{len(manifests)} manifests pass check whole; "
        f"{streams_ok}/{streams_total} streams translate"
    )


def translate(path: Path, config: dict[str, Any]) -> tuple[Any, Any]:
    """Translate; a placeholder date in the wrong format is re-written in the format the
    manifest asks for (the placeholders stand in for a user's real config)."""
    for _ in range(3):
        try:
            problems = stream_problems(path, config)
            return problems, (plan_manifest(path, config) if not problems else None)
        except ConfigError as exc:
            wanted = re.search(
                r"the datetime '([^']*)' does not match the format '([^']+)'", exc.message
            )
            if not wanted:
                raise
            refused, form = wanted.groups()
            text = datetime(2024, 1, 1, tzinfo=UTC).strftime(form)
            fields = _spec_properties(path)
            # the placeholder dates, and any value that is the refused one (a spec's example
            # in another format), where the spec takes the text: babelforce's spec wants an
            # integer where its cursor parses '%Y-%m-%dT%H:%M:%SZ', which no config satisfies
            # (airbyte-cdk fails on it too), and the refusal says so
            keys = [*_PLACEHOLDERS, *(k for k, v in config.items() if str(v) == refused)]
            changed = [k for k in keys if k not in fields or _accepts(fields[k], text)]
            if not changed:
                raise
            for key in changed:
                config[key] = text
    return stream_problems(path, config), None


def _spec_properties(path: Path) -> dict[str, Any]:
    """The top-level fields of the manifest's spec (none when it has no readable spec)."""
    document = yaml.safe_load(path.read_text())
    spec = (document.get("spec") if isinstance(document, dict) else None) or {}
    schema = spec.get("connection_specification") or spec.get("connectionSpecification") or {}
    properties = schema.get("properties") if isinstance(schema, dict) else None
    return properties if isinstance(properties, dict) else {}


def stream_names(path: Path, config: dict[str, Any]) -> list[str]:
    from restsync.airbyte._manifest import resolve_manifest
    from restsync.airbyte._source import _streams

    return list(_streams(resolve_manifest(yaml.safe_load(path.read_text())), config))


if __name__ == "__main__":
    main(*sys.argv[1:])
