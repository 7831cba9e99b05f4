"""A guard for the comparison harness's child processes (the CDK's, restsync's): no connection
and no name lookup off the loopback, whatever the manifest still names.

    import loopback_only
    loopback_only.install()

An audit hook (``sys.addaudithook``) sees every ``socket.getaddrinfo`` and ``socket.connect`` of
the process, in any thread and below any HTTP library, and refuses one for a host that is not
the loopback with :class:`LoopbackOnly`, naming the host. It is a ``RuntimeError``, not an
``OSError``: HTTP clients retry a refused connection (the CDK for minutes), they let this one
through, so the stream fails at once with the host named. Runs under both environments
(restsync's and ``.venv-airbyte``): standard library only.
"""

from __future__ import annotations

import ipaddress
import sys
from typing import Any

_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


class LoopbackOnly(RuntimeError):
    """A connection or a name lookup for a host off the loopback, refused."""


def loopback(host: Any) -> bool:
    """Whether ``host`` (a name or an address, text or bytes) is the loopback; None (a lookup
    for a local port) counts as the loopback."""
    if host is None:
        return True
    text = host.decode("ascii", "replace") if isinstance(host, bytes) else str(host)
    text = text.strip("[]").lower()
    if text in _NAMES:
        return True
    try:
        return ipaddress.ip_address(text.partition("%")[0]).is_loopback
    except ValueError:
        return False


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.getaddrinfo":
        host = args[0]
    elif event == "socket.connect" and isinstance(args[1], tuple):
        host = args[1][0]  # (an AF_UNIX address is a path: local)
    else:
        return
    if not loopback(host):
        raise LoopbackOnly(
            f"the comparison harness refused a connection to {host}: not on the loopback "
            "(only the simulator on 127.0.0.1 may be reached)"
        )


_installed: list[bool] = []


def install() -> None:
    """Refuse, from now on, every connection and lookup off the loopback in this process
    (an audit hook cannot be removed: for a child process of its own)."""
    if not _installed:
        sys.addaudithook(_hook)
        _installed.append(True)
