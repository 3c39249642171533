"""Tokens: make, list and revoke them through the facade."""

from __future__ import annotations

from duto.facade import tokens
from duto.facade.workspace import Workspace
from duto.server.schemas.tokens import TokenCreate, TokenCreated, TokenInfo
from duto.storage.token_store import TokenRecord


def token_info(record: TokenRecord) -> TokenInfo:
    return TokenInfo(
        name=record.name,
        scope=record.scope,  # type: ignore[arg-type]  # the store holds only the three scope names
        state=tokens.token_state(record),  # type: ignore[arg-type]  # one of the three states
        created=record.created_at,
        expires=record.expires_at,
        revoked=record.revoked_at,
        last_used=record.last_used_at,
    )


def create(workspace: Workspace, body: TokenCreate) -> TokenCreated:
    expires_in = tokens.parse_duration(body.expires_in) if body.expires_in else None
    secret, record = tokens.create_token(workspace, body.name, body.scope, expires_in)
    return TokenCreated(**token_info(record).model_dump(), token=secret)


def list_all(workspace: Workspace) -> list[TokenInfo]:
    return [token_info(r) for r in tokens.list_tokens(workspace)]


def revoke(workspace: Workspace, name: str) -> TokenInfo:
    return token_info(tokens.revoke_token(workspace, name))
