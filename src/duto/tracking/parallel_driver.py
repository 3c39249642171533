"""A ParallelRunStep's node: scores the mini-batches the runner planned, in worker processes. Standard library only
(a worker scoring a tabular input reads its rows with pandas, which the step's environment then needs).

`python -m duto.tracking.parallel_driver PLAN [ARGUMENTS...]` runs one node (DUTO_PARALLEL_NODE, 0 when unset):
it takes every mini-batch of the plan whose position modulo `node_count` is its own, and hands them out to
`process_count_per_node` workers (this module again, with `--worker`), each of which imports the entry script,
calls its `init()` once and its `run(mini_batch)` per mini-batch. A call that raises, outlives
`run_invocation_timeout` (its worker is killed and another started) or loses its worker is tried again, up to
`run_max_try` times. Each mini-batch's result is written, as soon as it is known, to `<results>/<id>.json` by a
rename, so a node killed half-way leaves every finished mini-batch behind it for the next attempt.

The protocol between a node and a worker is one JSON line each way per mini-batch, over two pipes of their own:
a worker's standard output and error are the user's (`logs/user/stdout/...`).
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from duto.tracking.entry_script import LOG_FILE_ENV, LOG_LEVEL_ENV, OUTPUT_DIR_ENV

NODE_ENV = "DUTO_PARALLEL_NODE"
ALL_NODES = "all"  # one process runs every node's share, with every node's workers (a local target)


def rows_of(result: Any) -> list[str]:
    """The rows a `run()` returned, as lines of text: a DataFrame's by its `to_csv` with spaces, a list's items
    (an item that is a list or tuple joined by spaces)."""
    if hasattr(result, "to_csv"):
        return str(result.to_csv(sep=" ", header=False, index=False)).splitlines()
    if isinstance(result, list | tuple):
        return [" ".join(map(str, r)) if isinstance(r, list | tuple) else str(r) for r in result]
    raise TypeError(f"run() must return a list or a DataFrame with one row per item it scored, not {type(result)}")


# the worker ---------------------------------------------------------------------------------------------------
def _worker(requests: int, replies: int, entry_script: str, arguments: list[str]) -> int:
    import importlib.util

    reply = os.fdopen(replies, "w", buffering=1)
    sys.argv = [entry_script, *arguments]
    sys.path.insert(0, os.getcwd())
    try:
        spec = importlib.util.spec_from_file_location("entry_script", entry_script)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import entry script {entry_script!r}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if not hasattr(module, "run"):
            raise AttributeError(f"entry script {entry_script!r} defines no run(mini_batch)")
        if hasattr(module, "init"):
            module.init()
    except BaseException:
        reply.write(json.dumps({"init_error": traceback.format_exc()}) + "\n")
        return 1
    reply.write(json.dumps({"ready": True}) + "\n")
    for line in os.fdopen(requests):
        request = json.loads(line)
        try:
            rows = rows_of(module.run(_mini_batch(request)))
            answer: dict[str, Any] = {"rows": rows}
        except BaseException:
            answer = {"error": traceback.format_exc()}
        sys.stdout.flush()
        sys.stderr.flush()
        reply.write(json.dumps(answer) + "\n")
    return 0


def _mini_batch(request: dict[str, Any]) -> Any:
    """What `run` is given: the files' paths, or for a tabular input its rows as one pandas DataFrame."""
    if "parts" not in request:
        return list(request["items"])
    from duto.graph.tabular_reading import read_parts  # pandas, in the step's environment, only now

    return read_parts(request["tabular"], request["parts"])


# the node -----------------------------------------------------------------------------------------------------
class Worker:
    """One worker process of a node, and the mini-batch it is scoring."""

    def __init__(self, node: Node, number: int) -> None:
        self.node, self.number = node, number
        self.batch: dict[str, Any] | None = None
        self.deadline: float | None = None
        self.buffer = b""
        self.ready = False
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        node = self.node
        name = f"process{self.number:03d}"
        stdout = node.user_dir("stdout") / f"{name}.stdout.txt"
        stderr = node.user_dir("stdout") / f"{name}.stderr.txt"
        request_read, self.request_write = os.pipe()
        self.reply_read, reply_write = os.pipe()
        env = dict(os.environ)
        env[LOG_FILE_ENV] = str(node.user_dir("entry_script_log") / f"{name}.log.txt")
        env[LOG_LEVEL_ENV] = str(node.plan.get("logging_level") or "INFO")
        with open(stdout, "ab") as out, open(stderr, "ab") as err:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "duto.tracking.parallel_driver",
                    "--worker",
                    str(request_read),
                    str(reply_write),
                    node.plan["entry_script"],
                    *node.arguments,
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=env,
                pass_fds=(request_read, reply_write),
            )
        os.close(request_read)
        os.close(reply_write)
        self.buffer, self.ready, self.batch, self.deadline = b"", False, None, None
        node.selector.register(self.reply_read, selectors.EVENT_READ, self)

    def kill(self) -> None:
        self.node.selector.unregister(self.reply_read)
        for fd in (self.request_write, self.reply_read):
            os.close(fd)
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()

    def send(self, batch: dict[str, Any]) -> None:
        self.batch = batch
        self.deadline = time.monotonic() + float(self.node.plan["run_invocation_timeout"])
        request: dict[str, Any] = {"items": batch["paths"]}
        if "parts" in batch:
            request.update(parts=batch["parts"], tabular=self.node.plan["tabular"])
        os.write(self.request_write, (json.dumps(request) + "\n").encode())

    def read(self) -> list[dict[str, Any]] | None:
        """The messages that arrived; None when the worker is gone."""
        chunk = os.read(self.reply_read, 1 << 20)
        if not chunk:
            return None
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        return [json.loads(line) for line in lines if line]


