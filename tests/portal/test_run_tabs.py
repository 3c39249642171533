"""The run page's tabs and actions in a real Chromium against a real `duto server`: every step's log on one page,
followed live and searched; every step's metrics as charts by metric name; the step on a page of its own with its
tab in the URL and a panel that keeps its width; Re-submit with an edited parameter (and refused to a reader); no
console error. Light and dark screenshots at 1440 px go to build/screenshots/."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from duto import Experiment
from duto.facade.runs import PipelineRun
from duto.pipeline import Pipeline
from duto.pipeline.steps import PythonScriptStep
from portal.browsing import allow_refusals, screenshot
from server.live import World, served_world

pytestmark = pytest.mark.timeout(240)

# Logs a loss each epoch and says so, every 0.25 s for about 6 s: long enough to watch the run log follow it.
TRAIN = """
import sys, time
from duto import Run
run = Run.get_context()
scale = float(sys.argv[1])
for epoch in range(1, 25):
    run.log("loss", scale / epoch)
    run.log("accuracy", 1 - scale / (epoch + 1))
    print(f"epoch {epoch} loss {scale / epoch:.4f}", flush=True)
    time.sleep(0.25)
run.log("final_loss", scale / 24)
"""
PREP = """
from duto import Run
for i in range(5):
    Run.get_context().log("rows", 100 * (i + 1))
    print(f"prepared chunk {i}")
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with served_world(tmp_path_factory.mktemp("run-tabs")) as made:
        yield made


def sign_in(world: World, page: Page, path: str, scope: str = "read") -> None:
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{world.served.url}/?token={world.served.tokens[scope]}")
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    page.goto(f"{world.served.url}{path}")


def training(world: World) -> PipelineRun:
    ws = world.served.workspace
    folder = ws.root / "train"
    folder.mkdir(exist_ok=True)
    (folder / "train.py").write_text(textwrap.dedent(TRAIN))
    (folder / "prep.py").write_text(textwrap.dedent(PREP))
    prep = PythonScriptStep("prep.py", name="prep", source_directory=str(folder), allow_reuse=False)
    wide = PythonScriptStep(
        "train.py", name="train-wide", source_directory=str(folder), arguments=["2.0"], allow_reuse=False
    )
    narrow = PythonScriptStep(
        "train.py", name="train-narrow", source_directory=str(folder), arguments=["1.0"], allow_reuse=False
    )
    wide.run_after(prep)
    narrow.run_after(prep)
    return Experiment(ws, "tabs").submit(Pipeline(ws, [prep, wide, narrow]), tags={"team": "vision"})


def dark(page: Page) -> None:
    page.get_by_role("button", name="Switch to the dark theme").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")


def test_the_run_log_follows_every_step_live_and_the_metrics_tab_draws_every_steps_curves(
    world: World, page: Page
) -> None:
    run = training(world)
    try:
        sign_in(world, page, f"/runs/{run.id}?view=logs")
        log = page.get_by_test_id("run-log")
        wide = log.locator("[data-testid=run-log-section][data-step=train-wide]")
        expect(wide).to_contain_text("epoch 1 loss", timeout=30_000)
        seen = wide.inner_text()
        expect(wide).to_contain_text("epoch 12 loss", timeout=20_000)
        assert len(wide.inner_text()) > len(seen), "the run log grows while the step writes"
        expect(log.locator("[data-testid=run-log-section][data-step=prep]")).to_contain_text("prepared chunk 4")
        assert run.wait_for_completion(show_output=False) == "Finished"
        expect(wide).to_contain_text("epoch 24 loss 0.0833", timeout=15_000)
        for section in log.locator("[data-testid=run-log-section]").all():
            expect(section.locator("header")).to_contain_text("Finished", timeout=15_000)  # read once it ended
        names = log.locator("[data-testid=run-log-section]").evaluate_all("els => els.map(e => e.dataset.step)")
        assert names[0] == "prep" and set(names) == {"prep", "train-wide", "train-narrow"}, "in the order they started"
        screenshot(page, "run-tab-logs")

        page.get_by_label("Search every step's log").fill("EPOCH 7 ")
        expect(page.get_by_test_id("run-log-count")).to_have_text("2 matching lines")
        expect(wide.locator("mark")).to_have_text(["epoch 7 "])
        expect(log.locator("[data-testid=run-log-section][data-step=prep]")).to_have_count(0)
        screenshot(page, "run-tab-logs-search")

        page.get_by_role("tab", name="Metrics").click()
        expect(page).to_have_url(re.compile(r"view=metrics"))
        loss = page.locator("[data-testid=metric-chart][data-metric=loss]")
        expect(loss).to_have_attribute("data-points", "48")  # 24 points from each training step
        expect(loss.locator(".chart-legend li")).to_have_text(["train-wide", "train-narrow"])
        rows = page.locator("[data-testid=metric-chart][data-metric=rows]")
        expect(rows).to_have_attribute("data-points", "5")
        expect(rows.locator(".chart-legend li")).to_have_text(["prep"])  # a lone line names its step too
        expect(page.locator("[data-testid=metric-chart]")).to_have_count(3)  # accuracy, loss, rows
        scalars = page.get_by_test_id("run-metric-scalars")
        expect(scalars.locator("tr", has_text="final_loss")).to_contain_text("0.0833333")
        screenshot(page, "run-tab-metrics")
        dark(page)
        screenshot(page, "run-tab-metrics-dark")
        page.get_by_role("tab", name="Logs").click()
        expect(page.get_by_test_id("run-log-section")).to_have_count(3)
        screenshot(page, "run-tab-logs-dark")
        page.get_by_role("tab", name="Graph").click()
        expect(page.get_by_test_id("step-node").first).to_be_visible()
        screenshot(page, "run-tab-graph-dark")
    finally:
        if run.get_status() not in ("Finished", "Failed", "Canceled"):
            run.cancel()


