"""The endpoint pages in a real Chromium against a real `duto server`: the list of endpoints, an endpoint's
versions, a run triggered from its page (the default version and a pinned one) that then shows in its runs
(live), an admin's default and enable/disable, what a read session is not offered, and the empty states. Each
page is saved to build/screenshots/, light and dark."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from duto import Workspace
from duto.pipeline import PipelineEndpoint
from portal.browsing import screenshot
from server.conftest import start_server, stop_server
from server.live import World, one_step_pipeline, served_world

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The served world, its endpoint with a second version (not the default) of another published pipeline."""
    with served_world(tmp_path_factory.mktemp("endpoints"), with_run=False) as made:
        ws = made.served.workspace
        second = one_step_pipeline(ws).publish("say-again", description="the second version")
        PipelineEndpoint.get(ws, id=made.endpoint_id).add(second)
        yield made


def sign_in(page: Page, world: World, scope: str, path: str) -> None:
    page.goto(f"{world.served.url}/?token={world.served.tokens[scope]}")
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    page.goto(f"{world.served.url}{path}")


def trigger(page: Page, experiment: str, lr: str) -> str:
    """Fill the trigger form and start a run; returns the new run's short id."""
    form = page.get_by_role("region", name="Trigger")
    form.get_by_label("Experiment").fill(experiment)
    form.get_by_label("lr").fill(lr)
    form.get_by_role("button", name="Trigger").click()
    started = form.get_by_role("status")
    expect(started).to_contain_text("Started run")
    return started.get_by_role("link").inner_text()


def test_a_run_triggered_from_an_endpoints_page_shows_in_its_runs(world: World, page: Page) -> None:
    sign_in(page, world, "submit", "/endpoints")
    row = page.get_by_role("row").filter(has_text="say-endpoint")
    expect(row).to_contain_text("v0")
    expect(row.get_by_role("cell").nth(2)).to_have_text("2")
    expect(row).to_contain_text("Active")
    expect(row).to_contain_text("none yet")
    row.get_by_role("link", name="say-endpoint").click()
    expect(page).to_have_url(re.compile(r"/endpoints/say-endpoint$"))
    expect(page.get_by_role("heading", name="say-endpoint")).to_be_visible()

    versions = page.get_by_role("region", name="Versions")
    expect(versions.get_by_role("row")).to_have_count(3)  # the header and two versions
    expect(versions.get_by_role("row").nth(1)).to_contain_text("say-again")
    expect(versions.get_by_role("row").nth(2)).to_contain_text("default")
    expect(versions.get_by_role("button", name=re.compile("Make .* the default"))).to_have_count(0)
    expect(versions).to_contain_text("needs an admin token")
    runs = page.get_by_role("region", name="Runs through this endpoint")
    expect(runs).to_contain_text("No runs through this endpoint yet")
    expect(page.get_by_text("Loading…")).to_have_count(0)
    screenshot(page, "endpoint-empty")

    form = page.get_by_role("region", name="Trigger")
    url = f"{world.served.url}/api/endpoints/{world.endpoint_id}/runs"
    expect(form.locator("pre")).to_contain_text(f'curl -fsS -X POST "{url}"')
    short_id = trigger(page, "via-endpoint", "0.25")
    row = runs.get_by_role("row").filter(has_text=short_id)
    expect(row).to_contain_text("via-endpoint")
    expect(row).to_contain_text("v0")
    expect(row).to_contain_text("lr=0.25")
    expect(row.locator("[data-status]")).to_have_text("Finished", timeout=30_000)  # followed, not reloaded

    page.get_by_label("Version", exact=True).select_option("1")
    expect(page).to_have_url(re.compile(r"/endpoints/say-endpoint\?version=1$"))
    expect(form.locator("pre")).to_contain_text(f'"{url}?pipelineVersion=1"')
    pinned = trigger(page, "via-endpoint", "0.5")
    expect(runs.get_by_role("row").filter(has_text=pinned)).to_contain_text("v1")
    expect(runs.get_by_role("row")).to_have_count(3)
    screenshot(page, "endpoint")

    page.get_by_role("link", name="Endpoints", exact=True).first.click()
    last = page.get_by_role("row").filter(has_text="say-endpoint")
    expect(last.get_by_role("link", name=pinned)).to_be_visible()
    screenshot(page, "endpoints")


