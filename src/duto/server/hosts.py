"""The Host check: a request whose Host header names another machine is refused (DNS rebinding).

A page on an attacker's domain that resolves to 127.0.0.1 reaches the server with its own name in Host; only
the names this server answers to are let through.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})


def host_name(header: str) -> str:
    """The name part of a Host header: `[::1]:8642` -> `::1`, `localhost:8642` -> `localhost`."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def allowed_hosts(bind_host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The loopback names, the bound address when it is another, and the names given with `--allow-host`."""
    names = set(LOOPBACK_NAMES)
    if bind_host not in ("0.0.0.0", "::"):
        names.add(bind_host.lower())
    names.update(n.lower() for n in extra)
    return frozenset(names)


class HostCheck:
    """ASGI middleware answering 400 to any request whose Host is not an allowed name."""

    def __init__(self, app: Any, allowed: frozenset[str]) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        host = headers.get(b"host", b"").decode("latin-1")
        if host_name(host) in self.allowed:
            await self.app(scope, receive, send)
            return
        body = json.dumps(
            {
                "detail": f"Host {host!r} is not a name this server answers to; use http://127.0.0.1, or start "
                "the server with --allow-host NAME for a name of this machine",
                "field": "Host",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})
