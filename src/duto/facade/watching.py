"""Following a run from its event stream: a live step table and the steps' logs as they are written.

`wait_for_completion`, `duto run` and `duto logs --follow` all read the run's events here, in id order.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from duto.errors import PipelineRunError, RunTimeoutError
from duto.graph.status import TERMINAL, RunStatus
from duto.storage.lease_store import age_seconds, holder_of
from duto.storage.runs_store import RunEvent

if TYPE_CHECKING:
    from duto.facade.runs import PipelineRun

POLL_SECONDS = 0.2
EVENTS_PER_READ = 1000  # a follower reads the events since its last at most this many at a time
# A run nobody has taken this long after its submit gets a runner from whoever follows it; and a follower
# starts at most this many runners for a run before it says that they do not take it.
UNCLAIMED_SECONDS = 10.0
MAX_TAKEOVERS = 3
# Past this many steps the table shows those still going (and failed ones) and counts the rest; a table of
# a thousand rows is no help to read, and slow to draw four times a second.
TABLE_ROWS = 40
STATUS_STYLES = {
    "NotStarted": "dim",
    "Queued": "yellow",
    "Preparing": "cyan",
    "Running": "bold blue",
    "Finished": "green",
    "Failed": "bold red",
    "Canceled": "magenta",
    "Reused": "green",
}


@dataclass
class StepView:
    name: str
    status: str = "NotStarted"
    target: str = ""
    reason: str = ""
    started: float | None = None
    ended: float | None = None

    def duration(self, now: float) -> str:
        if self.started is None:
            return ""
        seconds = (self.ended or now) - self.started
        return f"{seconds:.2f}s" if seconds < 10 else f"{seconds:.1f}s"


@dataclass
class LogFollower:
    """Reads each step's log from where it last stopped, as log events point at new bytes."""

    offsets: dict[str, int] = field(default_factory=dict)
    partial: dict[str, str] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)

    def lines(self, step: str, path: str, size: int, attempt: int = 0) -> list[str]:
        carried: list[str] = []
        if self.attempts.get(step, attempt) != attempt:  # a new attempt writes a new log from its start
            self.offsets.pop(step, None)
            carried = self.flush(step)
        self.attempts[step] = attempt
        start = self.offsets.get(step, 0)
        if size <= start:
            return carried
        try:
            with open(path, "rb") as handle:
                handle.seek(start)
                chunk = handle.read(size - start)
        except FileNotFoundError:  # a resumed step's earlier attempt: its log was moved under attempts/
            return carried
        self.offsets[step] = start + len(chunk)
        text = self.partial.pop(step, "") + chunk.decode(errors="replace")
        *complete, rest = text.split("\n")
        if rest:
            self.partial[step] = rest
        return carried + complete

    def flush(self, step: str) -> list[str]:
        rest = self.partial.pop(step, "")
        return [rest] if rest else []


class RunView:
    """The state of a run as its events tell it, rendered as a Rich table."""

    def __init__(self, run: PipelineRun) -> None:
        self.run_id = run.id
        steps = run.steps_in_order()
        labels = step_labels((s.id, s.name) for s in steps)
        self.steps = {s.id: StepView(labels[s.id], target=s.compute_target) for s in steps}
        self.status = "NotStarted"
        self.reason = ""

    def label(self, event: RunEvent) -> str:
        """The step an event is about, as the table names it ("" for an event of the run itself)."""
        view = self.steps.get(event.step_run_id or "")
        return view.name if view is not None else str(event.payload.get("step", ""))

    def apply(self, event: RunEvent) -> None:
        payload = event.payload
        if event.kind == "run_status":
            self.status = payload["status"]
            self.reason = payload.get("reason", "")
        elif event.kind == "reuse_decision" and event.step_run_id in self.steps:
            self.steps[event.step_run_id].reason = "; ".join(payload["reasons"])
        elif event.kind == "step_status":
            view = self.steps.get(event.step_run_id or "")
            if view is None:
                return
            view.status = "Reused" if payload.get("reused_from") else payload["status"]
            view.reason = payload.get("reason") or view.reason
            if view.status == "Running":
                view.started = event.created_at
            if view.status in TERMINAL or view.status == "Reused":
                view.ended = event.created_at
                view.started = view.started or event.created_at

    def table(self, max_rows: int | None = None) -> Table:
        """The steps as a table; past `max_rows` steps, the ones still going or failed, and a count of the rest."""
        now = time.time()
        views = list(self.steps.values())
        done = sum(v.status in ("Finished", "Reused") for v in views)
        title = f"run {self.run_id}  [{STATUS_STYLES.get(self.status, '')}]{self.status}[/]"
        caption = None
        if max_rows is not None and len(views) > max_rows:
            title += f"  {done}/{len(views)} steps done"
            notable = [v for v in views if v.status not in ("Finished", "Reused", "NotStarted")]
            shown = (notable or views)[:max_rows]
            caption = f"{len(views) - len(shown)} more steps: {status_counts(v for v in views if v not in shown)}"
            views = shown
        table = Table(title=title, caption=caption)
        for column in ("step", "status", "target", "duration", "note"):
            table.add_column(column)
        for view in views:
            style = STATUS_STYLES.get(view.status, "")
            table.add_row(view.name, Text(view.status, style=style), view.target, view.duration(now), view.reason)
        return table


