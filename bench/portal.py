"""What the portal's run page costs in a real browser: runs of 10, 100 and 1,000 steps (a fan-out and a chain),
and a fan-out of 10,000 (`source` and `shard_0001`..`shard_9999`, which the page folds into one group), opened in
headless Chromium against a real `duto server`.

- **First render**: from the navigation's start until the run page has drawn its graph (the step and group nodes
  in view; the graph draws only those, `onlyRenderVisibleElements`), read from `performance.now()` in the page.
- **Layout**: the layered layout of the run's steps in the page (a `performance.measure` the graph records).
- **Heap**: the page's JS heap once drawn (CDP `Runtime.getHeapUsage`).
- **Run detail**: `GET /api/runs/{id}` answered by the server, median of five, wall time over HTTP.
- **A metric of 100,000 points**: the step page's Metrics tab opened on a step holding one metric logged 100,000
  times; the chart's own figure (`data-render-ms`: reducing the points to a few a pixel and drawing them), the
  median of three openings.
- **Pan and zoom** (the runs of 1,000 steps): a real mouse drags the graph across several screens and its wheel
  zooms in and out, while the page records the time of every animation frame (`requestAnimationFrame`); the figures
  are the frame times' median and 95th percentile, and frames per second over the sequence; then the 95th
  percentile of the same sequence again, once each part of the graph has been drawn once.

The runs are recorded straight into the workspace (bench/recorded_runs.py), not run step by step. Chromium is the
machine's (`chromium` on PATH, Debian's package), driven by Playwright, which never downloads one. Aims are printed,
never asserted: layout of 1,000 steps under 1 s, first render of 1,000 steps under 1 s, a pan and zoom frame's 95th
percentile under 33 ms (30 frames a second), a 100,000-point metric drawn in under 200 ms. Figures go to
bench/results/portal.json. Run it with `make bench` or `.venv/bin/python bench/portal.py`.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

import httpx
from figures import write_figures
from playwright.sync_api import Page, sync_playwright
from recorded_runs import Shape, record_finished_run
from rich.console import Console
from rich.table import Table

from duto import Workspace
from duto.facade.tokens import create_token
from duto.storage.db import dispose_all
from duto.storage.models import Metric

SIZES = (10, 100, 1000)
SHAPES: tuple[Shape, ...] = ("fan-out", "chain")
BIGGEST: tuple[Shape, int] = ("fan-out", 10_000)  # opens folded: its 9,999 shards are one group
LAYOUT_AIM_MS = 1000.0
RENDER_AIM_MS = 1000.0
FRAME_AIM_MS = 33.0
CHART_AIM_MS = 200.0
CHART_POINTS = 100_000
MOVED = 1000  # the runs whose pan and zoom are measured: this many steps
DRAWN = "[data-testid=step-node], [data-testid=group-node]"
# The time once the frame that drew the nodes has been painted.
AFTER_PAINT = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now()))))"


def start_server(ws: Workspace, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "duto.cli", "server", "--port", str(port), "--workspace", str(ws.root)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"duto server did not answer: {log.read_text()[-2000:]}")


# Records the time of every animation frame from now until __dutoFrames.stop() is called.
RECORD_FRAMES = """() => {
  const times = [];
  let going = true;
  const tick = (t) => { times.push(t); if (going) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  window.__dutoFrames = { stop: () => { going = false; return times; } };
}"""


def pan_and_zoom(page: Page) -> dict[str, float]:
    """Drag the graph across several screens and zoom it in and out with the wheel, as a person would, and
    return the frame times meanwhile: p50 and p95 in ms, and frames per second."""
    box = page.locator("[data-testid=run-graph] .react-flow__pane").bounding_box()
    assert box is not None, "the graph's pane is not on the page"
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.evaluate(RECORD_FRAMES)
    started = time.perf_counter()
    for dx, dy in ((-500, -250), (-500, 250), (500, -250), (700, 200), (-400, -300)):
        page.mouse.move(cx, cy)
        page.mouse.down()
        page.mouse.move(cx + dx, cy + dy, steps=30)
        page.mouse.up()
    page.mouse.move(cx, cy)
    for delta in [120] * 12 + [-120] * 18 + [120] * 6:  # out (a wide view, many nodes), in past the start, back
        page.mouse.wheel(0, delta)
        page.wait_for_timeout(16)
    page.evaluate(AFTER_PAINT)
    took = time.perf_counter() - started
    times: list[float] = page.evaluate("() => window.__dutoFrames.stop()")
    frames = [b - a for a, b in pairwise(times)]
    cuts = statistics.quantiles(frames, n=20)
    return {"frame_p50_ms": statistics.median(frames), "frame_p95_ms": cuts[18], "fps": len(frames) / took}


def record_big_metric(ws: Workspace, run_id: str) -> str:
    """Give the first step of `run_id` one metric logged CHART_POINTS times, as the runner stores what a step
    logs; returns that step's name."""
    step = ws.get_run(run_id).get_steps()[0]
    now = time.time()
    points = [
        Metric(
            run_id=step.id,
            name="big",
            kind="scalar",
            value=(i % 977) / 977.0 + i / CHART_POINTS,
            step=i,
            logged_at=now + i,
        )
        for i in range(CHART_POINTS)
    ]
    ws.runs_store.record_metrics(run_id, points, [])
    return step.name


def chart_ms(page: Page, url: str, run_id: str, step: str) -> float:
    """The median, over three openings of the step's Metrics tab, of the big chart's time to reduce and draw."""
    times = []
    for _ in range(3):
        page.goto("about:blank")
        page.goto(f"{url}/runs/{run_id}/steps/{step}?tab=metrics")
        chart = page.locator("[data-testid=metric-chart][data-metric=big][data-render-ms]")
        chart.wait_for(timeout=60_000)
        times.append(float(chart.get_attribute("data-render-ms") or "nan"))
    return statistics.median(times)


def detail_ms(url: str, token: str, run_id: str) -> float:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        client.get(f"/api/runs/{run_id}").raise_for_status()
        took = []
        for _ in range(5):
            started = time.perf_counter()
            client.get(f"/api/runs/{run_id}").raise_for_status()
            took.append((time.perf_counter() - started) * 1000)
    return statistics.median(took)


def main() -> None:
    console = Console(width=150)
    chromium = shutil.which("chromium")
    if chromium is None:
        console.print("no `chromium` on PATH (apt-get install chromium): skipped")
        return
    tmp = Path(tempfile.mkdtemp(prefix="duto-bench-portal-"))
    ws = Workspace.create(tmp / "ws")
    runs = {(shape, n): record_finished_run(ws, shape, n) for n in SIZES for shape in SHAPES}
    runs[BIGGEST] = record_finished_run(ws, *BIGGEST)
    charted = runs[("fan-out", SIZES[0])]
    charted_step = record_big_metric(ws, charted)
    token, _ = create_token(ws, "bench", "read")
    process, url = start_server(ws, tmp / "server.log")
    rows = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            page = context.new_page()
            page.goto(f"{url}/?token={token}")
            page.get_by_role("heading", name="Home").wait_for()
            for (shape, n), run_id in runs.items():
                page.goto("about:blank")
                page.goto(f"{url}/runs/{run_id}")
                page.wait_for_selector(DRAWN, timeout=60_000)
                drawn_at = page.evaluate(AFTER_PAINT)
                drawn = page.locator(DRAWN).count()
                # named for the count of nodes laid out: steps, or steps and groups once folded
                layout = page.evaluate(
                    "() => performance.getEntriesByType('measure').filter(m => m.name.startsWith('duto:layout:'))"
                    ".map(m => m.duration)"
                )
                cdp = context.new_cdp_session(page)
                cdp.send("HeapProfiler.collectGarbage")
                heap = cdp.send("Runtime.getHeapUsage")["usedSize"] / 2**20
                cdp.detach()
                moved = {}
                if n == MOVED:
                    moved = pan_and_zoom(page)
                    # the same again: the first pass pays for the first visit of each part of the graph
                    moved["frame_p95_again_ms"] = pan_and_zoom(page)["frame_p95_ms"]
                rows.append(
                    {
                        "shape": shape,
                        "steps": n,
                        "first_render_ms": round(drawn_at, 1),
                        "layout_ms": round(min(layout), 2) if layout else None,
                        "nodes_drawn": drawn,
                        "heap_mb": round(heap, 1),
                        "run_detail_ms": round(detail_ms(url, token, run_id), 1),
                        **{key: round(value, 1) for key, value in moved.items()},
                    }
                )
            big_chart_ms = chart_ms(page, url, charted, charted_step)
            browser.close()
    finally:
        process.terminate()
        process.wait(10)
        dispose_all()
        shutil.rmtree(tmp, ignore_errors=True)

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    title = f"The run page in headless Chromium (recorded runs, a real duto server; load average {load})"
    table = Table(title=title)
    columns = ("shape", "steps", "first render ms", "layout ms", "nodes drawn", "JS heap MB", "GET run ms")
    for column in (*columns, "frame p50 ms", "frame p95 ms", "p95 again ms", "fps"):
        table.add_column(column, justify="right")
    for r in rows:
        table.add_row(
            r["shape"],
            f"{r['steps']:,}",
            f"{r['first_render_ms']:.0f}",
            "—" if r["layout_ms"] is None else f"{r['layout_ms']:.1f}",
            str(r["nodes_drawn"]),
            f"{r['heap_mb']:.1f}",
            f"{r['run_detail_ms']:.1f}",
            *(
                f"{r[key]:.1f}" if key in r else "—"
                for key in ("frame_p50_ms", "frame_p95_ms", "frame_p95_again_ms", "fps")
            ),
        )
    console.print(table)
    for r in rows:
        if r["steps"] == 1000:
            layout_ok = r["layout_ms"] is not None and r["layout_ms"] < LAYOUT_AIM_MS
            render_ok = r["first_render_ms"] < RENDER_AIM_MS
            smooth = r["frame_p95_ms"] < FRAME_AIM_MS
            console.print(
                f"{r['shape']} of 1,000: layout {r['layout_ms']} ms (aim < {LAYOUT_AIM_MS:.0f}: "
                f"{'met' if layout_ok else 'missed'}), first render {r['first_render_ms']:.0f} ms "
                f"(aim < {RENDER_AIM_MS:.0f}: {'met' if render_ok else 'missed'}), pan and zoom frame p95 "
                f"{r['frame_p95_ms']} ms (aim < {FRAME_AIM_MS:.0f}: {'met' if smooth else 'missed'})"
            )
    console.print(
        f"a metric of {CHART_POINTS:,} points: {big_chart_ms:.1f} ms to reduce and draw (aim < {CHART_AIM_MS:.0f}: "
        f"{'met' if big_chart_ms < CHART_AIM_MS else 'missed'})"
    )
    write_figures("portal", {"runs": rows, "metric_chart_ms": round(big_chart_ms, 1)}, console)


if __name__ == "__main__":
    main()
