"""Tokens over the wire. A token's secret appears once, in the answer that creates it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

ScopeName = Literal["read", "submit", "admin"]


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    scope: ScopeName
    expires_in: str | None = Field(default=None, description="a duration such as 30d, 12h, 15m or 3600s")


class TokenInfo(BaseModel):
    name: str
    scope: ScopeName
    state: Literal["active", "expired", "revoked"]
    created: datetime
    expires: datetime | None
    revoked: datetime | None
    last_used: datetime | None


class TokenCreated(TokenInfo):
    token: str = Field(description="the secret: shown this once, kept by the server only as a hash")
