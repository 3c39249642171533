"""Runs: list, show, steps, why, logs, metrics, outputs, cancel, resume and the live events, through the facade."""

from __future__ import annotations

import codecs
import hashlib
import os
from pathlib import Path
from urllib.parse import quote

from duto import __version__
from duto.errors import DutoError
from duto.facade import documents
from duto.facade.resubmission import resubmit as resubmit_run
from duto.facade.run_filters import parse_since, parse_statuses, parse_tags
from duto.facade.run_graph import run_graph, run_head, run_outline
from duto.facade.runs import PipelineRun
from duto.facade.step_runs import StepRun
from duto.facade.workspace import Workspace
from duto.graph.status import TERMINAL
from duto.server.schemas.runs import (
    MetricSet,
    OutputFile,
    ResubmitAnswer,
    ResubmitBody,
    RunAction,
    RunDetail,
    RunGraph,
    RunLogs,
    RunMetrics,
    RunMetricSeries,
    RunOutline,
    RunSummary,
    StepDetail,
    StepEnvironment,
    StepLogPart,
    StepOutput,
    StepWhy,
)


class OutputFileNotFound(DutoError, FileNotFoundError):
    """A file that is not inside a step's output (or not there at all): 404, whatever the path tried."""

    def __init__(self, output: str, path: str) -> None:
        super().__init__(f"output {output!r} has no file {path!r}; GET its outputs to list the files it has")


def list_runs(
    workspace: Workspace,
    experiment: str | None,
    status: list[str],
    since: str | None,
    tag: list[str],
    limit: int,
    offset: int,
) -> list[RunSummary]:
    statuses = parse_statuses(status, option="status")
    since_utc = None if since is None else parse_since(since, option="since")
    tags = parse_tags(tag, option="tag")
    found = documents.list_runs(workspace, experiment, statuses, since_utc, tags, limit, offset)
    return [RunSummary(**d) for d in found]


def show(workspace: Workspace, run_id: str) -> RunDetail:
    return RunDetail(**documents.show_run(workspace.get_run(run_id)))


def graph(run: PipelineRun) -> bytes:
    return RunGraph(**run_graph(run)).model_dump_json().encode()


def outline(run: PipelineRun) -> bytes:
    return RunOutline(**run_outline(run)).model_dump_json().encode()


def finished_etag(run: PipelineRun, answer: str) -> str | None:
    """The ETag of an answer (`answer` names it) about the run: None while the run goes on; once it has ended, a
    digest of the run's own fields and duto's version, since its steps and edges change no more."""
    head = run_head(run)
    if head.status not in TERMINAL:
        return None
    digest = hashlib.blake2b(repr((answer, __version__, tuple(head))).encode(), digest_size=16).hexdigest()
    return f'"{digest}"'


def step_of(workspace: Workspace, run_id: str, step: str) -> StepRun:
    return workspace.get_run(run_id).step_run(step)


def show_step(workspace: Workspace, run_id: str, step: str) -> StepDetail:
    step_run = step_of(workspace, run_id, step)
    return StepDetail(**documents.step_document(step_run), module=documents.step_module(step_run))


def why(workspace: Workspace, run_id: str, step: str) -> StepWhy:
    step_run = step_of(workspace, run_id, step)
    info = step_run.get_reuse_info()
    return StepWhy(
        id=step_run.id,
        name=step_run.name,
        status=step_run.get_status(),
        is_reused=info["is_reused"],
        reused_from=info["reused_from"],
        fingerprint=info["fingerprint"],
        reasons=list(info["reasons"] or []),
        explanation=info["explanation"] or None,
        components=info["components"],
    )


def log(workspace: Workspace, run_id: str, step: str, offset: int, length: int | None) -> tuple[bytes, int]:
    return step_of(workspace, run_id, step).read_log(offset, length)


def _offsets(asked: list[str]) -> dict[str, int]:
    """`from=STEP_RUN_ID:OFFSET` values as {step run id: offset}; a malformed one is a 422 naming `from`."""
    offsets: dict[str, int] = {}
    for value in asked:
        step, colon, offset = value.rpartition(":")
        if not colon or not step or not offset.isdigit():
            raise LogOffsetError(value)
        offsets[step] = int(offset)
    return offsets


