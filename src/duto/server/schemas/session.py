"""The portal's session: who is signed in, and the sign-in form's body."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SessionInfo(BaseModel):
    """The token the request was signed with (the session cookie's, or the bearer header's)."""

    name: str
    scope: str = Field(description="read, submit or admin")
    expires_at: str | None = Field(description="ISO time in UTC; null when the token does not expire")


class SignIn(BaseModel):
    token: str = Field(min_length=1, max_length=200, description="a token from `duto token create`")
