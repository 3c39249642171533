"""Data references, DataPath parameters, URL datasets, path_on_compute and empty inputs, in real runs."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from duto import DataPath, Dataset, Experiment
from duto.errors import ConfigError, PipelineValidationError
from duto.execution.url_inputs import UrlFetchError, fetch_url
from duto.graph.data_reference import DataPathComputeBinding, DataReference
from duto.pipeline import Pipeline, PipelineParameter
from duto.pipeline.steps import PythonScriptStep
from duto.storage.hashing import hash_bytes

# Prints {argument: {"at": path relative to the working folder, "files": {relative path: content}}}.
SHOW = """
import json, os, sys
seen = {}
for arg in sys.argv[1:]:
    files = {}
    if os.path.isfile(arg):
        files[os.path.basename(arg)] = open(arg).read()
    for d, _, names in os.walk(arg):
        for n in names:
            files[os.path.relpath(os.path.join(d, n), arg)] = open(os.path.join(d, n)).read()
    seen[len(seen)] = {"at": os.path.relpath(arg, os.getcwd()), "files": files}
print(json.dumps(seen))
"""


def _upload(ws, tmp_path: Path, files: dict[str, str]):  # type: ignore[no-untyped-def]
    source = tmp_path / "upload"
    for rel, text in files.items():
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        (source / rel).write_text(text)
    ds = ws.get_default_datastore()
    ds.upload(str(source), target_path="", show_progress=False)
    return ds


def _seen(run) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return json.loads(run.get_steps()[0].get_stdout_log().strip().splitlines()[-1])


@pytest.mark.timeout(60)
def test_a_data_reference_is_an_input_and_an_argument_mounted_or_downloaded(ws, write_script, tmp_path):
    ds = _upload(ws, tmp_path, {"raw/a.csv": "a", "raw/sub/b.csv": "b"})
    src = write_script("show.py", SHOW)
    mounted = DataReference(ds, data_reference_name="raw", path_on_datastore="raw")
    copied = DataReference(ds, "copied", "raw", mode="download")
    step = PythonScriptStep("show.py", source_directory=src, arguments=[mounted, copied], inputs=[mounted, copied])
    run = Experiment(ws, "refs").submit(Pipeline(ws, [step]))
    assert run.wait_for_completion(show_output=False) == "Finished"

    seen = _seen(run)
    assert seen["0"]["files"] == {"a.csv": "a", "sub/b.csv": "b"}
    assert seen["1"]["files"] == {"a.csv": "a", "sub/b.csv": "b"}
    assert mounted.as_download().mode == "download" and isinstance(mounted.as_download(), DataReference)


@pytest.mark.timeout(60)
def test_path_on_compute_places_the_input_in_the_working_folder(ws, write_script, tmp_path):
    ds = _upload(ws, tmp_path, {"raw/a.csv": "a"})
    src = write_script("show.py", SHOW)
    data = Dataset.File.from_files((ds, "raw/**"))
    mounted = data.as_named_input("m").as_mount("data/mounted")
    copied = DataReference(ds, "c", "raw").as_download("data/copied")
    step = PythonScriptStep("show.py", source_directory=src, arguments=[mounted, copied])
    run = Experiment(ws, "poc").submit(Pipeline(ws, [step]))
    assert run.wait_for_completion(show_output=False) == "Finished"

    seen = _seen(run)
    assert seen["0"] == {"at": "data/mounted", "files": {"a.csv": "a"}}
    assert seen["1"] == {"at": "data/copied", "files": {"a.csv": "a"}}
    with pytest.raises(ConfigError, match="inside the step's working folder"):
        data.as_named_input("x").as_mount("../outside")
    with pytest.raises(ConfigError, match="inside the step's working folder"):
        DataReference(ds, "y", "raw", path_on_compute="/abs")


@pytest.mark.timeout(60)
def test_a_datapath_parameter_is_an_input_overridable_at_submit(ws, write_script, tmp_path):
    ds = _upload(ws, tmp_path, {"one/a.csv": "1", "two/a.csv": "2"})
    src = write_script("show.py", SHOW)
    param = PipelineParameter("input_data", default_value=DataPath(ds, "one"))
    bound = (param, DataPathComputeBinding(mode="mount"))
    step = PythonScriptStep("show.py", source_directory=src, arguments=[bound], inputs=[bound])
    pipeline = Pipeline(ws, [step])

    first = Experiment(ws, "param").submit(pipeline)
    assert first.wait_for_completion(show_output=False) == "Finished"
    second = Experiment(ws, "param").submit(pipeline, pipeline_parameters={"input_data": DataPath(ds, "two")})
    assert second.wait_for_completion(show_output=False) == "Finished"

    assert _seen(first)["0"]["files"] == {"a.csv": "1"}
    assert _seen(second)["0"]["files"] == {"a.csv": "2"}
    assert not second.get_steps()[0].is_reused, "another path with other content is another fingerprint"


def test_a_datapath_override_naming_an_unknown_datastore_is_refused_at_submit(ws, write_script, tmp_path):
    ds = _upload(ws, tmp_path, {"one/a.csv": "1"})
    param = PipelineParameter("input_data", default_value=DataPath(ds, "one"))
    bound = (param, DataPathComputeBinding(mode="mount"))
    step = PythonScriptStep(
        "show.py", source_directory=write_script("show.py", SHOW), arguments=[bound], inputs=[bound]
    )
    pipeline = Pipeline(ws, [step])
    elsewhere = DataPath("nowhere", "one")

    with pytest.raises(PipelineValidationError, match=r"pipeline parameter 'input_data' names datastore 'nowhere'"):
        Experiment(ws, "param").submit(pipeline, pipeline_parameters={"input_data": elsewhere})
    assert ws.runs_store.pipeline_runs() == [], "nothing was recorded"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A local HTTP server of tmp_path/www on a free port: (base URL, folder)."""
    folder = tmp_path / "www"
    folder.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, format: str, *args: object) -> None:
            del format, args

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.mark.timeout(60)
def test_a_url_dataset_is_fetched_and_fingerprinted_by_content(ws, write_script, served):
    base, folder = served
    (folder / "data.csv").write_text("v1")
    src = write_script("show.py", SHOW)
    data = Dataset.File.from_files(f"{base}/data.csv")
    step = PythonScriptStep("show.py", source_directory=src, arguments=[data.as_named_input("web").as_download()])
    pipeline = Pipeline(ws, [step])

    runs = []
    for content in ("v1", "v1", "v2"):
        (folder / "data.csv").write_text(content)
        run = Experiment(ws, "url").submit(pipeline)
        assert run.wait_for_completion(show_output=False) == "Finished"
        runs.append(run)

    assert _seen(runs[0])["0"]["files"] == {"data.csv": "v1"}
    assert runs[1].get_steps()[0].is_reused, "the same content is the same fingerprint"
    assert not runs[2].get_steps()[0].is_reused and _seen(runs[2])["0"]["files"] == {"data.csv": "v2"}


