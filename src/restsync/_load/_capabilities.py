"""The destination's capabilities, with its configuration resolved once per sync.

dlt asks the pipeline's destination for its capabilities at each stage of a run (the pipeline's
context, the extract, the normalize, the load, each staging check): 12-14 times in the
20,200-record fan-out sync of bench/small_run.py. Asked without a configuration, the destination
resolves a partial one each time (every field of its spec looked up in every config provider
under each of its sections), ~2 ms of CPU a time, and then adjusts its capabilities to it.

Within ``resolved_once``, the first such call resolves it as dlt does, and the later ones hand
dlt's own ``capabilities`` that configuration (``capabilities(config, naming)``): the same
capabilities, computed from the same configuration, as long as the destination's own parameters
are those it was resolved with (dlt sets credentials passed to ``run`` on them: resolved again
then). The configuration is the one dlt got; nothing is copied or built here. When dlt's
resolution fails (dlt then adjusts the capabilities to an empty configuration), nothing is kept.
"""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["resolved_once"]


@contextlib.contextmanager
def resolved_once(pipeline: Any, given: Any = None) -> Iterator[None]:
    """Within the block, the destination the run loads into (``given``, the ``destination`` run
    argument, when it is a destination object, as ``restsync run`` passes its held file's; else
    the pipeline's) resolves the configuration it derives its capabilities from once (see the
    module's docstring); as before after it, on every exit."""
    from dlt.common.destination.reference import Destination

    destination = given if given is not None else getattr(pipeline, "_destination", None)
    if not isinstance(destination, Destination) or "capabilities" in vars(destination):
        yield
        return
    destination.capabilities = _Memo(destination)  # type: ignore[method-assign]
    try:
        yield
    finally:
        del destination.capabilities


_LOCK = threading.Lock()


class _Memo:
    """``destination.capabilities`` with the configuration of its last resolution kept."""

    def __init__(self, destination: Any) -> None:
        self.destination = destination
        self.params: dict[str, Any] | None = None  # the parameters the config was resolved with
        self.config: Any = None

    def __deepcopy__(self, memo: dict[int, Any]) -> _Memo:
        # a copied destination (dlt copies one when a pipeline is dropped under a new name) gets
        # its own, empty memo: the kept configuration holds the DuckDB connection pool's lock
        return _Memo(copy.deepcopy(self.destination, memo))

    def __call__(self, config: Any = None, naming: Any = None) -> Any:
        destination = self.destination
        unbound = type(destination).capabilities
        if config is not None:
            return unbound(destination, config, naming)
        params = dict(destination.config_params)
        with _LOCK:  # one resolution at a time: dlt's load stage asks from its threads too
            if self.params is None or not _same(self.params, params):
                caps, self.config = self._resolve(naming)
                self.params = params
                return caps
            kept = self.config
        # kept is None when dlt's resolution failed: then as dlt does it, every time
        return unbound(destination, kept, naming)

    def _resolve(self, naming: Any) -> tuple[Any, Any]:
        """dlt's capabilities, and the configuration it resolved for them (or ``None``)."""
        destination = self.destination
        configuration = type(destination).configuration
        resolved: list[Any] = []

        def capture(initial: Any, accept_partial: bool = False) -> Any:
            value = configuration(destination, initial, accept_partial)
            if accept_partial:
                resolved.append(value)
            return value

        destination.configuration = capture
        try:
            caps = type(destination).capabilities(destination, None, naming)
        finally:
            del destination.configuration
        return caps, resolved[0] if len(resolved) == 1 else None


def _same(kept: dict[str, Any], params: dict[str, Any]) -> bool:
    try:
        return kept.keys() == params.keys() and all(
            kept[k] is params[k] or kept[k] == params[k] for k in kept
        )
    except Exception:  # a value that cannot be compared: resolve again
        return False
