"""`/api/datasets` and `/api/models` over real HTTP: lists, versions, lineage, registering, and the 4xx that name
the field at fault."""

from __future__ import annotations

import pytest

from duto import Dataset, Experiment, Model
from duto.pipeline import Pipeline
from duto.pipeline.steps import PythonScriptStep

pytestmark = pytest.mark.timeout(120)


def test_datasets_and_models_over_http(served, ws, tmp_path, write_script):  # type: ignore[no-untyped-def]
    store = ws.get_default_datastore()
    (store.root / "raw").mkdir(parents=True)
    (store.root / "raw" / "a.csv").write_text("1")
    src = write_script("read.py", "import sys; print(open(sys.argv[1]).read())")
    model_file = tmp_path / "m.pkl"
    model_file.write_bytes(b"m")

    with served.client("submit") as client:
        made = client.post(
            "/api/datasets", json={"name": "raw", "paths": [{"datastore": store.name, "path": "raw/a.csv"}]}
        )
        assert made.status_code == 201, made.text
        assert (made.json()["version"], made.json()["single_file"]) == (1, "a.csv")
        same = client.post(
            "/api/datasets", json={"name": "raw", "paths": [{"datastore": store.name, "path": "raw/a.csv"}]}
        )
        assert same.json()["id"] == made.json()["id"]
        (store.root / "raw" / "a.csv").write_text("2")
        body = {"name": "raw", "paths": [{"datastore": store.name, "path": "raw/a.csv"}]}
        conflict = client.post("/api/datasets", json=body)
        assert conflict.status_code == 409 and "create_new_version=True" in conflict.json()["detail"]
        assert client.post("/api/datasets", json={**body, "create_new_version": True}).json()["version"] == 2

        bad = {
            "paths.0.path": {"name": "x", "paths": [{"datastore": store.name, "path": "../../etc/passwd"}]},
            "paths.0.datastore": {"name": "x", "paths": [{"datastore": "nope", "path": "a"}]},
            "name": {"name": "a b", "paths": [{"datastore": store.name, "path": "raw/a.csv"}]},
            "paths": {"name": "x", "paths": [{"datastore": store.name, "path": "etc/passwd"}]},
        }
        for field, wrong in bad.items():
            answer = client.post("/api/datasets", json=wrong)
            assert (answer.status_code, answer.json().get("field")) == (422, field), answer.text
        missing_field = client.post("/api/datasets", json={"name": "x"})
        assert (missing_field.status_code, missing_field.json()["field"]) == (422, "paths")

    raw = Dataset.get_by_name(ws, "raw", version=1).as_named_input("raw").as_download()
    run = Experiment(ws, "api").submit(
        Pipeline(ws, [PythonScriptStep("read.py", source_directory=src, arguments=[raw], inputs=[raw])])
    )
    run.wait_for_completion(show_output=False, raise_on_error=True)
    Model.register(ws, str(model_file), "m", datasets=[("training", Dataset.get_by_name(ws, "raw", version=1))])

    with served.client("read") as client:
        listed = client.get("/api/datasets").json()
        assert [(d["name"], d["version"]) for d in listed] == [("raw", 2)]
        assert client.get("/api/datasets/raw", params={"version": "1"}).json()["id"] == made.json()["id"]
        lineage = client.get("/api/datasets/raw/lineage").json()
        assert [c["pipeline_run_id"] for c in lineage[0]["consumed_by"]] == [run.id]
        assert lineage[0]["models"] == [{"name": "m", "version": 1}]
        assert lineage[1]["consumed_by"] == []
        models = client.get("/api/models").json()
        assert [(m["name"], m["version"], m["file_name"]) for m in models] == [("m", 1, "m.pkl")]
        assert client.get("/api/models/m").json()["datasets"][0]["version"] == 1

        assert client.get("/api/datasets/nope").status_code == 404
        assert client.get("/api/datasets/raw", params={"version": "9"}).status_code == 404
        assert client.get("/api/models/nope/").status_code == 404
        wrong_version = client.get("/api/models/m", params={"version": "newest"})
        assert (wrong_version.status_code, wrong_version.json()["field"]) == (422, "version")
        assert client.post("/api/datasets", json=body).status_code == 403


def test_unregistering_over_http_takes_admin_and_names_what_it_took(served, ws, tmp_path):  # type: ignore[no-untyped-def]
    model_file = tmp_path / "m.pkl"
    for content in (b"1", b"2", b"3"):
        model_file.write_bytes(content)
        Model.register(ws, str(model_file), "m")
    data = tmp_path / "d.csv"
    data.write_text("x")
    Dataset.File.from_files(str(data)).register(ws, "d")

    with served.client("submit") as client:
        assert client.delete("/api/models/m", params={"version": "1"}).status_code == 403
    with served.client("admin") as admin:
        one = admin.delete("/api/models/m", params={"version": "1"})
        assert (one.status_code, one.json()) == (200, {"kind": "model", "name": "m", "versions": [1]}), one.text
        latest = admin.delete("/api/models/m", params={"version": "latest"})
        assert latest.json()["versions"] == [3]
        gone = admin.delete("/api/models/m", params={"version": "1"})
        assert gone.status_code == 404 and "its versions: 2" in gone.json()["detail"]
        wrong = admin.delete("/api/models/m", params={"version": "first"})
        assert (wrong.status_code, wrong.json()["field"]) == (422, "version")
        assert admin.get("/api/models").json()[0]["version"] == 2

        every = admin.delete("/api/datasets/d")
        assert every.json() == {"kind": "dataset", "name": "d", "versions": [1]}
        assert admin.get("/api/datasets/d").status_code == 404
        assert admin.delete("/api/datasets/d").status_code == 404
