"""The portal's pages in a real Chromium against a real `duto server`: triggering a published pipeline from its page,
the experiment table and its way to the compare page, what a read session is not offered, tokens made and revoked,
and every page free of console errors. Each page is saved to build/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from duto import Experiment, Workspace
from duto.pipeline import Pipeline, PipelineParameter, PublishedPipeline
from duto.pipeline.steps import PythonScriptStep
from portal.browsing import allow_refusals, screenshot
from server.live import SEED_EXPERIMENT, World, served_world

pytestmark = pytest.mark.timeout(180)
TUNED = "tune"  # an experiment whose runs log metrics, on the run and on a step
TRAIN = """
import sys
from duto import Run
run = Run.get_context()
lr = float(sys.argv[1])
for epoch in range(3):
    run.log("loss", 1 / (epoch + 1) + lr)
run.log("accuracy", 0.9 - lr)
run.parent.log("best_accuracy", 0.9 - lr)
"""


def tuned_pipeline(ws: Workspace) -> Pipeline:
    folder = ws.root / "train"
    folder.mkdir(exist_ok=True)
    (folder / "train.py").write_text(TRAIN)
    lr = PipelineParameter("lr", default_value=0.1)
    step = PythonScriptStep("train.py", name="train", source_directory=str(folder), arguments=[lr])
    return Pipeline(ws, [step])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The served world with a second finished run in its experiment, so there are two to compare."""
    with served_world(tmp_path_factory.mktemp("pages")) as made:
        with made.served.client(None) as client:
            home = client.get("/")
        assert home.status_code == 200, f"the portal is not built: run `make portal` ({home.status_code})"
        ws = made.served.workspace
        again = PublishedPipeline.get(ws, made.pipeline_id).submit(ws, SEED_EXPERIMENT, {"lr": 0.125})
        assert again.wait_for_completion(show_output=False) == "Finished"
        for lr in (0.3, 0.1, 0.03):
            run = Experiment(ws, TUNED).submit(tuned_pipeline(ws), {"lr": lr}, tags={"team": "vision"})
            assert run.wait_for_completion(show_output=False) == "Finished"
        yield made


def sign_in(page: Page, world: World, scope: str) -> None:
    page.goto(f"{world.served.url}/?token={world.served.tokens[scope]}")
    expect(page.get_by_role("heading", name="Home")).to_be_visible()


def test_a_pipeline_is_triggered_from_its_page_and_its_new_run_is_linked(world: World, page: Page) -> None:
    allow_refusals(page, 422)
    sign_in(page, world, "submit")
    page.goto(f"{world.served.url}/pipelines/{world.pipeline_id}")
    expect(page.get_by_role("heading", name="say")).to_be_visible()
    form = page.get_by_role("region", name="Trigger")
    expect(form.locator("pre")).to_contain_text(
        f'curl -fsS -X POST "{world.served.url}/api/pipelines/{world.pipeline_id}/runs"'
    )
    expect(form.locator("pre")).to_contain_text('-H "Authorization: Bearer $TOKEN"')

    form.get_by_role("button", name="Trigger").click()
    expect(form.get_by_role("alert")).to_contain_text("is required")  # checked before sending

    form.get_by_label("Experiment").fill("x" * 300)
    form.get_by_role("button", name="Trigger").click()
    expect(form.locator("#error-ExperimentName")).to_contain_text("at most 255 characters")  # the server's words

    form.get_by_label("Experiment").fill("from-portal")
    form.get_by_label("lr").fill("0.25")
    expect(form.locator("pre")).to_contain_text(
        """-d '{"ExperimentName": "from-portal", "ParameterAssignments": {"lr": 0.25}}'"""
    )
    form.get_by_role("button", name="Trigger").click()
    started = form.get_by_role("status")
    expect(started).to_contain_text("Started run")
    run_link = started.get_by_role("link")
    short_id = run_link.inner_text()
    runs = page.get_by_role("region", name="Runs of this pipeline")
    expect(runs.get_by_role("link", name=short_id)).to_be_visible()
    expect(runs.get_by_role("row").filter(has_text=short_id)).to_contain_text("from-portal")
    screenshot(page, "pipeline")
    run_link.click()
    expect(page).to_have_url(re.compile(rf"/runs/{short_id}[0-9a-f-]+$"))


