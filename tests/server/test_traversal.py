"""Path-traversal payloads in every path parameter of every route of the live OpenAPI document, and in query
parameters that name a path, file or name: a 4xx, never a file's content, never a 500."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest

from server.live import World, fill_path, path_params, real_value, request_body, served_world

pytestmark = pytest.mark.timeout(180)

PAYLOADS = [
    "../../etc/passwd",
    "../../../../../../../../etc/passwd",
    "..%2f..%2fetc%2fpasswd",
    "..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%2e%2e%2f",
    "/etc/passwd",
    "....//....//etc/passwd",
    "..\\..\\..\\etc\\passwd",
    "..",
    ".",
    "x\x00.txt",
    "%00",
    "~/.ssh/id_rsa",
    "a" * 300,
    "a/" * 200 + "passwd",
    "é" * 1000,
    # Symlinks planted in every folder of the seed run (see `world`): inside the root, pointing out of it.
    "escape",
    "escape-dir/passwd",
    "outputs/escape",
    "outputs/escape-dir/passwd",
]
PATH_LIKE_QUERY = re.compile(r"(path|file|name|dir|folder)", re.IGNORECASE)
REFUSED = {400, 404, 405, 414, 422}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The served world, with symlinks out of the root in every folder of its seed run: `escape` to /etc/passwd
    and `escape-dir` to /etc, where a route that serves a run's logs, outputs or code would find them."""
    with served_world(tmp_path_factory.mktemp("traversal")) as made:
        root = made.served.workspace.root
        folders = [f for f in root.rglob("*") if f.is_dir() and not f.is_symlink() and made.run_id in str(f)]
        assert folders, "the seed run has folders of its own"
        for folder in folders:
            (folder / "escape").symlink_to("/etc/passwd")
            (folder / "escape-dir").symlink_to("/etc", target_is_directory=True)
        yield made


def spellings(payload: str) -> list[str]:
    """The payload as it goes into a URL's path: as it is (NUL and backslash aside, which no client sends raw),
    and percent-encoded whole, so that the server decodes it into the parameter's value."""
    if payload.strip(".") == "":  # a client folds a bare "." or ".." segment away; its encoding reaches the server
        return ["%2E" * len(payload), "%2e" * len(payload)]
    encoded = quote(payload, safe="")
    if "\x00" in payload or "\\" in payload or any(ord(c) > 127 for c in payload):
        return [encoded]
    return [payload, encoded, quote(payload, safe="%")]


def check(answer: httpx.Response, where: str, refused: set[int] | None) -> str | None:
    """What is wrong with the answer, or None."""
    if answer.status_code >= 500:
        return f"{where}: {answer.status_code}: {answer.text[:200]}"
    if b"root:" in answer.content or b"PRIVATE KEY" in answer.content:
        return f"{where}: a file's content in the answer ({answer.status_code})"
    if refused is not None and answer.status_code not in refused:
        return f"{where}: {answer.status_code}, not one of {sorted(refused)}: {answer.text[:200]}"
    return None


def test_no_path_parameter_reaches_outside_its_root(world: World) -> None:
    problems: list[str] = []
    tried = 0
    with world.served.client("admin", timeout=15) as client:
        for method, path, operation in world.operations():
            body = request_body(world.document, operation)
            for param in path_params(path):
                for payload in PAYLOADS:
                    for spelled in spellings(payload):
                        url = fill_path(
                            world,
                            path,
                            lambda p, s=spelled, t=param, at=path: s if p == t else real_value(world, at, p),
                        )
                        where = f"{method.upper()} {url[:120]} ({param}={payload[:30]!r})"
                        try:
                            answer = client.request(method.upper(), url, json=body)
                        except httpx.InvalidURL:
                            continue  # no client can send it, so no server gets it
                        tried += 1
                        # A client folds `..` segments away; what leaves /api is a portal page, held only to
                        # leaking nothing.
                        outside_api = not answer.request.url.path.startswith("/api/")
                        problem = check(answer, where, None if outside_api else REFUSED)
                        if problem:
                            problems.append(problem)
    assert not problems, "\n".join(problems)
    print(f"{tried} requests with traversal payloads in path parameters")


def test_no_query_parameter_naming_a_path_reaches_outside_its_root(world: World) -> None:
    """A query parameter named like a path may answer 200 (a filter that matches nothing), but never with a
    file's content and never with a 500. Reading routes only: the others' real ids would change things."""
    problems: list[str] = []
    with world.served.client("admin", timeout=15) as client:
        for method, path, operation in world.operations():
            names = [
                p["name"]
                for p in operation.get("parameters", [])
                if p.get("in") == "query" and PATH_LIKE_QUERY.search(p["name"])
            ]
            if not names or method != "get" or path.endswith("/events"):
                continue
            body = request_body(world.document, operation)
            url = fill_path(world, path)
            for name in names:
                for payload in PAYLOADS:
                    answer = client.request(method.upper(), url, params={name: payload}, json=body)
                    problem = check(answer, f"{method.upper()} {url}?{name}={payload[:30]!r}", None)
                    if problem:
                        problems.append(problem)
    assert not problems, "\n".join(problems)


def test_a_traversal_in_the_url_itself_is_not_served(world: World) -> None:
    """Outside any route: `/api/../../etc/passwd` and its encodings reach no file."""
    with world.served.client("admin", timeout=15) as client:
        for payload in PAYLOADS[:9]:
            for spelled in spellings(payload):
                answer = client.get(f"/api/{spelled}")
                # What the client folded out of /api is a portal page: held only to leaking nothing.
                refused = REFUSED | {401, 403} if answer.request.url.path.startswith("/api/") else None
                assert check(answer, f"GET /api/{spelled}", refused) is None


def test_a_traversal_in_a_portal_path_reaches_no_file(world: World) -> None:
    """The portal's assets and its pages (every path outside /api): no payload gets a file from outside the
    portal's folder; under /assets/ every one is refused."""
    problems: list[str] = []
    with world.served.client(None, timeout=15) as client:
        for payload in PAYLOADS:
            for spelled in spellings(payload):
                for prefix, refused in (("/assets/", REFUSED), ("/", None), ("/runs/", None)):
                    try:
                        answer = client.get(f"{prefix}{spelled}")
                    except httpx.InvalidURL:
                        continue
                    folded = not answer.request.url.path.startswith(prefix)  # the client removed `..` segments
                    problem = check(answer, f"GET {prefix}{spelled[:60]}", None if folded else refused)
                    if problem:
                        problems.append(problem)
    assert not problems, "\n".join(problems)


def test_a_dataset_registered_over_http_reads_nothing_outside_its_datastore(world: World) -> None:
    """`POST /api/datasets` takes datastore paths in its body: each payload is refused (a 4xx naming the path)
    or stays inside the datastore, where it names no files; nothing outside is ever registered."""
    problems: list[str] = []
    with world.served.client("submit", timeout=15) as client:
        for payload in PAYLOADS:
            body = {"name": "escape", "paths": [{"datastore": "workspaceblobstore", "path": payload}]}
            answer = client.post("/api/datasets", json=body)
            found = check(answer, f"POST /api/datasets path={payload[:30]!r}", REFUSED)
            if found is None and answer.json().get("field") not in ("paths", "paths.0.path"):
                found = f"path={payload[:30]!r}: {answer.json()} names no path field"
            if found is not None:
                problems.append(found)
        assert client.get("/api/datasets/escape").status_code == 404
    assert not problems, "\n".join(problems)