class Node:
    """One node of the step: its share of the plan's mini-batches, scored by its workers."""

    def __init__(self, plan: dict[str, Any], number: int | None, arguments: list[str]) -> None:
        """`number` None: this process is every node (its workers those of all nodes)."""
        self.plan, self.arguments = plan, arguments
        self.logs = plan["logs"]
        self.selector = selectors.DefaultSelector()
        count = int(plan["node_count"])
        self.processes = int(plan["process_count_per_node"]) * (count if number is None else 1)
        self.number = number or 0
        self.queue: list[dict[str, Any]] = [
            b for i, b in enumerate(plan["batches"]) if number is None or i % count == number
        ]
        self.tries: dict[str, list[str]] = {}
        self.failed_items = 0
        self.sys_log = open(self._dir("sys", "node", str(self.number)) / "_main.txt", "a", buffering=1)  # noqa: SIM115

    def _dir(self, *parts: str) -> Path:
        folder = Path(self.logs, *parts)
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def user_dir(self, kind: str) -> Path:
        return self._dir("user", kind, str(self.number))

    def say(self, line: str) -> None:
        self.sys_log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} node {self.number}: {line}\n")

    def score(self) -> int:
        """Score this node's share; 0 once every mini-batch has a result, 2 when it stopped at a threshold."""
        self.say(f"{len(self.queue)} mini-batches to score with {self.processes} processes")
        workers = [Worker(self, n) for n in range(min(self.processes, len(self.queue)))]
        try:
            while self.queue or any(w.batch is not None for w in workers):
                if self._past_threshold():
                    self.say(f"stopping: {self.failed_items} items failed, more than error_threshold allows")
                    return 2
                for worker in workers:
                    if worker.ready and worker.batch is None and self.queue:
                        worker.send(self.queue.pop(0))
                deadlines = [w.deadline for w in workers if w.deadline is not None]
                wait = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
                for key, _ in self.selector.select(wait):
                    self._hear(key.data)
                now = time.monotonic()
                for worker in workers:
                    if worker.deadline is not None and now >= worker.deadline and worker.batch is not None:
                        self._fail(worker.batch, f"run() did not return within {self.plan['run_invocation_timeout']} s")
                        worker.kill()
                        worker.start()
        finally:
            for worker in workers:
                worker.kill()
        self.say("done")
        return 0

    def _past_threshold(self) -> bool:
        threshold = int(self.plan["error_threshold"])
        return threshold != -1 and self.failed_items > threshold

    def _hear(self, worker: Worker) -> None:
        messages = worker.read()
        if messages is None:
            code = worker.process.wait() if worker.process is not None else None
            if worker.batch is not None:
                self._fail(worker.batch, f"the worker process ended (exit code {code}) while scoring it")
            elif not worker.ready:
                raise SystemExit(f"duto: a worker process of node {self.number} ended before init() (exit code {code})")
            worker.kill()
            worker.start()
            return
        for message in messages:
            if "init_error" in message:
                self._error(worker, "init()", message["init_error"])
                raise SystemExit(f"duto: init() of {self.plan['entry_script']} failed:\n{message['init_error']}")
            if message.get("ready"):
                worker.ready = True
                continue
            batch, worker.batch, worker.deadline = worker.batch, None, None
            assert batch is not None
            if "error" in message:
                self._error(worker, f"mini-batch {batch['id']}", message["error"])
                self._fail(batch, message["error"].strip().splitlines()[-1])
            else:
                self._record(batch, message["rows"], None)

    def _fail(self, batch: dict[str, Any], why: str) -> None:
        tries = self.tries.setdefault(batch["id"], [])
        tries.append(why)
        if len(tries) < int(self.plan["run_max_try"]):
            self.say(f"mini-batch {batch['id']} failed ({why}); trying it again")
            self.queue.append(batch)
            return
        self._record(batch, None, why)

    def _record(self, batch: dict[str, Any], rows: list[str] | None, error: str | None) -> None:
        tries = len(self.tries.get(batch["id"], [])) + (1 if error is None else 0)
        result = {"id": batch["id"], "keys": batch["keys"], "rows": rows, "error": error, "tries": tries}
        records = int(batch.get("records", len(batch["keys"])))  # rows, for a tabular input
        if error is not None:
            self.failed_items += records
        elif len(rows or []) < records:
            self.failed_items += records - len(rows or [])
        path = os.path.join(self.plan["results"], f"{batch['id']}.json")
        temporary = f"{path}.tmp-{os.getpid()}"
        # A rename, with no fsync: a killed node leaves whole files; one torn by a power cut is read as unscored.
        with open(temporary, "w") as handle:
            json.dump(result, handle)
        os.replace(temporary, path)
        self.say(f"mini-batch {batch['id']}: {records} items, {len(rows or [])} rows, error {error!r}")

    def _error(self, worker: Worker, what: str, text: str) -> None:
        with open(self.user_dir("error") / f"process{worker.number:03d}.txt", "a") as log:
            log.write(f"{what} failed:\n{text}\n")


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--worker":
        return _worker(int(argv[1]), int(argv[2]), argv[3], argv[4:])
    with open(argv[0]) as handle:
        plan = json.load(handle)
    os.makedirs(plan["results"], exist_ok=True)
    if plan.get("output_dir"):
        os.environ[OUTPUT_DIR_ENV] = plan["output_dir"]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    node = os.environ.get(NODE_ENV, "0")
    return Node(plan, None if node == ALL_NODES else int(node), argv[1:]).score()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