def test_the_experiment_table_lists_runs_and_two_picked_go_to_compare(world: World, page: Page) -> None:
    sign_in(page, world, "read")
    page.goto(f"{world.served.url}/experiments")
    row = page.get_by_role("row").filter(has_text=SEED_EXPERIMENT)
    expect(row).to_contain_text("Finished")
    screenshot(page, "experiments")
    row.get_by_role("link", name=SEED_EXPERIMENT).click()
    expect(page.get_by_role("heading", name=SEED_EXPERIMENT)).to_be_visible()
    table = page.get_by_role("table", name="Runs")
    expect(table.get_by_role("row")).to_have_count(3)  # the header and the two runs
    expect(table.get_by_role("columnheader", name="lr")).to_be_visible()
    compare = page.get_by_role("button", name=re.compile("^Compare"))
    expect(compare).to_be_disabled()

    table.get_by_role("button", name="lr").click()  # sort by lr, descending
    expect(page).to_have_url(re.compile(r"sort=param%3Alr&dir=desc"))
    first, second = (table.get_by_role("row").nth(i) for i in (1, 2))
    expect(first).to_contain_text("0.5")
    expect(second).to_contain_text("0.125")
    page.get_by_label("Filter by parameters and tags").fill("lr=0.125")
    expect(table.get_by_role("row")).to_have_count(2)
    page.get_by_label("Filter by parameters and tags").fill("")
    screenshot(page, "experiment")

    ids = []
    for row_index in (1, 2):
        box = table.get_by_role("row").nth(row_index).get_by_role("checkbox")
        ids.append(box.get_attribute("aria-label").split()[-1])  # type: ignore[union-attr]
        box.check()
    expect(compare).to_be_enabled()
    compare.click()
    expect(page).to_have_url(re.compile(r"/compare\?runs=[0-9a-f-]+,[0-9a-f-]+$"))
    picked = page.url.split("runs=")[1].split(",")
    assert [p[:8] for p in picked] == ids and world.run_id in picked


def test_a_read_session_is_offered_no_change(world: World, page: Page) -> None:
    sign_in(page, world, "read")
    page.goto(f"{world.served.url}/pipelines/{world.pipeline_id}")
    expect(page.get_by_role("heading", name="say")).to_be_visible()
    expect(page.get_by_text("may read only")).to_be_visible()
    for name in ("Trigger", "Disable", "Enable"):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
    page.goto(f"{world.served.url}/schedules")
    expect(page.get_by_role("cell", name=re.compile("yearly-later"))).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^(Enable|Disable)"))).to_have_count(0)
    page.goto(f"{world.served.url}/tokens")
    expect(page.get_by_text("Tokens are managed with an admin token")).to_be_visible()
    screenshot(page, "tokens-read")


def test_an_admin_disables_and_enables_makes_and_revokes_a_token(world: World, page: Page) -> None:
    sign_in(page, world, "admin")
    page.goto(f"{world.served.url}/schedules")
    page.get_by_role("button", name="Disable yearly-later").click()
    expect(page.get_by_role("button", name="Enable yearly-later")).to_be_visible()
    page.get_by_role("button", name="Enable yearly-later").click()
    expect(page.get_by_role("button", name="Disable yearly-later")).to_be_visible()
    screenshot(page, "schedules")

    page.goto(f"{world.served.url}/tokens")
    page.get_by_label("Name").fill("from-portal")
    page.get_by_role("button", name="Create token").click()
    secret = page.get_by_label("The new token's secret")
    expect(secret).to_contain_text("duto_")
    expect(page.get_by_role("status")).to_contain_text("shown this once")
    screenshot(page, "tokens")
    page.get_by_role("row").filter(has_text="from-portal").get_by_role("button", name="Revoke").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Revoke from-portal?")
    dialog.get_by_role("button", name="Revoke from-portal").click()
    expect(page.get_by_role("row").filter(has_text="from-portal")).to_contain_text("revoked")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_page_shows_without_a_console_error(world: World, page: Page, theme: str) -> None:
    sign_in(page, world, "admin")
    if theme == "dark":
        page.get_by_role("button", name="Switch to the dark theme").click()
    pages = {
        "experiments": ("/experiments", "Experiments"),
        "experiment": (f"/experiments/{SEED_EXPERIMENT}", SEED_EXPERIMENT),
        "experiment-metrics": (f"/experiments/{TUNED}?sort=metric%3Abest_accuracy&dir=desc", TUNED),
        "pipelines": ("/pipelines", "Pipelines"),
        "pipeline": (f"/pipelines/{world.pipeline_id}", "sayActive"),
        "schedules": ("/schedules", "Schedules"),
        "compute": ("/compute", "Compute"),
        "tokens": ("/tokens", "Tokens"),
    }
    for name, (path, heading) in pages.items():
        page.goto(f"{world.served.url}{path}")
        expect(page.locator("h1")).to_have_text(heading)
        expect(page.get_by_text("Loading…")).to_have_count(0)
        if theme == "dark":
            screenshot(page, f"{name}-dark")
        elif name in ("pipelines", "compute", "experiment-metrics"):
            screenshot(page, name)
    page.goto(f"{world.served.url}/experiments/{TUNED}")
    table = page.get_by_role("table", name="Runs")
    expect(table.get_by_role("columnheader", name="best_accuracy")).to_be_visible()
    page.locator("summary", has_text="Metrics").click()
    # The column list lives in the URL, whose change React Router renders in a transition: click, then wait.
    picked = page.get_by_role("checkbox", name="train/loss")
    picked.click()
    expect(picked).to_be_checked()
    expect(table.get_by_role("columnheader", name="train/loss")).to_be_visible()
    expect(page).to_have_url(re.compile(r"metrics=best_accuracy%2Ctrain%2Floss"))
    expect(table.get_by_role("row").nth(1)).to_contain_text("0.3633")  # 1/3 + 0.03: the last loss logged
    screenshot(page, f"experiment-metrics-picked-{theme}")
