"""Who may call a route: a bearer token of a high enough scope, on every route but `/api/health`.

Each route declares its scope with `**requires(Scope.X)`, which adds the check and records the scope in the
OpenAPI document (`x-duto-scope`), where the auth matrix test reads it. A browser signed in to the portal carries
the token in an HttpOnly, SameSite=Strict cookie. The cookie is honoured for reading (GET, HEAD), and for any other
method only with the header `X-Duto-Portal: 1`, which a page of another origin cannot send without a CORS preflight
that this server refuses: no other site can make a signed-in browser change anything.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from duto.facade.tokens import Scope, find_token, note_use, use_is_news
from duto.facade.workspace import Workspace
from duto.server.event_tails import RunTails
from duto.storage.token_store import TokenRecord

COOKIE = "duto_token"
PORTAL_HEADER = "X-Duto-Portal"
SCOPE_KEY = "x-duto-scope"
_bearer = HTTPBearer(
    auto_error=False,
    description="A token from `duto token create NAME --scope read|submit|admin`, or the one `duto server` prints.",
)


def workspace_of(request: Request) -> Workspace:
    workspace: Workspace = request.app.state.workspace
    return workspace


def tails_of(request: Request) -> RunTails:
    """The app's readers of followed runs (see event_tails)."""
    tails: RunTails = request.app.state.tails
    return tails


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def _checker(needed: Scope) -> Any:
    # Async, so the check runs on the event loop instead of taking a worker thread of its own before the route
    # takes one: a lookup by hash is one short read. The rare write (a token's last use, at most once a minute)
    # goes to a worker thread, since it may wait for another writer.
    async def check(
        request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
    ) -> TokenRecord:
        secret = credentials.credentials if credentials is not None else None
        if secret is None and (request.method in ("GET", "HEAD") or request.headers.get(PORTAL_HEADER) == "1"):
            secret = request.cookies.get(COOKIE)
        if not secret:
            raise _unauthorized("this route needs a token: send the header 'Authorization: Bearer TOKEN'")
        workspace = workspace_of(request)
        record = find_token(workspace, secret)
        if record is None:
            raise _unauthorized("the token is not one of this workspace's, or it was revoked or has expired")
        if not Scope(record.scope).allows(needed):
            raise HTTPException(
                status_code=403,
                detail=f"this route needs a token of scope {needed.value!r} or above; this token's is {record.scope!r}",
            )
        if use_is_news(record):
            await run_in_threadpool(note_use, workspace, record)
        request.state.token = record
        return record

    return check


def requires(scope: Scope) -> dict[str, Any]:
    """The keyword arguments of a route that needs a token of `scope` or above."""
    return {"dependencies": [Depends(_checker(scope))], "openapi_extra": {SCOPE_KEY: scope.value}}
