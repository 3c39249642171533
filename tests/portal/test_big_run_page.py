"""A run of ten thousand steps on the run page, in a real Chromium against a real `duto server`: it opens with its
9,999 numbered shards folded into one group, the group expands to show them, and nothing logs a console error.
The run is recorded straight into the DB as bench/portal.py records its runs (bench/recorded_runs.py)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from playwright.sync_api import Page, expect

from portal.browsing import screenshot
from server.live import World, served_world

pytestmark = pytest.mark.timeout(240)
STEPS = 10_000


def recorded_runs() -> ModuleType:
    """bench/recorded_runs.py: bench/ is no package, and its helper is the one way big runs are recorded."""
    path = Path(__file__).resolve().parents[2] / "bench" / "recorded_runs.py"
    spec = importlib.util.spec_from_file_location("recorded_runs", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with served_world(tmp_path_factory.mktemp("big-run-page"), with_run=False) as made:
        yield made


def test_a_run_of_ten_thousand_steps_opens_grouped_and_a_group_expands(world: World, page: Page) -> None:
    run_id = recorded_runs().record_finished_run(world.served.workspace, "fan-out", STEPS)
    page.goto(f"{world.served.url}/?token={world.served.tokens['read']}")
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    page.goto(f"{world.served.url}/runs/{run_id}")

    group = page.get_by_test_id("group-node")
    expect(group).to_have_count(1, timeout=30_000)
    expect(group.get_by_test_id("step-name")).to_have_text("shard_*")
    expect(group).to_contain_text("9,999 steps")
    expect(group).to_contain_text("9,999 finished")
    expect(page.locator("[data-testid=step-node][data-key=source]")).to_be_visible()
    screenshot(page, "run-page-10000-grouped")

    group.get_by_role("button", name="Expand").click()
    expect(page.get_by_test_id("group-node")).to_have_count(0)
    shards = page.locator("[data-testid=step-node][data-key^=shard_]")
    expect(shards.first).to_be_visible()
    # only the shards in view are drawn, not ten thousand
    assert 0 < shards.count() < 200, shards.count()
    expect(shards.first.get_by_test_id("step-status")).to_have_text("Finished")
    screenshot(page, "run-page-10000-expanded")


def test_a_fan_out_of_a_thousand_has_an_overview_that_moves_the_view_and_draws_its_edges_as_paths(
    world: World, page: Page
) -> None:
    run_id = recorded_runs().record_finished_run(world.served.workspace, "fan-out", 1000, experiment="overview")
    page.goto(f"{world.served.url}/?token={world.served.tokens['read']}")
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    page.goto(f"{world.served.url}/runs/{run_id}")

    source = page.locator("[data-testid=step-node][data-key=source]")
    expect(source).to_be_visible(timeout=30_000)
    # each step shows how long it took (the recorded steps took 40 ms) beside its status word
    expect(source.get_by_test_id("step-status")).to_have_text("Finished")
    expect(source.get_by_test_id("step-duration")).to_have_text("0.0s")
    # every edge leaves the source in view, so each is drawn, as curves of one layer rather than 999 elements
    layer = page.get_by_test_id("edge-layer")
    expect(layer).to_have_attribute("data-edges", "999")
    assert page.locator(".react-flow__edge").count() == 0

    overview = page.get_by_test_id("graph-overview")
    expect(overview).to_be_visible()
    drawn = set(page.locator("[data-testid=step-node]").evaluate_all("nodes => nodes.map(n => n.dataset.key)"))
    assert "source" in drawn
    box = overview.bounding_box()
    assert box is not None
    # a click at the overview's left end takes the view to the first shards, far from the source
    overview.click(position={"x": 8, "y": box["height"] / 2})
    expect(source).to_have_count(0)
    moved = set(page.locator("[data-testid=step-node]").evaluate_all("nodes => nodes.map(n => n.dataset.key)"))
    assert moved and moved.isdisjoint(drawn), (drawn, moved)
    screenshot(page, "run-page-1000-overview")
