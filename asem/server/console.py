"""The web console: one HTML page, a few script modules and a style sheet, served from the
package.

The page holds no data and no secret; everything it shows comes from the ``/v1`` API with
the key the person enters (kept in the tab's ``sessionStorage``). ``data-auth`` on the page
tells the script whether the server asks for keys (``--no-auth``: it asks for a user only).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from asem import __version__
from asem.server.state import server_state

router = APIRouter(include_in_schema=False)

JS = "text/javascript; charset=utf-8"
ASSETS = {"console.js": JS, "core.js": JS, "charts.js": JS, "forms.js": JS, "notes.js": JS,
          "search.js": JS, "console.css": "text/css; charset=utf-8"}
"""The files under static/ a browser may ask for (console.js imports the other modules)."""
HEADERS = {
    # Only the package's own script and style run; no inline script, no other origin.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "style-src 'self'; script-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@cache
def asset(name: str) -> str:
    return files("asem.server").joinpath("static", name).read_text(encoding="utf-8")


@router.get("/", response_class=HTMLResponse)
def page(request: Request) -> HTMLResponse:
    auth = "none" if server_state(request).keys is None else "key"
    html = asset("index.html").replace("{{auth}}", auth).replace("{{version}}", __version__)
    return HTMLResponse(html, headers=HEADERS | {"Cache-Control": "no-cache"})


@router.get("/console/{name}")
def static(name: str) -> Response:
    if name not in ASSETS:
        raise HTTPException(404, f"no console file {name!r}")
    return Response(asset(name), media_type=ASSETS[name],
                    headers=HEADERS | {"Cache-Control": "no-cache"})
