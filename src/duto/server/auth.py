"""Who may call a route: a bearer token of a high enough scope, on every route but `/api/health`.

Each route declares its scope with `**requires(Scope.X)`, which adds the check and records the scope in the
OpenAPI document (`x-duto-scope`), where the auth matrix test reads it. A browser signed in through `/?token=`
carries the token in an HttpOnly, SameSite=Strict cookie, honoured for reading (GET) only, so no page of another
origin can make it change anything.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from duto.facade.tokens import Scope, authenticate
from duto.facade.workspace import Workspace
from duto.storage.token_store import TokenRecord

COOKIE = "duto_token"
SCOPE_KEY = "x-duto-scope"
_bearer = HTTPBearer(
    auto_error=False,
    description="A token from `duto token create NAME --scope read|submit|admin`, or the one `duto server` prints.",
)


def workspace_of(request: Request) -> Workspace:
    workspace: Workspace = request.app.state.workspace
    return workspace


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def _checker(needed: Scope) -> Any:
    def check(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> TokenRecord:
        secret = credentials.credentials if credentials is not None else None
        if secret is None and request.method in ("GET", "HEAD"):
            secret = request.cookies.get(COOKIE)
        if not secret:
            raise _unauthorized("this route needs a token: send the header 'Authorization: Bearer TOKEN'")
        record = authenticate(workspace_of(request), secret)
        if record is None:
            raise _unauthorized("the token is not one of this workspace's, or it was revoked or has expired")
        if not Scope(record.scope).allows(needed):
            raise HTTPException(
                status_code=403,
                detail=f"this route needs a token of scope {needed.value!r} or above; this token's is {record.scope!r}",
            )
        request.state.token = record
        return record

    return check


def requires(scope: Scope) -> dict[str, Any]:
    """The keyword arguments of a route that needs a token of `scope` or above."""
    return {"dependencies": [Depends(_checker(scope))], "openapi_extra": {SCOPE_KEY: scope.value}}