class LogOffsetError(DutoError, ValueError):
    """A `from` value that is not STEP_RUN_ID:OFFSET: 422."""

    field = "from"

    def __init__(self, value: str) -> None:
        super().__init__(f"from: {value!r} is not STEP_RUN_ID:OFFSET (a step run's id, a colon, a byte offset)")


def _whole_characters(chunk: bytes) -> tuple[str, int]:
    """The chunk's text up to its last whole UTF-8 character, and how many bytes that is: a character a step is
    still writing is read with the next chunk rather than broken in two."""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    text = decoder.decode(chunk, final=False)
    pending, _ = decoder.getstate()
    return text, len(chunk) - len(pending)


def run_logs(workspace: Workspace, run_id: str, asked: list[str], tail: int, length: int, budget: int) -> RunLogs:
    """Each step's log: from the offset `asked` gives for it (`length` bytes at most), else its last `tail` bytes
    from the start of a line; `budget` bytes in all, so a run of many steps is read over several answers (a step
    past the budget has empty text and a `next_offset` to ask from). A step of another run in `asked` is ignored."""
    offsets = _offsets(asked)
    run = workspace.get_run(run_id)
    outline = run_outline(run)
    step_runs = {s.id: s for s in run.steps_in_order()}  # read once: step_run(key) reads them all for each key
    parts = []
    for step in outline["steps"]:
        step_run = step_runs[step["id"]]
        start = offsets.get(step["id"])
        if start is None:
            _, size = step_run.read_log(0, 0)
            start = max(0, size - tail)
            chunk, size = step_run.read_log(start, min(tail, budget))
            if start > 0 and b"\n" in chunk:  # a tail starts at a line, not inside one
                cut = chunk.index(b"\n") + 1
                chunk, start = chunk[cut:], start + cut
        else:
            chunk, size = step_run.read_log(start, min(length, budget))
            start = min(start, size)
        text, used = _whole_characters(chunk)
        budget -= used
        fields = {k: step[k] for k in ("id", "key", "name", "status", "started")}
        parts.append(StepLogPart(**fields, offset=start, next_offset=start + used, size=size, text=text))
    return RunLogs(id=run.id, status=outline["status"], steps=parts)


def resubmit(workspace: Workspace, run_id: str, body: ResubmitBody) -> ResubmitAnswer:
    """Start the run's pipeline again (see `duto.facade.resubmission`); the server's runner daemon decides reuse."""
    run = workspace.get_run(run_id)
    new = resubmit_run(run, body.ParameterAssignments, body.DataPathAssignments, decide_reuse=False)
    return ResubmitAnswer(
        id=new.id,
        status=new.get_status(),
        experiment=new.experiment_name,
        resubmitted_from=run.id,
        parameters=new.parameters,
    )


def image_url(run_id: str, step_run_id: str, name: str) -> str:
    """Where `GET /api/runs/{run_id}/steps/{step}/images/{name}` serves an image a step logged: what a reader is
    given for it instead of the place of its file on the server."""
    parts = (quote(part, safe="") for part in (run_id, step_run_id, name))
    return "/api/runs/{}/steps/{}/images/{}".format(*parts)


def metrics(workspace: Workspace, run_id: str) -> RunMetrics:
    run = workspace.get_run(run_id)
    return RunMetrics(**documents.run_metrics(run, lambda step_run_id, name: image_url(run.id, step_run_id, name)))


def metric_series(workspace: Workspace, run_id: str) -> RunMetricSeries:
    return RunMetricSeries(**workspace.get_run(run_id).get_metric_series())


def step_metrics(workspace: Workspace, run_id: str, step: str) -> MetricSet:
    return MetricSet(**step_of(workspace, run_id, step).get_metric_series())


def environment(workspace: Workspace, run_id: str, step: str) -> StepEnvironment:
    return StepEnvironment(**step_of(workspace, run_id, step).get_environment())


def _files(root: Path) -> list[OutputFile]:
    """The regular files under `root` that stay inside it (a symlink out of it is not listed)."""
    if root.is_file():
        return [OutputFile(path=root.name, size=root.stat().st_size)]
    base = root.resolve()
    found = []
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            try:
                real = path.resolve(strict=True)
                if real.is_relative_to(base) and real.is_file():
                    found.append(OutputFile(path=path.relative_to(root).as_posix(), size=real.stat().st_size))
            except (OSError, RuntimeError):  # gone since, or a symlink loop
                continue
    return sorted(found, key=lambda f: f.path)


