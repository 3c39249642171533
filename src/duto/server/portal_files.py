"""The portal's built files, served at the server's root: hashed assets under `/assets/` (cached for good), and
`index.html` for every other path outside `/api`, where the portal's own router takes over.

A path given with `?token=` signs the browser in first (see routes/session.py) and is reloaded without it, so the
token does not stay in the address bar or the history. The build lives in the package (`portal/`, git-ignored);
when it is missing, a page says how to build it.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from duto.facade.tokens import authenticate
from duto.server.auth import workspace_of
from duto.server.routes.session import set_session_cookie

PORTAL = Path(__file__).resolve().parent / "portal"
ASSET_CACHE = "public, max-age=31536000, immutable"
PAGE_CACHE = "no-cache"


def install_portal(app: FastAPI, folder: Path = PORTAL) -> None:
    """Serve the portal built in `folder` at `/`; call after the API's routes, so theirs match first."""

    async def asset(name: str) -> Response:
        path = _inside(folder / "assets", name)
        if path is None:
            return JSONResponse({"detail": f"the portal has no asset {name!r}"}, status_code=404)
        return FileResponse(path, headers={"Cache-Control": ASSET_CACHE})

    async def page(request: Request, path: str = "") -> Response:
        if path == "api" or path.startswith("api/"):
            return JSONResponse({"detail": f"no route /{path}; the API's routes are listed at /api/docs"}, 404)
        token = request.query_params.get("token")
        if token is not None:
            record = await run_in_threadpool(authenticate, workspace_of(request), token)
            if record is not None:
                rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
                response = RedirectResponse(f"/{path}" + (f"?{urlencode(rest)}" if rest else ""), status_code=303)
                set_session_cookie(response, request, token)
                return response
        index = folder / "index.html"
        # A refused token still gets the portal, with 401: it shows the sign-in form and says the token was wrong.
        if not index.is_file():
            return HTMLResponse(NOT_BUILT_PAGE, status_code=401 if token is not None else 503)
        status = 401 if token is not None else 200
        return FileResponse(index, status_code=status, headers={"Cache-Control": PAGE_CACHE})

    app.add_api_route("/assets/{name:path}", asset, methods=["GET"], include_in_schema=False)
    app.add_api_route("/", page, methods=["GET"], include_in_schema=False)
    app.add_api_route("/{path:path}", page, methods=["GET"], include_in_schema=False)


def _inside(root: Path, name: str) -> Path | None:
    """The file `name` names under `root`, or None when there is none or the name leads out of `root`."""
    if not name or "\x00" in name or "\\" in name:
        return None
    try:
        base = root.resolve(strict=True)
        path = (base / name).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not path.is_relative_to(base) or not path.is_file():
        return None
    return path


NOT_BUILT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>duto: the portal is not built</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: #f6f7f9;
         font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1c2129; }
  main { max-width: 36rem; padding: 2rem 2.25rem; background: #fff; border: 1px solid #dde1e6; border-radius: 10px; }
  h1 { margin: 0 0 .5rem; font-size: 1.3rem; }
  code, pre { font: 13px ui-monospace, Menlo, Consolas, monospace; background: #f0f2f5; border-radius: 6px; }
  code { padding: .1rem .35rem; } pre { padding: .6rem .8rem; overflow-x: auto; }
</style></head>
<body><main>
  <h1>The portal is not built</h1>
  <p>This duto was installed from a source tree whose portal (<code>ui/</code>) has not been built yet. In duto's
  source tree, build it with one of:</p>
  <pre>make portal
python tools/portal_build.py</pre>
  <p>then reload this page. A wheel of duto carries the portal built. The API answers all the same; its docs are at
  <a href="/api/docs"><code>/api/docs</code></a>.</p>
</main></body></html>
"""
