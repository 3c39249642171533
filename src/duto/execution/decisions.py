"""Reuse decisions for one run: each step's fingerprint, why it would run, and the step run it may reuse."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from duto.caching.components import dataset_files, path_digest, step_components, tree_digest
from duto.caching.explain import SAME_FINGERPRINT, explain, gone, output_fault
from duto.caching.fingerprint import fingerprint
from duto.execution.materialize import Interpreter, url_cache
from duto.execution.transfer import placed_fault
from duto.execution.url_inputs import fetch_url
from duto.graph.spec import StepSpec
from duto.graph.status import RunStatus
from duto.storage.cas import ContentStore
from duto.storage.datastores import DatastoreBackend
from duto.storage.hashing import FileState
from duto.storage.remote_files import RemoteFiles
from duto.storage.reuse_store import Entry, Previous, ReuseStore

# How many of the experiment's last runs a step's previous run is looked for in first.
RECENT_RUNS = 20
# Step kinds that read their dataset inputs where they are (a data transfer), so an object store's files are
# hashed for their fingerprint without being kept in the content store.
READS_AT_SOURCE = ("data_transfer",)


@dataclass(frozen=True)
class Decision:
    fingerprint: str
    components: dict[str, Any]
    reasons: list[str]
    # The stat of each local dataset file, by absolute path, as it was hashed: the runner's watch on the files
    # a step reads in place starts from it rather than stat them all again.
    file_states: dict[str, FileState] = field(default_factory=dict)


@dataclass(frozen=True)
class RunContext:
    """What of the run a decision depends on."""

    run_id: str
    experiment_id: int
    created_at: datetime
    parameters: Mapping[str, Any]
    regenerate: bool
    default_datastore: str


class ReuseDecisions:
    """Fingerprints of a run's steps, the reasons they run, and the entries they may reuse."""

    def __init__(
        self, run: RunContext, reuse: ReuseStore, cas: ContentStore, datastores: Mapping[str, DatastoreBackend]
    ) -> None:
        self.run = run
        self.reuse = reuse
        self.cas = cas
        self.datastores = datastores
        self.remote = RemoteFiles(cas)
        self._previous: dict[str, Previous] | None = None  # loaded when the first step is decided
        self._previous_complete = False  # whether it was loaded from the whole history (see _previous_run)
        # Why earlier results are gone, by fingerprint: loaded once, when a step first has no entry. The table is
        # small (emptied as fingerprints run again), and an entry dropped while this run goes on is explained
        # by its reason at the time (see `reusable`), so one read serves the whole run.
        self._dropped: dict[str, str] | None = None
        # digest -> file, for code hashed but not stored (a dry run), so that reasons still count changed lines
        self.unstored: dict[str, Path] = {}

    def _previous_run(self, key: str) -> Previous | None:
        """The step's latest run in the experiment before this run: looked for among the last RECENT_RUNS runs
        first, which hold every step of a pipeline run again and again, and in the whole history only for a
        step they lack (so the cost of a decision does not grow with the experiment's history)."""
        run = self.run
        if self._previous is None:
            self._previous = self.reuse.previous_runs(run.experiment_id, run.run_id, run.created_at, RECENT_RUNS)
        if key not in self._previous and not self._previous_complete:
            self._previous = self.reuse.previous_runs(run.experiment_id, run.run_id, run.created_at)
            self._previous_complete = True
        return self._previous.get(key)

    def decide(
        self,
        spec: StepSpec,
        interpreter: Interpreter,
        upstream_outputs: Mapping[str, Mapping[str, Mapping[str, str]]],
        executed: Collection[str],
        code: Mapping[str, str] | None = None,
    ) -> Decision:
        """The step's fingerprint components, and why it would run as a diff against its previous run.

        `code` is the step's snapshot as {path: digest} when it was hashed but not stored (a dry run);
        otherwise the snapshot the spec names is read from the store.

        Raises:
            UrlFetchError: when a URL a dataset names cannot be fetched.
            OSError: when an input cannot be read (HashingTooSlow when hashing passes its deadline).
        """
        inputs: dict[str, dict[str, Any]] = {}
        states: dict[str, FileState] = {}
        for port in spec.inputs:
            if port.source["kind"] == "step_output":
                produced = upstream_outputs[port.source["step"]][port.source["output"]]
                inputs[port.name] = {"digest": produced["digest"], "source": dict(port.source)}
            elif port.source.get("registered"):
                pinned = port.source["registered"]  # the content its version holds, in the store already
                inputs[port.name] = {
                    "digest": pinned["digest"],
                    "source": {"kind": "dataset"},
                    "files": {
                        f"{pinned['name']}:{rel}": blob for rel, blob in self.cas.files_of(pinned["digest"]).items()
                    },
                }
            else:
                files = dataset_files(
                    port,
                    self.datastores,
                    self.cas.hasher,
                    self.run.default_datastore,
                    self.run.parameters,
                    lambda url: fetch_url(url, url_cache(self.cas)),
                    self.remote,
                    keep=spec.kind not in READS_AT_SOURCE,
                    states=states,
                )
                inputs[port.name] = {"digest": tree_digest(files), "source": {"kind": "dataset"}, "files": files}
                if "tabular" in port.source:  # the recipe too: a new transformation reads the same files otherwise
                    inputs[port.name]["tabular"] = {**port.source["tabular"], "direct": port.source.get("direct")}
                if "partition_format" in port.source:  # what a ParallelRunStep groups by, or a frame's columns
                    inputs[port.name]["partition_format"] = port.source["partition_format"]
        hashed = {
            entry: path_digest(Path(spec.source_directory or ".", entry), self.cas.hasher) for entry in spec.hash_paths
        }
        if code is None:
            code = self.cas.files_of(spec.snapshot) if spec.snapshot else {}
        components = step_components(spec, self.run.parameters, code, inputs, hashed, interpreter)
        previous = self._previous_run(spec.key)
        reasons = explain(
            components,
            previous.components if previous else None,
            regenerate_outputs=self.run.regenerate,
            allow_reuse=spec.allow_reuse,
            executed_upstream=executed,
            read_blob=self._read_blob,
        )
        if previous is not None and previous.status != RunStatus.FINISHED and reasons == [SAME_FINGERPRINT]:
            reasons = [f"the previous run of this step ended {previous.status}, with no outputs to reuse"]
        return Decision(fingerprint(components), components, reasons, states)

    def reusable(self, decision: Decision, allow_reuse: bool, settle: bool) -> tuple[Entry | None, str | None]:
        """The finished step run a step may reuse, its outputs checked to be in the store.

        The second value, when not None, is the one reason the step runs: an earlier result with its
        fingerprint is gone (dropped before, or found with an output missing or corrupt now, and then, with
        `settle`, dropped here). Without `settle` nothing is dropped (a dry run asks that way).
        """
        if self.run.regenerate or not allow_reuse:
            return None, None
        entry = self.reuse.entry(decision.fingerprint)
        if entry is None:
            if self._dropped is None:
                self._dropped = self.reuse.dropped_reasons()
            dropped = self._dropped.get(decision.fingerprint)
            return None, None if dropped is None else gone(dropped)
        for output in entry.outputs.values():
            if output.get("stored_in") == "datastore":
                cause = placed_fault(self.cas, output, self.datastores)
                if cause is None:
                    continue
            else:
                fault = self.cas.fault(output["digest"])
                if fault is None:
                    continue
                cause = output_fault(fault.describe())
            if settle:
                self.reuse.drop(decision.fingerprint, cause)
            return None, gone(cause)
        return entry, None

    def _read_blob(self, digest: str) -> bytes | None:
        """A stored blob's bytes when sound, else those of a file hashed but not stored (a dry run), else None."""
        found = self.cas.read_blob(digest)
        if found is not None:
            return found
        unstored = self.unstored.get(digest)
        try:
            return None if unstored is None else unstored.read_bytes()
        except FileNotFoundError:
            return None


def quick_to_decide(spec: StepSpec) -> bool:
    """Whether deciding a step reads nothing but its upstream steps' outputs, registered data and the DB: no
    dataset files to hash and no URL to fetch (work that must not hold a commit's write lock)."""
    return not spec.hash_paths and all(
        port.source["kind"] == "step_output" or port.source.get("registered") for port in spec.inputs
    )
