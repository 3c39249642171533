"""The portal's session: signing in by the form or by `/?token=`, the cookie it sets, what the cookie may do (read,
and change with the portal's header only), signing out, and the portal's pages and assets."""

from __future__ import annotations

import re

import httpx
import pytest

from server.conftest import Served

pytestmark = pytest.mark.timeout(60)
PORTAL = {"X-Duto-Portal": "1"}


def cookie_of(served: Served, scope: str) -> dict[str, str]:
    return {"Cookie": f"duto_token={served.tokens[scope]}"}


def test_the_form_signs_in_with_an_http_only_strict_cookie_and_sign_out_clears_it(served: Served) -> None:
    with httpx.Client(base_url=served.url, timeout=30) as browser:
        assert browser.get("/api/session").status_code == 401
        refused = browser.post("/api/session", json={"token": served.tokens["read"]})
        assert refused.status_code == 400 and "X-Duto-Portal" in refused.json()["detail"], "the portal's form only"
        assert "set-cookie" not in refused.headers
        signed = browser.post("/api/session", json={"token": served.tokens["read"]}, headers=PORTAL)
        assert signed.status_code == 200, signed.text
        assert signed.json() == {"name": "test-read", "scope": "read", "expires_at": None}
        cookie = signed.headers["set-cookie"]
        assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
        assert browser.get("/api/session").json()["name"] == "test-read"
        assert browser.delete("/api/session").status_code == 401, "no change without the portal's header"
        out = browser.delete("/api/session", headers=PORTAL)
        assert out.status_code == 204
        assert browser.get("/api/session").status_code == 401


@pytest.mark.parametrize("token", ["garbage", "duto_" + "x" * 43, ""])
def test_the_form_refuses_a_wrong_token(served: Served, token: str) -> None:
    with served.client(None) as anonymous:
        answer = anonymous.post("/api/session", json={"token": token}, headers=PORTAL)
        assert answer.status_code in (401, 422) and "set-cookie" not in answer.headers
        if token:
            assert answer.status_code == 401


def test_a_session_changes_things_only_with_the_portal_header_and_within_its_scope(served: Served) -> None:
    body = {"name": "made-in-portal", "scope": "read"}
    with httpx.Client(base_url=served.url, timeout=30) as client:
        assert client.post("/api/tokens", json=body, headers=cookie_of(served, "admin")).status_code == 401
        assert client.post("/api/tokens", json=body, headers={**cookie_of(served, "read"), **PORTAL}).status_code == 403
        made = client.post("/api/tokens", json=body, headers={**cookie_of(served, "admin"), **PORTAL})
        assert made.status_code == 201, made.text


def test_the_sign_in_url_drops_the_token_and_keeps_the_rest(served: Served) -> None:
    token = served.tokens["read"]
    with httpx.Client(base_url=served.url, timeout=30) as browser:
        answer = browser.get(f"/runs/abc?token={token}&tab=logs")
        assert answer.status_code == 303 and answer.headers["location"] == "/runs/abc?tab=logs"
        assert browser.get("/api/session").json()["scope"] == "read"
    with httpx.Client(base_url=served.url, timeout=30) as stranger:
        refused = stranger.get("/?token=duto_nottheone")
        assert refused.status_code == 401 and "set-cookie" not in refused.headers
        assert "text/html" in refused.headers["content-type"]


def test_every_page_outside_the_api_is_the_portal_and_its_assets_are_cached_for_good(served: Served) -> None:
    with served.client(None) as browser:
        home = browser.get("/")
        assert home.status_code == 200, "the portal is built (make portal)"
        assert home.headers["cache-control"] == "no-cache"
        assert browser.get("/runs/some-run/steps/train").text == home.text
        asset = re.search(r'src="(/assets/[^"]+\.js)"', home.text)
        assert asset is not None, home.text
        script = browser.get(asset[1])
        assert script.status_code == 200 and "immutable" in script.headers["cache-control"]
        assert browser.get("/assets/nothing-here.js").status_code == 404
        missing = browser.get("/api/nothing-here")
        assert missing.status_code in (401, 404) and "application/json" in missing.headers["content-type"]
