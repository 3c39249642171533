"""Answers about finished runs, encoded once: a finished run's steps and edges never change, so its outline (or
graph) is built, encoded and gzipped at its first request and sent from memory after, or answered 304 Not
Modified to a browser that has it (its ETag says the run's own fields too, the only part that still may change).

A run that goes on is answered afresh each time (the app's GZipMiddleware compresses it when it is large).
"""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response

MAX_BYTES = 32 * 1024 * 1024  # of gzipped answers: about a hundred runs of 10,000 steps
GZIP_LEVEL = 6
JSON = "application/json"


class FinishedAnswers:
    """The gzipped answers kept, by ETag, the least recently sent dropped first past MAX_BYTES; kept on the app
    (`app.state.answers`) and shared by the threads that serve requests."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._kept: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._kept)

    def answer(self, request: Request, etag: str | None, encode: Callable[[], bytes]) -> Response:
        """The JSON answer `encode()` makes: encoded afresh when `etag` is None (the run goes on), else the one
        kept under `etag` (encoded and kept now if none is), or 304 when the request's If-None-Match names it."""
        if etag is None:
            return Response(encode(), media_type=JSON)
        headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Accept-Encoding"}
        if etag in _etags(request.headers.get("if-none-match", "")):
            return Response(status_code=304, headers=headers)
        with self._lock:
            packed = self._kept.get(etag)
            if packed is not None:
                self._kept.move_to_end(etag)
        if packed is None:
            packed = gzip.compress(encode(), GZIP_LEVEL, mtime=0)
            self._keep(etag, packed)
        if "gzip" in request.headers.get("accept-encoding", ""):
            return Response(packed, media_type=JSON, headers={**headers, "Content-Encoding": "gzip"})
        return Response(gzip.decompress(packed), media_type=JSON, headers=headers)

    def _keep(self, etag: str, packed: bytes) -> None:
        if len(packed) > self.max_bytes:
            return
        with self._lock:
            if etag in self._kept:
                return
            self._kept[etag] = packed
            self._size += len(packed)
            while self._size > self.max_bytes:
                _, dropped = self._kept.popitem(last=False)
                self._size -= len(dropped)


def _etags(header: str) -> set[str]:
    """The entity tags an If-None-Match header names (a weak one as its strong self)."""
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def answers_of(request: Request) -> FinishedAnswers:
    answers: FinishedAnswers = request.app.state.answers
    return answers