def test_a_step_opens_on_its_own_page_with_its_tab_in_the_url_and_the_panel_keeps_its_width(
    world: World, page: Page
) -> None:
    run = world.served.workspace.get_run(world.run_id)
    step = run.get_steps()[0]
    sign_in(world, page, f"/runs/{run.id}/steps/{step.id}")
    panel = page.get_by_test_id("step-panel")
    expect(panel.get_by_test_id("step-log")).to_contain_text("said")
    width = panel.bounding_box()["width"]  # type: ignore[index]
    handle = page.get_by_test_id("panel-handle")
    handle.focus()
    for _ in range(4):
        page.keyboard.press("ArrowLeft")
    expect(panel).not_to_have_css("width", f"{width}px")
    widened = panel.bounding_box()["width"]  # type: ignore[index]
    assert widened == pytest.approx(width + 128, abs=2), "each arrow press widens it 32 px"
    box = handle.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 3, box["y"] + 200)
    page.mouse.down()
    page.mouse.move(box["x"] - 97, box["y"] + 200, steps=5)
    page.mouse.up()
    dragged = panel.bounding_box()["width"]  # type: ignore[index]
    assert dragged == pytest.approx(widened + 100, abs=3), "dragging the handle left widens it"
    page.reload()
    expect(panel.get_by_test_id("step-log")).to_contain_text("said")
    assert panel.bounding_box()["width"] == pytest.approx(dragged, abs=1), "the width is remembered"  # type: ignore[index]
    screenshot(page, "step-panel-wide")

    panel.get_by_role("tab", name="Environment").click()
    expect(page).to_have_url(re.compile(r"tab=environment"))
    page.get_by_test_id("step-full-toggle").click()
    expect(page).to_have_url(re.compile(r"full=1"))
    expect(page.get_by_test_id("run-graph")).to_have_count(0)
    expect(panel.get_by_role("tab", name="Environment")).to_have_attribute("aria-selected", "true")
    full = panel.bounding_box()["width"]  # type: ignore[index]
    assert full > 1300, f"the step's own page uses the window's width, not {full} px"
    shared = page.url
    page.goto(shared)  # the URL alone opens the same page and tab
    expect(page.get_by_role("tabpanel", name="environment")).to_be_visible()
    panel.get_by_role("tab", name="Why").click()
    expect(page.get_by_test_id("step-why")).to_be_visible()
    screenshot(page, "step-full-page")
    dark(page)
    panel.get_by_role("tab", name="Log").click()
    expect(panel.get_by_test_id("step-log")).to_contain_text("said")
    screenshot(page, "step-full-page-dark")
    page.get_by_test_id("step-full-toggle").click()
    expect(page.get_by_test_id("run-graph")).to_be_visible()


def test_re_submit_starts_the_run_again_with_an_edited_parameter_and_opens_it(world: World, page: Page) -> None:
    ws = world.served.workspace
    sign_in(world, page, f"/runs/{world.run_id}", scope="submit")
    expect(page.get_by_test_id("run-id")).to_have_text(world.run_id[:8])
    expect(page.get_by_test_id("run-trigger")).to_have_text(world.pipeline_id[:8])
    screenshot(page, "run-header")
    page.get_by_role("button", name="Re-submit…").click()
    form = page.get_by_role("form", name="Re-submit this run")
    field = form.get_by_role("textbox")
    expect(field).to_have_value("0.5")
    field.fill("0.25")
    screenshot(page, "run-resubmit-form")
    form.get_by_role("button", name="Start the run").click()
    expect(page).not_to_have_url(re.compile(world.run_id))
    new_id = page.url.rsplit("/runs/", 1)[1].split("?")[0]
    expect(page.get_by_test_id("run-trigger")).to_have_text(world.run_id[:8])
    expect(page.get_by_label("Parameters")).to_contain_text("0.25")
    again = ws.get_run(new_id)
    assert again.parameters == {"lr": 0.25} and again.get_tags() == {"resubmitted_from": world.run_id}
    assert again.wait_for_completion(show_output=False) == "Finished"
    expect(page.get_by_test_id("run-status")).to_contain_text("Finished", timeout=20_000)

    # A parameter of the wrong type is refused naming it, and nothing starts.
    allow_refusals(page, 422)
    before = len(list(Experiment(ws, "seed").get_runs()))
    page.get_by_role("button", name="Re-submit…").click()
    page.get_by_role("form", name="Re-submit this run").get_by_role("textbox").fill("fast")
    page.get_by_role("button", name="Start the run").click()
    expect(page.get_by_role("alert")).to_contain_text("ParameterAssignments.lr")
    assert len(list(Experiment(ws, "seed").get_runs())) == before


def test_a_reader_sees_re_submit_disabled_saying_why(world: World, page: Page) -> None:
    sign_in(world, page, f"/runs/{world.run_id}")
    button = page.get_by_role("button", name="Re-submit")
    expect(button).to_be_disabled()
    expect(button).to_have_attribute("title", re.compile("scope submit"))
