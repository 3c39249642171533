"""duto's errors as HTTP answers: a 4xx whose `detail` says what is wrong and what to do, never a traceback.

Anything a user can name that is not there (a run, a step, a pipeline, a token) is a 404; an ambiguous name a
409 listing the candidates; a request that cannot be done as it stands (a run that has not ended, a disabled
pipeline, a name taken) a 409; bad values a 422 naming the field. An error duto did not foresee is a 500 whose
body says only that, with the traceback in the server's log.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from duto.errors import (
    AmbiguousRunError,
    AmbiguousStepError,
    ConfigError,
    DutoError,
    ExperimentArchivedError,
    PipelineDisabledError,
    PipelineEndpointExistsError,
    PipelineValidationError,
    RunNotEndedError,
    TokenError,
)

log = logging.getLogger("duto.server")


def status_of(error: DutoError) -> int:
    """The HTTP status that says what kind of error this is."""
    if getattr(error, "conflict", False):
        return 409
    if isinstance(error, AmbiguousRunError | AmbiguousStepError | PipelineDisabledError | PipelineEndpointExistsError):
        return 409
    if isinstance(error, KeyError | FileNotFoundError):
        return 404
    if isinstance(error, ConfigError | PipelineValidationError | ValueError):
        return 422
    if isinstance(error, RunNotEndedError | ExperimentArchivedError | TokenError):
        return 409
    return 400


def error_body(error: DutoError) -> dict[str, object]:
    body: dict[str, object] = {"detail": str(error)}
    field = getattr(error, "field", None)
    if field:
        body["field"] = field
    return body


def field_of(location: Sequence[Any]) -> str:
    """A request field as a caller spells it: ("body", "ParameterAssignments", "lr") -> "ParameterAssignments.lr";
    the whole body, a query or a path parameter by its own name."""
    parts = [str(part) for part in location]
    if len(parts) > 1 and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts)


def validation_body(errors: Sequence[Any]) -> dict[str, object]:
    """FastAPI's list of validation errors as a 422 whose `detail` reads as one line naming each field, `field`
    the first of them, and `errors` the list itself."""
    found = [
        {"field": field_of(e.get("loc", ())), "message": str(e.get("msg", "is not valid")), "type": e.get("type")}
        for e in errors
    ]
    if not found:
        return {"detail": "the request is not valid", "errors": []}
    return {
        "detail": "; ".join(f"{e['field']}: {e['message']}" for e in found),
        "field": found[0]["field"],
        "errors": found,
    }


def install_error_handlers(app: FastAPI) -> None:
    async def duto_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, DutoError)
        return JSONResponse(error_body(error), status_code=status_of(error))

    async def unforeseen(request: Request, error: Exception) -> JSONResponse:
        log.exception("%s %s failed", request.method, request.url.path, exc_info=error)
        return JSONResponse({"detail": "the server failed to answer this request; its log says why"}, 500)

    async def invalid_request(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        return JSONResponse(validation_body(error.errors()), status_code=422)

    app.add_exception_handler(DutoError, duto_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(Exception, unforeseen)
