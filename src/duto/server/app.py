"""The server's ASGI app: the routers under `/api`, token checks, the Host check, errors as 4xx answers, and the
portal at `/`."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.middleware.gzip import GZipMiddleware
from swagger_ui_bundle import swagger_ui_path

from duto import __version__
from duto.facade.tokens import Scope
from duto.facade.workspace import Workspace
from duto.server.auth import SCOPE_KEY, requires
from duto.server.errors import install_error_handlers
from duto.server.event_tails import RunTails
from duto.server.finished_answers import FinishedAnswers
from duto.server.hosts import HostCheck, allowed_hosts
from duto.server.portal_files import install_portal
from duto.server.routes import (
    assets,
    compare,
    compute,
    endpoints,
    events,
    experiments,
    health,
    modules,
    pipelines,
    runs,
    schedules,
    session,
    tokens,
)
from duto.server.workspace_feed import WorkspaceFeed

ROUTERS = [
    health.router,
    session.router,
    tokens.router,
    experiments.router,
    runs.router,
    events.router,
    compare.router,
    pipelines.router,
    endpoints.router,
    schedules.router,
    compute.router,
    modules.router,
    assets.datasets,
    assets.models,
]
OPENAPI_URL = "/api/openapi.json"
GZIP_ABOVE = 4096  # bytes; below, gzip saves less than it costs
GZIP_LEVEL = 5
DOCS_ASSETS = "/api/docs-assets"

DESCRIPTION = """The duto workspace over HTTP: trigger published pipelines, follow runs, see schedules, manage tokens.

Every route but `GET /api/health` and `POST /api/session` (the portal's sign-in) needs `Authorization: Bearer TOKEN`
or the portal's session cookie; each route's `x-duto-scope` says which scope it needs (read < submit < admin). Make
tokens with `duto token create NAME --scope SCOPE`."""


def create_app(root: Path, bind_host: str = "127.0.0.1", allow_hosts: Iterable[str] = ()) -> FastAPI:
    """The app serving the workspace at `root`, answering to the Host names of `bind_host` and `allow_hosts`."""
    app = FastAPI(
        title="duto",
        version=__version__,
        description=DESCRIPTION,
        openapi_url=None,  # served below, behind a token like every other route
        docs_url=None,
        redoc_url=None,
        # No redirect from `/api/x/` to `/api/x`: a name ending in an encoded `../` would be answered with a
        # redirect elsewhere rather than the 404 every other unknown name gets.
        redirect_slashes=False,
    )
    app.state.workspace = Workspace.from_config(root)
    app.state.tails = RunTails()
    app.state.feed = WorkspaceFeed(app.state.workspace)
    app.state.answers = FinishedAnswers()
    for router in ROUTERS:
        app.include_router(router, prefix="/api")
    read = requires(Scope.READ)
    app.add_api_route(OPENAPI_URL, lambda: JSONResponse(app.openapi()), include_in_schema=False, **read)
    app.add_api_route("/api/docs", _docs, include_in_schema=False, **read)
    app.add_api_route(f"{DOCS_ASSETS}/{{name}}", _docs_asset, include_in_schema=False, **read)
    install_portal(app)
    install_error_handlers(app)
    # Large answers (a run of 10,000 steps is megabytes of JSON) gzipped; event streams never are (Starlette leaves
    # text/event-stream alone), and an answer gzipped already (FinishedAnswers) passes as it is.
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_ABOVE, compresslevel=GZIP_LEVEL)
    app.add_middleware(HostCheck, allowed=allowed_hosts(bind_host, allow_hosts))
    _check_every_route_declares_its_scope(app)
    return app


def _docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title="duto: API",
        swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
    )


# The docs page's script and styles are served from here, not from a CDN, so the docs work offline; only the
# bundle's own files, by name, are served.
_DOCS_FILES = {p.name: p for p in Path(swagger_ui_path).iterdir() if p.is_file()}


def _docs_asset(name: str) -> Response:
    path = _DOCS_FILES.get(name)
    if path is None:
        return JSONResponse({"detail": f"no docs asset {name!r}"}, status_code=404)
    return FileResponse(path)


def _check_every_route_declares_its_scope(app: FastAPI) -> None:
    """A route without a declared scope would be open: refuse to build such an app."""
    for route in app.routes:
        path = getattr(route, "path", "")
        if not path.startswith("/api/"):
            continue
        extra = getattr(route, "openapi_extra", None) or {}
        if SCOPE_KEY not in extra:
            raise RuntimeError(f"route {path} declares no token scope: add **requires(Scope.X) to it")
