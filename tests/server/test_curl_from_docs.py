"""The `curl` trigger of docs/server.md, run exactly as the docs print it, with real `curl` against a real server."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .pipeline_helpers import said, say_pipeline

DOCS = Path(__file__).resolve().parents[2] / "docs" / "server.md"
BLOCK = re.compile(r"<!-- curl-trigger -->\s*```bash\n(?P<code>.*?)```\s*<!-- /curl-trigger -->", re.S)


def curl_block() -> str:
    found = BLOCK.search(DOCS.read_text())
    assert found, "docs/server.md has no ```bash block between <!-- curl-trigger --> and <!-- /curl-trigger -->"
    return found["code"].strip()


@pytest.mark.timeout(120)
def test_the_curl_trigger_of_the_docs_starts_a_run(ws, write_script, served) -> None:
    code = curl_block()
    assert code.startswith('curl -fsS -X POST "$ENDPOINT" -H "Authorization: Bearer $DUTO_TOKEN"'), code
    curl = shutil.which("curl")
    assert curl, "curl is not on PATH: `make test` installs it (apt-get install curl)"
    published = say_pipeline(ws, write_script, "v1").publish("nightly")
    endpoint = published.endpoint.replace("http://127.0.0.1:8642", served.url)  # this test's server has its own port
    assert endpoint.startswith(served.url), published.endpoint

    env = {**os.environ, "ENDPOINT": endpoint, "DUTO_TOKEN": served.tokens["submit"]}
    done = subprocess.run(["bash", "-c", code], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["ExperimentName"] == "nightly" and answer["PipelineId"] == published.id
    assert said(ws, answer["Id"]) == {"code": "v1", "lr": "0.05", "files": []}

    refused = subprocess.run(
        ["bash", "-c", code], env={**env, "DUTO_TOKEN": "not-a-token"}, capture_output=True, text=True, check=False
    )
    assert refused.returncode != 0 and "401" in refused.stderr, "-f makes curl fail on a refusal"