@pytest.mark.timeout(60)
def test_a_local_path_dataset_is_fingerprinted_by_content_and_an_empty_glob_warns(ws, write_script, tmp_path):
    local = tmp_path / "local"
    (local / "sub").mkdir(parents=True)
    (local / "a.csv").write_text("a1")
    (local / "sub" / "b.csv").write_text("b")
    src = write_script("show.py", SHOW)
    folder = Dataset.File.from_files(str(local)).as_named_input("folder").as_mount()
    one = Dataset.File.from_files(local / "a.csv").as_named_input("one").as_download()
    empty = Dataset.File.from_files(str(local / "none" / "*.csv")).as_named_input("empty")
    step = PythonScriptStep("show.py", source_directory=src, arguments=[folder, one, empty])
    pipeline = Pipeline(ws, [step])

    runs = []
    for content in ("a1", "a1", "a2"):
        (local / "a.csv").write_text(content)
        run = Experiment(ws, "local").submit(pipeline)
        assert run.wait_for_completion(show_output=False) == "Finished"
        runs.append(run)

    seen = _seen(runs[0])
    assert seen["0"]["files"] == {"a.csv": "a1", "sub/b.csv": "b"}
    assert seen["1"]["files"] == {"a.csv": "a1"} and seen["2"]["files"] == {}
    assert f"input 'empty' holds no files at {local}/none/*.csv" in runs[0].get_steps()[0].get_stdout_log()
    assert runs[1].get_steps()[0].is_reused, "the same content is the same fingerprint"
    assert not runs[2].get_steps()[0].is_reused and _seen(runs[2])["1"]["files"] == {"a.csv": "a2"}


