"""Read an Airbyte low-code manifest: recognise it, resolve ``$ref``, propagate ``$parameters``.

A manifest is recognised by its shape (``type: DeclarativeSource`` or ``version`` with
``streams``/``definitions``). References are resolved the way the declarative CDK documents them:
``$ref: "#/definitions/x"`` (a JSON pointer into the manifest; sibling keys replace the values they
collide with, shallowly) and the older ``"*ref(definitions.x)"`` strings. ``$parameters`` flow
from a component to every component inside it (the inner one wins), and a parameter fills a field
its component leaves unset, so ``$parameters: {path: users}`` sets a requester's ``path``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from restsync._errors import ConfigError

__all__ = [
    "is_manifest",
    "load_yaml",
    "manifest_file",
    "propagate_stream",
    "read_manifest",
    "resolve_manifest",
]

_LEGACY_REF = re.compile(r"^\*ref\(([\w.\-/]+)\)$")
_MAX_DEPTH = 64  # a reference chain deeper than this is a cycle
# libyaml builds nested collections by recursion in C: ~100,000 levels crash the process (no
# exception). Real manifests nest < 20 deep; past this, the pure-Python loader reads the text.
_MAX_C_NESTING = 1_000
_C_LOADER: type[yaml.SafeLoader] | None = getattr(yaml, "CSafeLoader", None)


def is_manifest(document: Any) -> bool:
    """Whether a loaded YAML/JSON document is an Airbyte declarative manifest."""
    if not isinstance(document, Mapping):
        return False
    if document.get("type") == "DeclarativeSource":
        return True
    return (
        "version" in document
        and ("streams" in document or "definitions" in document)
        and ("resources" not in document and "client" not in document)
    )


def manifest_file(source: str) -> Path | None:
    """``source`` as a manifest path, if it is a YAML/JSON file holding an Airbyte manifest."""
    path = Path(source)
    if path.suffix.lower() not in (".yaml", ".yml", ".json") or not path.is_file():
        return None
    try:
        document = load_yaml(path.read_text())
    except Exception:  # not ours to report: the ordinary config loader says what is wrong
        return None
    return path if is_manifest(document) else None


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        document = load_yaml(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError("", f"{path.name} is not valid YAML: {exc}") from None
    except RecursionError:
        raise ConfigError(
            "", f"{path.name} nests its YAML too deeply to read; flatten it"
        ) from None
    if not is_manifest(document):
        raise ConfigError(
            "", f"{path.name} is not an Airbyte manifest (no 'type: DeclarativeSource')"
        )
    return document  # type: ignore[no-any-return]


def load_yaml(text: str) -> Any:
    """``yaml.safe_load(text)``, through libyaml when PyYAML has it (as airbyte-cdk reads a
    manifest: 3-8x less CPU on a large one, e.g. 2.3 -> 0.7 s for a 1.2 MB manifest).

    The text's events are counted first (libyaml's parser is iterative), so a text nested deeper
    than ``_MAX_C_NESTING`` never reaches libyaml's recursive node builder; and a text libyaml
    refuses is read again by the pure-Python loader, whose error messages are the ones users see."""
    if _C_LOADER is None or _nesting(text) > _MAX_C_NESTING:
        return yaml.safe_load(text)
    try:
        return yaml.load(text, Loader=_C_LOADER)
    except yaml.YAMLError:
        return yaml.safe_load(text)


def _nesting(text: str) -> int:
    """How deep the text's collections nest, stopping once past ``_MAX_C_NESTING``."""
    depth = deepest = 0
    try:
        for event in yaml.parse(text, Loader=_C_LOADER or yaml.SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > deepest:
                    deepest = depth
                    if deepest > _MAX_C_NESTING:
                        break
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        pass  # the load reports it
    return deepest


def resolve_manifest(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest with every reference replaced by its target and parameters propagated.

    ``dynamic_streams`` get their ``$parameters`` pushed down but no field filled from them yet:
    a components mapping may change a parameter, and each resolved stream is then propagated
    again (``propagate_stream``), as airbyte-cdk propagates a template once when it loads the
    manifest and each stream it resolves from it once more."""
    resolved = _Resolver(manifest).resolve(manifest, "", 0)
    dynamic = resolved.pop("dynamic_streams", None) if isinstance(resolved, dict) else None
    propagated: dict[str, Any] = _propagate(resolved, "", {})
    if dynamic is not None:
        root = propagated.get("$parameters") or {}
        propagated["dynamic_streams"] = (
            [_propagate(d, "DeclarativeSource.dynamic_streams", root, fill=False) for d in dynamic]
            if isinstance(dynamic, list)
            else dynamic
        )
    return propagated


def propagate_stream(stream: Mapping[str, Any], parent_wins: bool) -> dict[str, Any]:
    """A stream resolved from a dynamic_streams template, propagated as a listed stream is;
    with ``parent_wins`` (airbyte-cdk's ``use_parent_parameters``, on unless the manifest says
    false) a component's parameters give way to its parent's of the same name."""
    propagated: dict[str, Any] = _propagate(
        stream, "DeclarativeSource.streams", {}, parent_wins=parent_wins
    )
    return propagated


# The type a component gets when the manifest leaves it out, by "<parent type>.<field>".
_DEFAULT_TYPES = {
    "": "DeclarativeSource",  # older manifests leave the root untyped
    "DeclarativeSource.streams": "DeclarativeStream",
    "ConditionalStreams.streams": "DeclarativeStream",
    "DeclarativeStream.retriever": "SimpleRetriever",
    "DeclarativeStream.schema_loader": "JsonFileSchemaLoader",
    "SimpleRetriever.requester": "HttpRequester",
    "SimpleRetriever.record_selector": "RecordSelector",
    "SimpleRetriever.paginator": "NoPagination",
    "RecordSelector.extractor": "DpathExtractor",
    "RecordSelector.record_filter": "RecordFilter",
    "HttpRequester.error_handler": "DefaultErrorHandler",
    "DefaultErrorHandler.response_filters": "HttpResponseFilter",
    "CompositeErrorHandler.error_handlers": "DefaultErrorHandler",
    "DefaultPaginator.page_size_option": "RequestOption",
    "DatetimeBasedCursor.start_datetime": "MinMaxDatetime",
    "DatetimeBasedCursor.end_datetime": "MinMaxDatetime",
    "DatetimeBasedCursor.start_time_option": "RequestOption",
    "DatetimeBasedCursor.end_time_option": "RequestOption",
    "ListPartitionRouter.request_option": "RequestOption",
    "SubstreamPartitionRouter.parent_stream_configs": "ParentStreamConfig",
    "ParentStreamConfig.stream": "DeclarativeStream",
    "ParentStreamConfig.request_option": "RequestOption",
    "AddFields.fields": "AddedFieldDefinition",
    "DynamicDeclarativeStream.stream_template": "DeclarativeStream",
    "HttpComponentsResolver.retriever": "SimpleRetriever",
}


class _Resolver:
    """``$ref: "#/a/b"`` and any string ``"#/a/b"`` are references (as in the CDK); a ``$ref``'s
    sibling keys replace the target's keys of the same name."""

    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root

    def resolve(self, value: Any, where: str, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise ConfigError(where, "the references form a cycle; make each $ref end somewhere")
        if isinstance(value, Mapping):
            if not isinstance(value.get("$parameters") or {}, Mapping):
                raise ConfigError(_join(where, "$parameters"), "$parameters must be a mapping")
            siblings = {
                k: v if k == "config_overrides" else self.resolve(v, _join(where, k), depth)
                for k, v in value.items()
                if k != "$ref"
            }
            if "$ref" not in value:
                return siblings
            target = self.resolve(value["$ref"], where, depth + 1)
            return {**target, **siblings} if isinstance(target, Mapping) else target
        if isinstance(value, list):
            return [self.resolve(v, f"{where}[{i}]", depth) for i, v in enumerate(value)]
        if isinstance(value, str):
            legacy = _LEGACY_REF.match(value)
            if value.startswith("#/") or legacy:
                pointer = legacy.group(1) if legacy else value
                return self.resolve(self._lookup(pointer, where), where, depth + 1)
        return value

    def _lookup(self, reference: str, where: str) -> Any:
        # a '#/' pointer is read as written, as airbyte-cdk reads it: akeneo's schema key is
        # 'categories ' (with the blank) and its $ref says so
        text = reference if reference.startswith("#/") else reference.strip()
        parts = [p for p in (text[1:].split("/") if text.startswith("#") else text.split("."))]
        node: Any = self.root
        for part in (p for p in parts if p):
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise ConfigError(
                    f"{where}.$ref" if where else "$ref",
                    f"reference '{reference}' points at nothing; check the path under definitions",
                )
        return copy.deepcopy(node)


def _join(where: str, key: Any) -> str:
    return f"{where}.{key}" if where else str(key)


def _propagate(
    value: Any,
    field_id: str,
    inherited: Mapping[str, Any],
    *,
    fill: bool = True,
    parent_wins: bool = False,
) -> Any:
    """Give untyped components their default type and push ``$parameters`` down: a component's
    parameters are its parent's plus its own (its own win unless ``parent_wins``), and with
    ``fill`` each one fills a field the component leaves empty. JSON schemas inside are data
    and are left alone."""
    if not isinstance(value, Mapping):
        return value
    node = dict(value)
    if "type" not in node and "class_name" not in node and field_id in _DEFAULT_TYPES:
        node["type"] = _DEFAULT_TYPES[field_id]
    own = node.pop("$parameters", None) or {}
    parameters = {**own, **inherited} if parent_wins else {**inherited, **own}
    more = {"fill": fill, "parent_wins": parent_wins}
    kind = node.get("type")
    if kind == "object" or isinstance(kind, list | dict):
        return node  # a JSON schema
    if kind is None:
        for key, item in node.items():
            if isinstance(item, Mapping) and item.get("type"):
                node[key] = _propagate(item, field_id, parameters, **more)
        return node
    for key, item in parameters.items() if fill else ():
        node[key] = node.get(key) or item
    for key, item in list(node.items()):
        below = {k: v for k, v in parameters.items() if k != key}
        child_id = f"{kind}.{key}"
        if isinstance(item, Mapping):
            node[key] = _propagate(item, child_id, below, **more)
        elif isinstance(item, list):
            node[key] = [
                _propagate(x, child_id, below, **more) if isinstance(x, Mapping) else x
                for x in item
            ]
    if parameters:
        node["$parameters"] = parameters
    return node
