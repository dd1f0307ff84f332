"""No network access while parsing, reasoning or querying, unless the user allows it.

rdflib follows SERVICE clauses, remote FROM graphs and remote JSON-LD contexts by itself and
has no switch to stop it, so kg installs an audit hook (PEP 578) that refuses every socket
connection and URL request while `offline()` is active. Audit hooks cannot be removed, so the
hook is installed once and only acts inside the context manager.
"""
from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator

from .errors import NetworkBlocked, Problem

_BLOCKING_EVENTS = {"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto", "urllib.Request"}
_state = threading.local()
_installed = False
_lock = threading.Lock()


def _hook(event: str, args: tuple) -> None:
    if event in _BLOCKING_EVENTS and getattr(_state, "depth", 0) > 0:
        target = args[0] if event == "urllib.Request" else (args[1] if len(args) > 1 else args)
        _state.refused = getattr(_state, "refused", []) + [f"{event} {target}"]
        raise NetworkBlocked(Problem("", None, None, f"network access refused ({event} {target})",
                                     "kg works offline: remove SERVICE, remote FROM or remote contexts, or pass --allow-network", "network"))


def _install() -> None:
    global _installed
    with _lock:
        if not _installed:
            sys.addaudithook(_hook)
            _installed = True


@contextlib.contextmanager
def offline(allow_network: bool = False) -> Iterator[None]:
    """Inside this block (in this thread and the threads it starts through `run_offline`) no connection is made."""
    if allow_network:
        yield
        return
    _install()
    if getattr(_state, "depth", 0) == 0:
        _state.refused = []
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        yield
    finally:
        _state.depth -= 1


def refused() -> list[str]:
    """What this thread was refused since its outermost offline() began (libraries may swallow the error)."""
    return list(getattr(_state, "refused", []))
