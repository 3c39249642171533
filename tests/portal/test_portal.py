"""The portal in a real Chromium against a real `duto server` with a finished run: signing in by link and by form,
the home page, a read-only session, and no console error on any page. Each page is saved to build/screenshots/.

Chromium is the machine's (Debian's package, which `make test` installs); playwright drives it and never downloads
a browser of its own.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from portal.browsing import allow_refusals, screenshot
from server.live import World, served_world

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with served_world(tmp_path_factory.mktemp("portal")) as made:
        with made.served.client(None) as client:
            home = client.get("/")
        assert home.status_code == 200, f"the portal is not built: run `make portal` ({home.status_code})"
        yield made


def test_the_sign_in_link_lands_on_home_with_the_token_gone_and_an_http_only_cookie(world: World, page: Page) -> None:
    token = world.served.tokens["read"]
    page.goto(f"{world.served.url}/?token={token}")
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    assert "token" not in page.url and token not in page.url
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["duto_token"]["httpOnly"] and cookies["duto_token"]["sameSite"] == "Strict"
    runs = page.get_by_role("region", name="Recent runs")
    expect(runs.get_by_role("link", name=world.run_id[:8])).to_be_visible()
    expect(runs.get_by_role("cell", name="seed", exact=True)).to_be_visible()
    expect(runs.locator("[data-status=Finished]")).to_have_text("Finished")
    expect(page.get_by_role("region", name="Published pipelines").get_by_role("listitem")).to_contain_text("say")
    expect(page.get_by_role("region", name="Endpoints").get_by_role("listitem")).to_contain_text("say-endpoint")
    expect(page.get_by_role("region", name="Schedules").get_by_role("listitem")).to_contain_text("yearly-later")
    screenshot(page, "home")
    page.get_by_role("button", name="Switch to the dark theme").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    screenshot(page, "home-dark")


def test_without_a_session_the_form_shows_and_a_pasted_token_signs_in(world: World, page: Page) -> None:
    allow_refusals(page, 401)
    page.goto(f"{world.served.url}/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    screenshot(page, "sign-in")
    page.get_by_label("Token").fill("duto_not-a-real-token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not a token of this workspace")
    screenshot(page, "sign-in-refused")
    page.get_by_label("Token").fill(world.served.tokens["submit"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    expect(page.get_by_text("test-submit")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_a_refused_link_shows_the_form_with_an_error_and_drops_the_token(world: World, page: Page) -> None:
    allow_refusals(page, 401)
    page.goto(f"{world.served.url}/?token=duto_nottheone")
    expect(page.get_by_role("alert")).to_contain_text("token in the link")
    assert "token" not in page.url


def test_a_read_session_changes_nothing(world: World, page: Page) -> None:
    allow_refusals(page, 403)
    page.goto(f"{world.served.url}/?token={world.served.tokens['read']}")
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    status = page.evaluate(
        """async () => (await fetch('/api/tokens', {method: 'POST', headers: {'Content-Type': 'application/json',
        'X-Duto-Portal': '1'}, body: JSON.stringify({name: 'from-portal', scope: 'read'})})).status"""
    )
    assert status == 403


def test_a_page_the_portal_does_not_have_says_so(world: World, page: Page) -> None:
    page.goto(f"{world.served.url}/?token={world.served.tokens['read']}")
    page.goto(f"{world.served.url}/no/such/page")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    screenshot(page, "not-found")
