"""`/api/session`: the portal's sign-in. A token given once (in the form, or as `/?token=`) is kept in an HttpOnly,
SameSite=Strict cookie; the session reads and changes what the token's scope allows, and no more."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from duto.facade.tokens import Scope, authenticate
from duto.server.auth import COOKIE, PORTAL_HEADER, SCOPE_KEY, requires, workspace_of
from duto.server.schemas.common import PROBLEMS
from duto.server.schemas.session import SessionInfo, SignIn
from duto.storage.token_store import TokenRecord

router = APIRouter(prefix="/session", tags=["session"], responses=PROBLEMS)


def session_info(record: TokenRecord) -> SessionInfo:
    expires = record.expires_at.isoformat() if record.expires_at is not None else None
    return SessionInfo(name=record.name, scope=record.scope, expires_at=expires)


def set_session_cookie(response: Response, request: Request, secret: str) -> None:
    """Keep `secret` in the browser for its session (until it closes): HttpOnly (no script reads it),
    SameSite=Strict (no other site sends it)."""
    response.set_cookie(COOKIE, secret, httponly=True, samesite="strict", secure=request.url.scheme == "https")


@router.get("", response_model=SessionInfo, **requires(Scope.READ))
def who(request: Request) -> SessionInfo:
    """Who is signed in: the name, scope and expiry of the request's token."""
    record: TokenRecord = request.state.token
    return session_info(record)


# The one route besides health that takes no token: it is where a token is given. The token is checked as every
# other is (hashed, looked up, compared in constant time), and a wrong one is a 401 like anywhere else.
@router.post("", response_model=SessionInfo, openapi_extra={SCOPE_KEY: "none"})
async def sign_in(request: Request, response: Response, body: SignIn) -> SessionInfo:
    """Sign the browser in with a token: the answer sets the session cookie. Asked by the portal's form only
    (the `X-Duto-Portal: 1` header, which no page of another site can send), so no other site can sign a browser
    in with a token of its choosing."""
    if request.headers.get(PORTAL_HEADER) != "1":
        raise HTTPException(
            status_code=400, detail=f"signing in takes the header '{PORTAL_HEADER}: 1' (the portal's form)"
        )
    record = await run_in_threadpool(authenticate, workspace_of(request), body.token)
    if record is None:
        raise HTTPException(
            status_code=401, detail="that is not a token of this workspace, or it was revoked or has expired"
        )
    set_session_cookie(response, request, body.token)
    return session_info(record)


@router.delete("", status_code=204, response_class=Response, **requires(Scope.READ))
def sign_out(request: Request) -> Response:
    """Sign out: the answer clears the session cookie."""
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return response