def test_an_admin_sets_the_default_and_disables_and_enables_the_endpoint(world: World, page: Page) -> None:
    sign_in(page, world, "admin", "/endpoints/say-endpoint")
    versions = page.get_by_role("region", name="Versions")
    versions.get_by_role("button", name="Make v1 the default").click()
    expect(versions.get_by_role("row").nth(1)).to_contain_text("default")
    expect(versions.get_by_role("button", name="Make v0 the default")).to_be_visible()
    form = page.get_by_role("region", name="Trigger")
    expect(page.get_by_label("Version", exact=True)).to_have_value("1")
    expect(form.locator("pre")).not_to_contain_text("pipelineVersion")

    page.get_by_role("button", name="Disable", exact=True).click()
    expect(page.locator("h1")).to_contain_text("Disabled")
    expect(form.get_by_role("button", name="Trigger")).to_be_disabled()
    expect(form).to_contain_text("The endpoint is disabled")
    screenshot(page, "endpoint-disabled")
    page.get_by_role("button", name="Enable", exact=True).click()
    expect(page.locator("h1")).to_contain_text("Active")
    expect(form.get_by_role("button", name="Trigger")).to_be_enabled()
    versions.get_by_role("button", name="Make v0 the default").click()
    expect(versions.get_by_role("row").nth(2)).to_contain_text("default")


def test_a_read_session_sees_the_endpoint_and_is_offered_no_change(world: World, page: Page) -> None:
    sign_in(page, world, "read", "/endpoints/say-endpoint")
    expect(page.get_by_role("heading", name="say-endpoint")).to_be_visible()
    expect(page.get_by_text("may read only")).to_be_visible()
    for name in ("Trigger", "Disable", "Enable"):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("Make .* the default"))).to_have_count(0)
    expect(page.get_by_role("region", name="Trigger").locator("pre")).to_contain_text("curl -fsS -X POST")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_endpoint_pages_show_without_a_console_error(world: World, page: Page, theme: str) -> None:
    sign_in(page, world, "admin", "/endpoints")
    if theme == "dark":
        page.get_by_role("button", name="Switch to the dark theme").click()
    for name, path, heading in (
        ("endpoints", "/endpoints", "Endpoints"),
        ("endpoint", "/endpoints/say-endpoint", "say-endpointActive"),
    ):
        page.goto(f"{world.served.url}{path}")
        expect(page.locator("h1")).to_have_text(heading)
        expect(page.get_by_text("Loading…")).to_have_count(0)
        expect(page.get_by_text("…", exact=True)).to_have_count(0)  # each endpoint's last run read
        screenshot(page, f"{name}-{theme}")


def test_a_workspace_without_endpoints_says_how_to_make_one(ws: Workspace, tmp_path: Path, page: Page) -> None:
    served = start_server(ws, tmp_path / "server.log")
    try:
        page.goto(f"{served.url}/?token={served.tokens['read']}")
        home = page.get_by_role("region", name="Endpoints")
        expect(home).to_contain_text("No pipeline endpoints yet")
        expect(home).to_contain_text("PipelineEndpoint.publish(")
        screenshot(page, "home-empty")
        page.get_by_role("link", name="Endpoints", exact=True).click()
        listed = page.get_by_role("region", name="Endpoints")
        expect(listed).to_contain_text("pipeline=published")
        expect(listed).to_contain_text("duto endpoints create")
        screenshot(page, "endpoints-empty")
    finally:
        stop_server(served)
