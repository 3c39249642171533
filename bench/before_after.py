"""duto's cost per step before and after a change, measured in one run: an earlier commit built beside this tree.

`python bench/before_after.py REV` checks REV out into a temporary git worktree and measures, round by round and
alternating between the two (so that a machine that slows down or speeds up during the run weighs on both alike):

- the 100-step chain of orchestration.py: what duto adds per step over the same scripts run from a shell loop;
- a fully reused run of the same chain (every step reused): duto's cost per step when nothing runs, and again after
  the chain's code was touched (its mtime moved, its content the same: reuse_vs_dvc.py's "touched" phase);
- the CPU time `wait_for_completion` takes per step while it follows the chain (the runner runs apart);
- where the runner's time for a chain step goes (step_cost.py): DB, files, spawn, the rest, and its CPU.

Each side runs in an interpreter of its own, with the same benchmark code and the same installed packages; only
duto's source differs (REV's `src/` first on the path). Medians of the rounds are printed side by side with the
ratio after / before; figures go to bench/results/before_after.json. Ratios, never thresholds: the aims of the
runner's hot path (docs/architecture.md) are reported, not asserted.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 3


def measure_round(out: Path) -> None:
    """One round on the duto importable here: the chain against its shell loop, the chain reused, the split."""
    from orchestration import CHAIN_SCRIPT, CHAIN_STEPS, Shape, chain_loop, chain_steps, fresh_workspace, measure_once
    from rich.console import Console
    from servers import own_command_servers
    from step_cost import split_chain

    import duto
    from duto import Experiment
    from duto.pipeline import Pipeline

    figures: dict[str, Any] = {"duto": str(Path(duto.__file__).parent)}
    with own_command_servers():
        warm = Shape("warm-up", CHAIN_SCRIPT, 2, chain_steps, chain_loop)
        measure_once(warm, None)
        chain = measure_once(Shape("chain", CHAIN_SCRIPT, CHAIN_STEPS, chain_steps, chain_loop), None)
        figures["chain_ms_per_step"] = chain.overhead_ms_per_step
        figures["follower_cpu_ms_per_step"] = chain.follower_cpu_ms_per_step
        with fresh_workspace(CHAIN_SCRIPT) as (ws, source, _):
            steps = chain_steps(CHAIN_STEPS, None, allow_reuse=True)
            pipeline = Pipeline(ws, steps=steps, default_source_directory=source)
            Experiment(ws, "reuse").submit(pipeline).wait_for_completion(show_output=False)
            started = time.perf_counter()
            again = Experiment(ws, "reuse").submit(Pipeline(ws, steps=steps, default_source_directory=source))
            again.wait_for_completion(show_output=False)
            figures["reused_ms_per_step"] = (time.perf_counter() - started) / CHAIN_STEPS * 1000
            # Touched: the code's mtime moves, its content stays (reuse_vs_dvc's third phase): hashed again, reused.
            script = source / "step.py"
            os.utime(script, ns=(script.stat().st_atime_ns, script.stat().st_mtime_ns + 1_000_000_000))
            started = time.perf_counter()
            touched = Experiment(ws, "reuse").submit(Pipeline(ws, steps=steps, default_source_directory=source))
            touched.wait_for_completion(show_output=False)
            figures["touched_ms_per_step"] = (time.perf_counter() - started) / CHAIN_STEPS * 1000
            if touched.id not in ws.runs_store.fully_reused([touched.id]):
                raise SystemExit("the touched chain did not reuse every step")
            fresh = Pipeline(ws, steps=chain_steps(CHAIN_STEPS, None), default_source_directory=source)
            split = split_chain(ws, fresh, CHAIN_STEPS)
        figures["split_ms_per_step"] = split
    Console(stderr=True).print(f"measured {figures['duto']}")
    out.write_text(json.dumps(figures))


def side(tree: Path, out: Path) -> dict[str, Any]:
    """One round run in its own interpreter on duto's source in `tree`."""
    environ = {**os.environ, "PYTHONPATH": str(tree / "src")}
    environ.pop("DUTO_RUNNER", None)
    subprocess.run(
        [sys.executable, str(Path(__file__)), "--round", str(out)],
        cwd=ROOT / "bench",
        env=environ,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def main(revision: str) -> int:
    from figures import write_figures
    from rich.console import Console
    from rich.table import Table

    console = Console()
    with tempfile.TemporaryDirectory(prefix="duto-before-") as tmp:
        before_tree = Path(tmp) / "tree"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(before_tree), revision], check=True
        )
        try:
            rounds: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
            for number in range(ROUNDS):
                for name, tree in (("before", before_tree), ("after", ROOT)):
                    console.print(f"round {number + 1}/{ROUNDS}: {name}", style="dim")
                    rounds[name].append(side(tree, Path(tmp) / f"{name}-{number}.json"))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before_tree)], check=False)

    def median(name: str, pick: Any) -> float:
        return statistics.median(pick(r) for r in rounds[name])

    lines: list[tuple[str, Any]] = [
        ("chain: duto's added ms per step", lambda r: r["chain_ms_per_step"]),
        ("chain fully reused: ms per step", lambda r: r["reused_ms_per_step"]),
        ("chain reused, its code touched: ms per step", lambda r: r.get("touched_ms_per_step", 0.0)),
        ("chain: the follower's CPU ms per step", lambda r: r["follower_cpu_ms_per_step"]),
    ]
    for part in ("DB", "files", "spawn", "rest", "runner busy", "runner CPU"):
        lines.append((f"runner, a step's {part} ms", lambda r, part=part: r["split_ms_per_step"][part]))
    lines.append(("runner, a step's end to the next start ms", lambda r: r["split_ms_per_step"]["end to next start"]))
    table = Table(title=f"before ({revision}) and after (this tree), median of {ROUNDS} alternating rounds")
    for column in ("figure", "before", "after", "after ÷ before"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    figures: dict[str, Any] = {"revision": revision, "rounds": ROUNDS, "lines": {}}
    for label, pick in lines:
        was, now = median("before", pick), median("after", pick)
        table.add_row(label, f"{was:.2f}", f"{now:.2f}", f"{now / was:.2f}" if was else "")
        figures["lines"][label] = {"before": round(was, 3), "after": round(now, 3)}
    console.print(table)
    write_figures("before_after", figures, console)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--round":
        measure_round(Path(sys.argv[2]))
        sys.exit(0)
    if len(sys.argv) != 2 or sys.argv[1].startswith("-"):
        sys.exit("usage: python bench/before_after.py REV   (REV: the commit before the change, e.g. HEAD~3)")
    sys.exit(main(sys.argv[1]))