@pytest.fixture
def changing() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server whose /data.csv says something new to every GET ("fetch 1", "fetch 2", ...):
    (its URL, the paths asked for, in order)."""
    asked: list[str] = []

    class Changing(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            body = f"fetch {len(asked)}".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            del format, args

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Changing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/data.csv", asked
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.mark.timeout(60)
def test_a_url_is_placed_with_the_bytes_its_fingerprint_was_taken_from(ws, write_script, changing):
    url, asked = changing
    data = Dataset.File.from_files(url)
    step = PythonScriptStep(
        "show.py", source_directory=write_script("show.py", SHOW), arguments=[data.as_named_input("web").as_download()]
    )

    run = Experiment(ws, "url").submit(Pipeline(ws, [step]))

    assert run.wait_for_completion(show_output=False) == "Finished"
    step_run = run.get_steps()[0]
    fingerprinted = step_run.get_reuse_info()["components"]["inputs"]["web"]["files"][url]
    seen = _seen(run)["0"]["files"]["data.csv"]
    assert hash_bytes(seen.encode()) == fingerprinted, f"the step read {seen!r}, not the bytes fingerprinted"
    assert f"fetch {len(asked)}" == seen, "placing fetched nothing more: the step read the last fetch, its decision's"


def test_a_url_fetched_again_must_hold_the_fingerprinted_bytes(tmp_path, changing):
    url, _ = changing
    kept = fetch_url(url, tmp_path / "urls")
    expected = kept.parent.name
    shutil.rmtree(kept.parent)  # the kept file is gone (a cache emptied), so placing has to fetch again

    with pytest.raises(UrlFetchError, match="no longer serves the content this step's fingerprint was taken from"):
        fetch_url(url, tmp_path / "urls", expected)
    assert [p.name for p in (tmp_path / "urls").iterdir()] == [], "the changed bytes were not kept"


@pytest.mark.timeout(60)
def test_a_url_that_cannot_be_fetched_fails_the_step_naming_it(ws, write_script, served):
    base, _ = served
    src = write_script("show.py", SHOW)
    data = Dataset.File.from_files(f"{base}/missing.csv")
    step = PythonScriptStep("show.py", source_directory=src, arguments=[data.as_named_input("web")])
    run = Experiment(ws, "url").submit(Pipeline(ws, [step]))
    run.wait_for_completion(show_output=False, raise_on_error=False)
    assert run.get_status() == "Failed"
    assert f"{base}/missing.csv" in (run.get_steps()[0].reason or "")


@pytest.mark.timeout(60)
def test_an_input_with_no_files_is_an_empty_folder_and_a_warning(ws, write_script):
    ds = ws.get_default_datastore()
    src = write_script("show.py", SHOW)
    data = Dataset.File.from_files((ds, "raw/**"))
    step = PythonScriptStep("show.py", source_directory=src, arguments=[data.as_named_input("raw")])
    run = Experiment(ws, "empty").submit(Pipeline(ws, [step]))
    assert run.wait_for_completion(show_output=False) == "Finished"

    log = run.get_steps()[0].get_stdout_log()
    assert "input 'raw' holds no files at workspaceblobstore:raw/**" in log
    assert _seen(run)["0"]["files"] == {}
    assert os.path.basename(_seen(run)["0"]["at"]) == "raw"
