"""The run page in a real Chromium against a real `duto server`: a running run followed live (a step turns
Finished with no reload), its log on the page growing while the step writes it, the Reused badge on a re-run's
steps, the timeline, a module step's module and version, and no console error. Each page is saved to
build/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from duto import Experiment
from duto.pipeline import Module, Pipeline, PublishedPipeline
from duto.pipeline.steps import CommandStep, ModuleStep
from portal.browsing import screenshot
from server.live import World, served_world

pytestmark = pytest.mark.timeout(180)

# Writes a line every 0.4 s for about 6 s: long enough to watch it run and its log grow.
TICKING = "for i in $(seq 1 15); do echo tick $i; sleep 0.4; done"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with served_world(tmp_path_factory.mktemp("run-page")) as made:
        yield made


def sign_in(world: World, page: Page, path: str) -> None:
    page.goto(f"{world.served.url}/?token={world.served.tokens['read']}")
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    page.goto(f"{world.served.url}{path}")


def test_a_running_step_turns_finished_live_and_its_log_grows_on_the_page(world: World, page: Page) -> None:
    ws = world.served.workspace
    work = CommandStep(TICKING, name="work", allow_reuse=False)
    report = CommandStep("echo reported", name="report", allow_reuse=False)
    report.run_after(work)
    run = Experiment(ws, "live").submit(Pipeline(ws, [work, report]), tags={"kind": "live"})
    try:
        sign_in(world, page, f"/runs/{run.id}")
        node = page.locator("[data-testid=step-node][data-key=work]")
        expect(node.get_by_test_id("step-name")).to_have_text("work")
        expect(node).to_have_attribute("data-status", "Running", timeout=20_000)
        expect(node.get_by_test_id("step-status")).to_have_text("Running")
        node.click()
        log = page.get_by_test_id("step-log")
        expect(log).to_contain_text("tick 1", timeout=10_000)
        first = len(log.inner_text())
        expect(log).to_contain_text("tick 5", timeout=10_000)
        assert len(log.inner_text()) > first, "the log grows while the step writes it"
        screenshot(page, "run-page-running")
        page.get_by_label("Search the log").fill("tick 3")
        expect(log.locator("mark").first).to_have_text("tick 3")
        expect(node).to_have_attribute("data-status", "Finished", timeout=30_000)
        expect(node.get_by_test_id("step-status")).to_have_text("Finished")
        expect(page.get_by_test_id("run-status")).to_contain_text("Finished", timeout=15_000)
        expect(log).to_contain_text("tick 15")
        screenshot(page, "run-page-finished")
    finally:
        if run.get_status() not in ("Finished", "Failed", "Canceled"):
            run.cancel()


def test_a_re_run_shows_its_reused_steps_and_a_timeline(world: World, page: Page) -> None:
    ws = world.served.workspace
    again = PublishedPipeline.get(ws, world.pipeline_id).submit(ws, "seed")
    assert again.wait_for_completion(show_output=False) == "Finished"
    sign_in(world, page, f"/runs/{again.id}")
    node = page.get_by_test_id("step-node").first
    expect(node.get_by_test_id("reused-badge")).to_have_text("Reused")
    expect(page.get_by_test_id("run-experiment")).to_have_text("seed")
    page.keyboard.press("Tab")
    page.get_by_test_id("run-graph").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("step-panel")).to_be_visible()
    expect(page.get_by_test_id("step-log")).to_contain_text("said")
    screenshot(page, "run-page-reused")
    page.get_by_role("tab", name="Timeline").click()
    expect(page.get_by_test_id("run-timeline")).to_be_visible()
    screenshot(page, "run-page-timeline")
    page.get_by_role("button", name="Switch to the dark theme").click()
    page.get_by_role("tab", name="Graph").click()
    expect(page.get_by_test_id("step-node").first).to_be_visible()
    screenshot(page, "run-page-dark")


def test_a_module_steps_panel_names_its_module_and_version(world: World, page: Page) -> None:
    ws = world.served.workspace
    folder = ws.root / "modules" / "hello"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hello.py").write_text("print('hello from a module')")
    module = Module.create(ws, "hello", "says hello")
    module.publish_python_script("hello.py", "first", [], [], source_directory=folder)
    run = Experiment(ws, "modules").submit(Pipeline(ws, [ModuleStep(module)]))
    assert run.wait_for_completion(show_output=False) == "Finished"
    sign_in(world, page, f"/runs/{run.id}/steps/hello")
    expect(page.get_by_test_id("step-module")).to_have_text("hello v1")
    expect(page.get_by_test_id("step-log")).to_contain_text("hello from a module")
    screenshot(page, "run-page-module-step")
