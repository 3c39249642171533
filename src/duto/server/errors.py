"""duto's errors as HTTP answers: a 4xx whose `detail` says what is wrong and what to do, never a traceback.

Anything a user can name that is not there (a run, a step, a pipeline, a token) is a 404; an ambiguous name a
409 listing the candidates; a request that cannot be done as it stands (a run that has not ended, a disabled
pipeline, a name taken) a 409; bad values a 422 naming the field. An error duto did not foresee is a 500 whose
body says only that, with the traceback in the server's log.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
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
    if isinstance(error, AmbiguousRunError | AmbiguousStepError | PipelineDisabledError | PipelineEndpointExistsError):
        return 409
    if isinstance(error, KeyError | FileNotFoundError):
        return 404
    if isinstance(error, ConfigError | PipelineValidationError | ValueError):
        return 422
    if isinstance(error, RunNotEndedError | ExperimentArchivedError | TokenError):
        return 409
    return 409 if getattr(error, "conflict", False) else 400


def error_body(error: DutoError) -> dict[str, object]:
    body: dict[str, object] = {"detail": str(error)}
    field = getattr(error, "field", None)
    if field:
        body["field"] = field
    return body


def install_error_handlers(app: FastAPI) -> None:
    async def duto_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, DutoError)
        return JSONResponse(error_body(error), status_code=status_of(error))

    async def unforeseen(request: Request, error: Exception) -> JSONResponse:
        log.exception("%s %s failed", request.method, request.url.path, exc_info=error)
        return JSONResponse({"detail": "the server failed to answer this request; its log says why"}, 500)

    app.add_exception_handler(DutoError, duto_error)
    app.add_exception_handler(Exception, unforeseen)