def step_labels(steps: Iterable[tuple[str, str]]) -> dict[str, str]:
    """How to name each step run (id, name) in a table or a log line: its name, followed by a short step-run id
    when another step of the run has that name too."""
    steps = list(steps)
    names = Counter(name for _, name in steps)
    return {i: name if names[name] == 1 else f"{name} ({i[:8]})" for i, name in steps}


def status_counts(views: Iterable[StepView]) -> str:
    """ "900 Reused, 100 Finished": how many steps are in each status, the most common first."""
    counts = Counter(v.status for v in views)
    return ", ".join(f"{n} {status}" for status, n in counts.most_common())


def follow_run(
    run: PipelineRun,
    show_output: bool = True,
    timeout_seconds: float = float("inf"),
    console: Console | None = None,
    only_step: str | None = None,
    show_table: bool = True,
) -> str:
    """Follow `run`'s events until it ends and return its final status.

    Raises:
        RunTimeoutError: when it has not ended within `timeout_seconds`.
        PipelineRunError: when the process driving it is gone without ending it.
    """
    console = console or Console()
    view = RunView(run)
    logs = LogFollower()
    store = run.workspace.runs_store
    deadline = time.monotonic() + timeout_seconds
    last_id = 0
    live_table = show_output and show_table and console.is_terminal
    next_liveness_check = time.monotonic() + 2.0
    takeovers = 0

    pending: list[Text | str] = []  # printed together once per batch of events: one print per line is slow

    def say(line: Text | str) -> None:
        if show_output:
            pending.append(line)

    def flush() -> None:
        if pending:
            console.print(
                Text("\n").join(Text(x) if isinstance(x, str) else x for x in pending), highlight=False, soft_wrap=True
            )
            pending.clear()

    def handle(event: RunEvent) -> None:
        view.apply(event)
        payload: dict[str, Any] = event.payload
        step = view.label(event)
        if only_step is not None and event.step_run_id != only_step:
            return
        if event.kind == "log":
            lines = logs.lines(event.step_run_id or step, payload["path"], payload["size"], payload.get("attempt", 0))
            for line in lines:
                say(Text(f"[{step}] ", style="dim") + Text(line) if only_step is None else line)
        elif event.kind == "step_status" and payload["status"] in TERMINAL:
            for line in logs.flush(event.step_run_id or step):
                say(Text(f"[{step}] ", style="dim") + Text(line) if only_step is None else line)
        if not live_table and show_table and event.kind == "reuse_decision" and payload["reasons"]:
            say(Text(f"{step}: runs because {'; '.join(payload['reasons'])}", style="dim"))
        elif not live_table and show_table and event.kind == "step_status":
            status = "Reused" if payload.get("reused_from") else payload["status"]
            note = f" ({payload['reason']})" if payload.get("reason") else ""
            say(Text(f"{step}: {status}{note}", style=STATUS_STYLES.get(status, "")))

    rows = max(5, console.height - 8) if live_table else TABLE_ROWS  # the live table fits the terminal
    live = Live(view.table(rows), console=console, refresh_per_second=4, transient=False) if live_table else None
    refresh: Callable[[], None] = (lambda: live.update(view.table(rows))) if live is not None else (lambda: None)
    if live is not None:
        live.start()
    try:
        while True:
            # Taken before the read: a commit made while this batch is handled wakes the wait below at once.
            mark = store.db.commit_mark()
            events = store.events_after(run.id, last_id, EVENTS_PER_READ)
            for event in events:
                handle(event)
                last_id = event.id
            flush()
            refresh()
            if len(events) == EVENTS_PER_READ:
                continue  # more are waiting: read on before sleeping
            if view.status in TERMINAL:
                break  # the run's final status is the last event its runner writes
            now = time.monotonic()
            if now >= deadline:
                raise RunTimeoutError(run.id, timeout_seconds, view.status)
            if now >= next_liveness_check:
                next_liveness_check = now + 2.0
                gone = _runner_gone(run)
                if gone is not None:
                    if takeovers >= MAX_TAKEOVERS:
                        raise PipelineRunError(
                            run.id,
                            view.status,
                            f"{gone}, and the {takeovers} runners started for it did not drive it; see "
                            f"{run.layout.runner_log}",
                        )
                    takeovers += 1
                    say(Text(f"run {run.id}: {gone}; a new runner takes it over", style="dim"))
                    flush()
                    run.resume()
            store.db.wait_for_commit(min(now + POLL_SECONDS, deadline), since=mark)
    finally:
        if live is not None:
            live.stop()
    if show_output and show_table and not live_table:
        console.print(view.table(TABLE_ROWS))
    return view.status


def _runner_gone(run: PipelineRun) -> str | None:
    """Why a run that goes on has no live runner driving it, or None when it has one (or has ended, or a
    runner may still be on its way to take it)."""
    row = run._row
    if row.status in TERMINAL:
        return None
    holder = holder_of(row)
    if holder.live():
        return None
    if holder.owner is None:
        if row.status == RunStatus.NOT_STARTED.value and age_seconds(row.created_at) < UNCLAIMED_SECONDS:
            return None
        return "no runner took it"
    return f"{holder.describe()} is gone"
