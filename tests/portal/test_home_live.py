"""Home follows the workspace's run events in a real Chromium against a real `duto server`: a run submitted while
the page is open shows, and turns Finished, with no reload and no polling; its endpoints link to their pages."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, Request, expect

from duto import Experiment
from duto.pipeline import Pipeline
from duto.pipeline.steps import CommandStep
from portal.browsing import screenshot
from server.live import World, served_world

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with served_world(tmp_path_factory.mktemp("home-live")) as made:
        yield made


def test_a_run_submitted_while_home_is_open_shows_there_without_a_reload(world: World, page: Page) -> None:
    page.goto(f"{world.served.url}/?token={world.served.tokens['read']}")
    runs = page.get_by_role("region", name="Recent runs")
    expect(runs.get_by_role("link", name=world.run_id[:8])).to_be_visible()
    expect(runs.get_by_text("live", exact=True)).to_be_visible()
    asked: list[str] = []

    def note(request: Request) -> None:
        if re.search(r"/api/runs(\?|$)", request.url):
            asked.append(request.url)

    page.on("request", note)
    page.evaluate("window.stillTheSamePage = true")
    page.wait_for_timeout(2500)  # longer than the old poll: nothing asks for the runs while nothing happens
    assert asked == [], f"home polled the runs: {asked}"

    ws = world.served.workspace
    steps = [CommandStep("sleep 1; echo done", name="slow", allow_reuse=False)]
    run = Experiment(ws, "while-open").submit(Pipeline(ws, steps))
    row = runs.get_by_role("row").filter(has=page.get_by_role("link", name=run.id[:8]))
    expect(row).to_be_visible()
    expect(row).to_contain_text("while-open")
    expect(row.locator("[data-status]")).to_have_text("Finished", timeout=30_000)
    assert page.evaluate("window.stillTheSamePage") is True, "the page was not reloaded"
    # One refresh per burst of status changes (at most one a second), not one every 2 s.
    assert 1 <= len(asked) <= 4, asked
    screenshot(page, "home-live")

    endpoint = page.get_by_role("region", name="Endpoints").get_by_role("link", name=world.endpoint_name)
    endpoint.click()
    expect(page).to_have_url(re.compile(rf"/endpoints/{world.endpoint_name}$"))
    expect(page.get_by_role("heading", name=world.endpoint_name)).to_be_visible()
