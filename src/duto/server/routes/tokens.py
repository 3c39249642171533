"""`/api/tokens`: make, list and revoke tokens (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from duto.facade.tokens import Scope
from duto.server.auth import requires, workspace_of
from duto.server.operations import tokens
from duto.server.schemas.common import PROBLEMS
from duto.server.schemas.tokens import TokenCreate, TokenCreated, TokenInfo

router = APIRouter(prefix="/tokens", tags=["tokens"], responses=PROBLEMS)
TokenName = Annotated[str, Path(min_length=1, max_length=100)]


@router.get("", response_model=list[TokenInfo], **requires(Scope.ADMIN))
def list_tokens(request: Request) -> list[TokenInfo]:
    return tokens.list_all(workspace_of(request))


@router.post("", response_model=TokenCreated, status_code=201, **requires(Scope.ADMIN))
def create_token(request: Request, body: TokenCreate) -> TokenCreated:
    return tokens.create(workspace_of(request), body)


@router.delete("/{name}", response_model=TokenInfo, **requires(Scope.ADMIN))
def revoke_token(request: Request, name: TokenName) -> TokenInfo:
    return tokens.revoke(workspace_of(request), name)
