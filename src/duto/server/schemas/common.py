"""Shapes shared by every resource."""

from __future__ import annotations

from pydantic import BaseModel


class Problem(BaseModel):
    """A 4xx answer: what is wrong and what to do; `field` names the request field at fault, when one is."""

    detail: str
    field: str | None = None


class Health(BaseModel):
    status: str
    version: str
    workspace: str


# Every answer a route may give besides its success, for the OpenAPI document.
PROBLEMS: dict[int | str, dict[str, object]] = {
    401: {"model": Problem, "description": "no token, or one that is unknown, revoked or expired"},
    403: {"model": Problem, "description": "the token's scope is short of what the route needs"},
}