def _stored_files(workspace: Workspace, digest: str | None, path: str) -> list[OutputFile]:
    """The files of an output with no folder on this machine (on an object store), as its manifest lists them."""
    manifest = workspace.content_store.manifest(digest) if digest else None
    if manifest is None:
        return []
    if manifest["kind"] == "file":
        return [OutputFile(path=Path(path).name, size=manifest["size"])]
    return sorted(
        (OutputFile(path=rel or Path(path).name, size=entry["size"]) for rel, entry in manifest["files"].items()),
        key=lambda f: f.path,
    )


def outputs(workspace: Workspace, run_id: str, step: str) -> list[StepOutput]:
    step_run = step_of(workspace, run_id, step)
    listed = []
    folders = step_run.output_folders()
    published = [name for name in step_run.get_outputs() if name in step_run.published_outputs()]
    for name in published:
        where = step_run.get_output_data(name)
        folder = folders.get(name)
        if folder is None:
            files = _stored_files(workspace, where.digest, where.path_on_datastore)
        else:
            files = _files(folder) if folder.exists() else []
        listed.append(
            StepOutput(
                name=name, datastore=where.datastore_name, path_on_datastore=where.path_on_datastore, files=files
            )
        )
    return listed


def output_file(workspace: Workspace, run_id: str, step: str, name: str, path: str) -> Path:
    """The file at `path` inside output `name` of the step, after every symlink, and never outside it.

    Raises:
        OutputFileNotFound: for a path that is absolute, climbs out (`..`, a symlink) or names no file.
    """
    folders = step_of(workspace, run_id, step).output_folders()
    if name not in folders:
        raise OutputFileNotFound(name, path)
    folder = folders[name]
    if "\x00" in path or path.startswith(("/", "\\")) or Path(path).is_absolute() or not path:
        raise OutputFileNotFound(name, path)
    try:
        if folder.is_file():  # an output that is one file: it is its own only file
            if path != folder.name:
                raise OutputFileNotFound(name, path)
            return folder.resolve(strict=True)
        root = folder.resolve(strict=True)
        target = (root / path).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, a symlink loop, a name too long
        raise OutputFileNotFound(name, path) from None
    if not target.is_relative_to(root) or not target.is_file():
        raise OutputFileNotFound(name, path)
    return target


def step_image(workspace: Workspace, run_id: str, step: str, name: str) -> Path:
    """The image the step logged as metric `name` (the latest, when logged again), from the run's files.

    Raises:
        StepImageNotFound: the step logged no image of that name, or its file is gone or lies outside the
            workspace's runs folder.
    """
    kept = step_of(workspace, run_id, step).get_image(name)
    if kept is None:
        raise StepImageNotFound(step, name)
    try:
        root = workspace.config.runs_dir.resolve(strict=True)
        target = Path(kept).resolve(strict=True)
    except (OSError, RuntimeError):
        raise StepImageNotFound(step, name) from None
    if not target.is_relative_to(root) or not target.is_file():
        raise StepImageNotFound(step, name)
    return target


class StepImageNotFound(DutoError, FileNotFoundError):
    """An image a step did not log, or whose file is gone: 404."""

    def __init__(self, step: str, name: str) -> None:
        super().__init__(f"step {step!r} logged no image {name!r}; GET its metrics to list the images it has")


def cancel(workspace: Workspace, run_id: str) -> RunAction:
    run = workspace.get_run(run_id)
    status = run.get_status()
    if status in TERMINAL:
        return RunAction(id=run.id, status=status, done=False, detail=f"run {run.id} already ended {status}")
    run.cancel()
    return RunAction(id=run.id, status=run.get_status(), done=True, detail=f"cancel requested for run {run.id}")


def resume(workspace: Workspace, run_id: str, force: bool) -> RunAction:
    run = workspace.get_run(run_id)
    status = run.get_status()
    if status in TERMINAL:
        return RunAction(id=run.id, status=status, done=False, detail=f"run {run.id} already ended {status}")
    if run.resume(force=force):
        return RunAction(id=run.id, status=run.get_status(), done=True, detail=f"a new runner takes run {run.id} over")
    detail = f"run {run.id} is driven by {run.driver.describe()}; nothing to resume (force=true stops that runner)"
    return RunAction(id=run.id, status=run.get_status(), done=False, detail=detail)
