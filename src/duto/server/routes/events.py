"""`/api/events`: every run's creation and status changes, live (read), for pages that show many runs at once;
`/api/runs/{id}/events` follows one run in full."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.responses import StreamingResponse

from duto.facade.tokens import Scope
from duto.server.auth import requires
from duto.server.schemas.common import PROBLEMS, Problem
from duto.server.workspace_feed import WorkspaceFeed

router = APIRouter(prefix="/events", tags=["events"], responses=PROBLEMS)


def after_event(last_event_id: str | None) -> int | None:
    """The event id a `Last-Event-ID` header names, or None without one.

    Raises:
        HTTPException: 400, the header is not an event id (a number).
    """
    if not last_event_id:
        return None
    if not last_event_id.strip().isdigit():
        raise HTTPException(400, detail=f"Last-Event-ID {last_event_id!r} is not an event id (a number)")
    return int(last_event_id.strip())


def event_stream(messages: AsyncIterator[bytes]) -> StreamingResponse:
    """Server-sent events as they come: never cached, never buffered by a proxy on the way."""
    return StreamingResponse(
        messages, media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


def feed_of(request: Request) -> WorkspaceFeed:
    """The app's one reader of the workspace's run events (see workspace_feed)."""
    feed: WorkspaceFeed = request.app.state.feed
    return feed


@router.get(
    "",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "server-sent events, until the client leaves"},
        400: {"model": Problem, "description": "a Last-Event-ID that is not an event id"},
    },
    **requires(Scope.READ),
)
async def workspace_events(
    request: Request, last_event_id: Annotated[str | None, Header()] = None
) -> StreamingResponse:
    """Each run's creation and status changes, of every run, as server-sent events `run_status` (data: `run_id`,
    `status`, `reason` when there is one, `created_at`), from now or after `Last-Event-ID`. The stream opens with
    the id it starts after and stays open (a comment every 15 s) until the client leaves."""
    return event_stream(feed_of(request).follow(after_event(last_event_id), request.is_disconnected))
