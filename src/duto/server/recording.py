"""Routes that record runs take turns on one worker thread.

SQLite writes one transaction at a time, so recording runs from many worker threads at once is not faster
than one after the other; it is slower, because the threads fight over the interpreter's lock while they wait
for the DB's. A trigger route hands its work to `one_at_a_time`, which runs it on a worker thread no other
trigger uses meanwhile: concurrent triggers queue on the event loop, where waiting costs nothing, and each one
runs at the speed of a lone caller. Reads keep their own threads.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import Request

T = TypeVar("T")


async def one_at_a_time(request: Request, work: Callable[..., T], *args: Any) -> T:
    """Run `work(*args)` on a worker thread, one such call at a time in this app."""
    limiter: anyio.CapacityLimiter | None = getattr(request.app.state, "recording", None)
    if limiter is None:  # made on first use: a limiter belongs to the running event loop
        limiter = request.app.state.recording = anyio.CapacityLimiter(1)
    return await anyio.to_thread.run_sync(partial(work, *args), limiter=limiter)
