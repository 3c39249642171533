"""The pages of registered datasets, models and modules in a real Chromium against a real `duto server`, over a
workspace whose runs really registered and read them: the lists, a version's details, its lineage graph (a click on
a step opens its run there), the step panel's links back, the empty states, and every page free of console errors.
Each page is saved to build/screenshots/, light and dark, 1440 px wide."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from duto import Dataset, Experiment, Model, Workspace
from duto.pipeline import Module, Pipeline, PipelineData
from duto.pipeline.graph import InputPortDef, OutputPortDef
from duto.pipeline.steps import PythonScriptStep
from portal.browsing import screenshot
from server.conftest import start_server, stop_server
from server.live import World, served_world

pytestmark = pytest.mark.timeout(240)
WIDE = {"width": 1440, "height": 900}
TRAIN = """
import os, sys
from duto import Run
raw, features = sys.argv[1], sys.argv[2]
os.makedirs(features, exist_ok=True)
rows = sorted(open(os.path.join(d, n)).read() for d, _, ns in os.walk(raw) for n in ns)
open(os.path.join(features, "features.txt"), "w").write(",".join(rows))
os.makedirs("outputs", exist_ok=True)
open("outputs/model.txt", "w").write("trained on " + ",".join(rows))
Run.get_context().register_model(
    model_name="churn", model_path="outputs/model.txt", tags={"stage": "candidate"}, model_framework="ScikitLearn"
)
"""
SCORE = """
import os, sys
print(sorted(os.listdir(sys.argv[1])) if os.path.isdir(sys.argv[1]) else open(sys.argv[1]).read())
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The served world, with two versions of dataset "raw", a run whose step "train" read raw v2, wrote dataset
    "features" and registered model "churn", a second run whose step "score" read features, a model registered by
    hand from raw v1, and a module with two versions."""
    with served_world(tmp_path_factory.mktemp("assets"), with_run=False) as made:
        ws = made.served.workspace
        upload = ws.root / "upload"
        (upload / "raw").mkdir(parents=True)
        ds = ws.get_default_datastore()
        for content in ("a,b\n1,2", "a,b\n1,2\n3,4"):
            (upload / "raw" / "part.csv").write_text(content)
            ds.upload(str(upload), target_path="", overwrite=True, show_progress=False)
            Dataset.File.from_files((ds, "raw/**")).register(
                ws, "raw", description="the raw CSVs", tags={"source": "crm"}, create_new_version=True
            )
        src = ws.root / "steps"
        src.mkdir()
        (src / "train.py").write_text(TRAIN)
        (src / "score.py").write_text(SCORE)

        raw = Dataset.get_by_name(ws, "raw").as_named_input("raw").as_download()
        features = PipelineData("features", datastore=ds, is_directory=True).as_dataset().register(name="features")
        train = PythonScriptStep(
            "train.py",
            name="train",
            source_directory=str(src),
            arguments=[raw, features],
            inputs=[raw],
            outputs=[features],
        )
        trained = Experiment(ws, "churn").submit(Pipeline(ws, [train]))
        assert trained.wait_for_completion(show_output=False) == "Finished"

        read = Dataset.get_by_name(ws, "features").as_named_input("features").as_mount()
        score = PythonScriptStep("score.py", name="score", source_directory=str(src), arguments=[read], inputs=[read])
        scored = Experiment(ws, "churn").submit(Pipeline(ws, [score]))
        assert scored.wait_for_completion(show_output=False) == "Finished"

        (upload / "baseline.pkl").write_bytes(b"baseline")
        Model.register(
            ws,
            str(upload / "baseline.pkl"),
            "baseline",
            properties={"auc": "0.81"},
            model_framework="ScikitLearn",
            description="the rule of thumb",
            datasets=[("training", Dataset.get_by_name(ws, "raw", version=1))],
        )

        module = Module.create(ws, "featurize", "turns raw CSVs into features")
        data = InputPortDef("data", ["AnyDirectory"])
        out = OutputPortDef("features", is_directory=True)
        for note in ("first version", "second version"):
            (src / "featurize.py").write_text(f"print({note!r})")
            module.publish_python_script(
                "featurize.py", note, inputs=[data], outputs=[out], params={"scale": 2}, source_directory=str(src)
            )
        yield made


def sign_in(page: Page, world: World, path: str) -> None:
    page.goto(f"{world.served.url}/?token={world.served.tokens['read']}")
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    page.goto(f"{world.served.url}{path}")


def row_of(page: Page, region: str, text: str):  # type: ignore[no-untyped-def]
    return page.get_by_role("region", name=region).get_by_role("row").filter(has_text=text)


def test_a_datasets_versions_lineage_and_the_run_that_read_it(world: World, page: Page) -> None:
    page.set_viewport_size(WIDE)
    sign_in(page, world, "/datasets")
    raw = row_of(page, "Datasets", "raw")
    expect(raw).to_contain_text("v2")
    expect(raw.get_by_role("cell").nth(2)).to_have_text("2")
    expect(raw).to_contain_text("file")
    expect(raw).to_contain_text("source=crm")
    expect(raw).to_contain_text("registered by hand")
    # The list names the run (and links to its step) that produced a version; its page names the step too.
    produced = row_of(page, "Datasets", "features").get_by_role("link", name=re.compile(r"^run "))
    expect(produced).to_have_attribute("href", re.compile(r"^/runs/[^/]+/steps/[^/]+$"))

    raw.get_by_role("link", name="raw").click()
    expect(page).to_have_url(re.compile(r"/datasets/raw$"))
    expect(page.locator("h1")).to_have_text("raw v2")
    versions = page.get_by_role("region", name="Versions")
    expect(versions.get_by_role("row")).to_have_count(3)  # the header and two versions
    details = page.get_by_role("region", name="Version details")
    expect(details).to_contain_text("workspaceblobstore:raw/**")
    expect(details).to_contain_text("train")
    expect(details).to_contain_text("as raw")
    expect(details).to_contain_text("churn")

    lineage = page.get_by_test_id("lineage-graph")
    expect(lineage.get_by_test_id("lineage-node")).to_have_count(3)  # raw v2, the step train, the model churn
    versions.get_by_role("link", name="v1").click()
    expect(page).to_have_url(re.compile(r"/datasets/raw\?version=1$"))
    expect(page.locator("h1")).to_have_text("raw v1")
    expect(lineage.get_by_test_id("lineage-node")).to_have_count(2)  # raw v1 and the model made from it by hand
    expect(lineage).to_contain_text("baseline")

    versions.get_by_role("link", name="v2").click()
    lineage.get_by_test_id("lineage-node").filter(has_text="train").click()
    expect(page).to_have_url(re.compile(r"/runs/[^/]+/steps/[^/]+$"))
    panel = page.get_by_test_id("step-panel")
    expect(panel.get_by_test_id("panel-step-name")).to_have_text("train")
    panel.get_by_role("tab", name="Data").click()
    data = panel.get_by_test_id("step-data")
    expect(data).to_contain_text("raw v2 as raw")
    expect(data).to_contain_text("features v1")
    data.scroll_into_view_if_needed()
    screenshot(page, "step-data")
    data.get_by_role("link", name="churn v1").click()
    expect(page).to_have_url(re.compile(r"/models/churn\?version=1$"))
    expect(page.locator("h1")).to_have_text("churn v1")


def test_a_models_framework_properties_and_what_made_it(world: World, page: Page) -> None:
    sign_in(page, world, "/models")
    churn = row_of(page, "Models", "churn")
    expect(churn).to_contain_text("ScikitLearn")
    expect(churn).to_contain_text("stage=candidate")
    expect(churn).to_contain_text("train")  # a model's producer is named with its step
    expect(row_of(page, "Models", "baseline")).to_contain_text("registered by hand")

    churn.get_by_role("link", name="churn").click()
    details = page.get_by_role("region", name="Version details")
    expect(details).to_contain_text("model.txt")
    expect(details).to_contain_text("raw")
    lineage = page.get_by_test_id("lineage-graph")
    expect(lineage.get_by_test_id("lineage-node")).to_have_count(3)
    expect(lineage).to_contain_text("used as raw")  # raw v2 -> train -> churn v1, through the step that read it
    expect(lineage).not_to_contain_text("made from")

    page.goto(f"{world.served.url}/models/baseline")
    details = page.get_by_role("region", name="Version details")
    expect(details).to_contain_text("auc")
    expect(details).to_contain_text("0.81")
    page.get_by_test_id("lineage-graph").get_by_test_id("lineage-node").filter(has_text="raw").click()
    expect(page).to_have_url(re.compile(r"/datasets/raw\?version=1$"))


def test_a_modules_versions_ports_and_params(world: World, page: Page) -> None:
    sign_in(page, world, "/modules")
    featurize = row_of(page, "Modules", "featurize")
    expect(featurize).to_contain_text("v1")  # the first version stays the default
    expect(featurize.get_by_role("cell").nth(2)).to_have_text("2")
    featurize.get_by_role("link", name="featurize").click()
    versions = page.get_by_role("region", name="Versions")
    expect(versions.get_by_role("row")).to_have_count(3)
    details = page.get_by_role("region", name="Version details")
    expect(details).to_contain_text("Version 1")
    expect(details.get_by_role("table", name="Input ports")).to_contain_text("AnyDirectory")
    expect(details.get_by_role("table", name="Output ports")).to_contain_text("folder")
    expect(details.get_by_role("table", name="Params")).to_contain_text("scale")
    versions.get_by_role("link", name="v2").click()
    expect(details).to_contain_text("Version 2")
    expect(details).to_contain_text("featurize.py")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_data_pages_show_without_a_console_error(world: World, page: Page, theme: str) -> None:
    page.set_viewport_size(WIDE)
    sign_in(page, world, "/datasets")
    if theme == "dark":
        page.get_by_role("button", name="Switch to the dark theme").click()
    for name, path, heading in (
        ("datasets", "/datasets", "Datasets"),
        ("dataset", "/datasets/raw", "raw v2"),
        ("models", "/models", "Models"),
        ("model", "/models/churn", "churn v1"),
        ("modules", "/modules", "Modules"),
        ("module", "/modules/featurize", "featurizeActive"),
    ):
        page.goto(f"{world.served.url}{path}")
        expect(page.locator("h1")).to_have_text(heading)
        expect(page.get_by_text("Loading…")).to_have_count(0)
        screenshot(page, f"{name}-{theme}")


def test_an_empty_workspace_says_how_to_register_each(ws: Workspace, tmp_path: Path, page: Page) -> None:
    served = start_server(ws, tmp_path / "server.log")
    try:
        page.set_viewport_size(WIDE)
        page.goto(f"{served.url}/?token={served.tokens['read']}")
        page.get_by_role("link", name="Data", exact=True).click()
        expect(page.get_by_role("region", name="Datasets")).to_contain_text("No registered datasets yet")
        expect(page.get_by_role("region", name="Datasets")).to_contain_text('.register(ws, name="raw"')
        screenshot(page, "datasets-empty")
        page.get_by_role("link", name="Models", exact=True).click()
        expect(page.get_by_role("region", name="Models")).to_contain_text("run.register_model(")
        page.get_by_role("link", name="Modules", exact=True).click()
        expect(page.get_by_role("region", name="Modules")).to_contain_text("publish_python_script(")
        screenshot(page, "modules-empty")
    finally:
        stop_server(served)


def test_the_data_tab_asks_once_for_its_run_and_says_a_reader_never_ran(
    ws: Workspace, tmp_path: Path, page: Page
) -> None:
    """A run whose step "fail" fails, so that "read", which reads dataset "seed", never starts: the Data tab of
    each asks `GET /api/runs/{id}/data` once between them (and no dataset's lineage), and "read"'s lists seed with
    a note that it read nothing."""
    (tmp_path / "seed.csv").write_text("1")
    Dataset.File.from_files(str(tmp_path / "seed.csv")).register(ws, "seed")
    src = tmp_path / "steps"
    src.mkdir()
    (src / "fail.py").write_text("import os, sys\nos.makedirs(sys.argv[1], exist_ok=True)\nsys.exit(3)\n")
    (src / "read.py").write_text("import sys\nprint(open(sys.argv[1]).read())\n")
    between = PipelineData("between", datastore=ws.get_default_datastore())
    fail = PythonScriptStep("fail.py", name="fail", source_directory=str(src), arguments=[between], outputs=[between])
    seed = Dataset.get_by_name(ws, "seed").as_named_input("seed").as_download()
    read = PythonScriptStep(
        "read.py", name="read", source_directory=str(src), arguments=[seed, between], inputs=[seed, between]
    )
    run = Experiment(ws, "data").submit(Pipeline(ws, [fail, read]))
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == "Failed"

    served = start_server(ws, tmp_path / "server.log")
    try:
        page.set_viewport_size(WIDE)
        page.goto(f"{served.url}/?token={served.tokens['read']}")
        expect(page.get_by_role("heading", name="Home")).to_be_visible()
        asked: list[str] = []
        page.on("request", lambda request: asked.append(request.url))
        page.goto(f"{served.url}/runs/{run.id}/steps/fail?tab=data")
        panel = page.get_by_test_id("step-panel")
        expect(panel).to_contain_text("This step read and registered no registered datasets or models.")

        page.locator("[data-testid=step-node][data-key=read]").click()
        expect(panel.get_by_test_id("panel-step-name")).to_have_text("read")
        if not panel.get_by_test_id("step-data").is_visible():
            panel.get_by_role("tab", name="Data").click()
        data = panel.get_by_test_id("step-data")
        expect(data).to_contain_text("seed v1 as seed")
        expect(data.get_by_test_id("step-data-unread")).to_have_text(re.compile(r"^\((canceled|not started)"))
        screenshot(page, "step-data-never-ran")
        assert [url for url in asked if "/data" in url] == [f"{served.url}/api/runs/{run.id}/data"]
        assert not [url for url in asked if "/api/datasets" in url], asked
    finally:
        stop_server(served)


def test_an_admin_unregisters_a_version_after_confirming_and_a_reader_cannot(
    ws: Workspace, tmp_path: Path, page: Page
) -> None:
    model_file = tmp_path / "model.pkl"
    for content in (b"1", b"2"):
        model_file.write_bytes(content)
        Model.register(ws, str(model_file), "churn")
    served = start_server(ws, tmp_path / "server.log")
    try:
        page.set_viewport_size(WIDE)
        page.goto(f"{served.url}/?token={served.tokens['read']}")
        expect(page.get_by_role("heading", name="Home")).to_be_visible()
        page.goto(f"{served.url}/models/churn")
        refused = page.get_by_role("button", name="Unregister")
        expect(refused).to_be_disabled()
        expect(refused).to_have_attribute("title", re.compile("scope admin"))

        page.goto(f"{served.url}/?token={served.tokens['admin']}")
        expect(page.get_by_role("heading", name="Home")).to_be_visible()
        page.goto(f"{served.url}/models/churn")
        expect(page.locator("h1")).to_have_text("churn v2")
        page.get_by_role("button", name="Unregister…").click()
        confirm = page.get_by_role("alertdialog", name="Unregister churn v2")
        expect(confirm).to_contain_text("Runs that read or made it keep naming it")
        screenshot(page, "model-unregister")
        confirm.get_by_role("button", name="Cancel").click()
        expect(page.get_by_role("button", name="Unregister…")).to_be_visible()
        assert [m.version for m in Model.list(ws)] == [1, 2], "cancel unregisters nothing"

        page.get_by_role("button", name="Unregister…").click()
        page.get_by_role("button", name="Unregister v2").click()
        expect(page.locator("h1")).to_have_text("churn v1")
        assert [m.version for m in Model.list(ws)] == [1]
        page.get_by_role("button", name="Unregister…").click()
        page.get_by_role("button", name="Unregister v1").click()
        expect(page).to_have_url(re.compile(r"/models$"))
        assert Model.list(ws) == []
    finally:
        stop_server(served)
