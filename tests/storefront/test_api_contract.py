"""The API does what its document says: schemathesis (``st run``, every check — server errors, undocumented
statuses and content types, schema-valid requests refused, invalid ones accepted, 405 without ``Allow``, response
schemas) over ``/api/v1/openapi.json`` against the real store over HTTP, signed out and signed in (the two runs at
once, against one server), with a bounded number of examples per operation. Plus the findings of the first fuzzer
run, pinned as plain requests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.storefront.store_support import CREATOR_EMAIL, CREATOR_PASSWORD, SeededStore, StoreProcess

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def store(seeded: SeededStore) -> Iterator[StoreProcess]:
    """The seeded store with its e-mail gate working (demo mode shows the code; without SMTP and outside demo mode
    the gate answers 503 mail_unavailable, as documented, which the fuzzer counts as a server error)."""
    server = StoreProcess(seeded.data_dir, env={"BUNDLECAST_STORE_DEMO": "1"}).start()
    yield server
    server.stop()


EXAMPLES = 15  # per operation and phase; ~850 requests per run


@dataclass
class FuzzRun:
    """One ``st run`` in a child process, its output in a file of its own (no pipe to fill while the other runs)."""

    proc: subprocess.Popen[bytes]
    output: Path

    def result(self) -> tuple[int, str, int]:
        try:
            code = self.proc.wait(timeout=240)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise AssertionError(
                "schemathesis did not finish within 240 s: " + self.output.read_text()[-3000:]
            ) from None
        out = self.output.read_text()
        generated = re.search(r"(\d+) generated", out)
        return code, out, int(generated[1]) if generated else 0


def _schemathesis(store: StoreProcess, workdir: Path, *headers: str, operation_ids: tuple[str, ...] = ()) -> FuzzRun:
    argv = [
        str(Path(sys.executable).with_name("st")),
        "--config-file",
        str(Path(__file__).with_name("schemathesis.toml")),
        "run",
        f"{store.api}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(EXAMPLES),
        "--workers",
        "1",
        "--no-color",
    ]
    for operation_id in operation_ids:
        argv += ["--include-operation-id", operation_id]
    for header in headers:
        argv += ["--header", header]
    output = workdir / "st.log"
    with output.open("wb") as log:  # cwd: schemathesis keeps a cache folder where it runs, never in the repository
        proc = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "NO_COLOR": "1"}, cwd=workdir
        )
    return FuzzRun(proc, output)


@pytest.fixture(scope="module")
def fuzz_runs(store: StoreProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, FuzzRun]]:
    """Both runs at once against the one server (its session is never signed out by the other run: DELETE
    /sessions ends only the session whose token it carries).

    Signed out: every operation. Signed in as the creator: the operations that take a session — those that declare
    the ``Authorization`` header — plus the catalog and a bundle's page, whose answers feed real bundle ids to the
    others. The API has no optional session (storefront/api/deps.py): every other operation ignores the header, and
    fuzzing it signed in would repeat the signed-out run. DELETE /sessions is left out signed in: it would
    sign this very session out mid-run (it is fuzzed in the signed-out run)."""
    with httpx.Client(base_url=store.api, timeout=30) as api:
        signed = api.post("/sessions", json={"email": CREATOR_EMAIL, "password": CREATOR_PASSWORD})
        assert signed.status_code == 201
        # The creator's own routes (i10-creators) answer 403 to an account without the creator role.
        became = api.post(
            "/creators/me",
            json={"display_name": "Fuzzing creator"},
            headers={"Authorization": f"Bearer {signed.json()['token']}"},
        )
        assert became.status_code == 200, became.text
        document = api.get("/openapi.json").json()
    with_session = tuple(
        operation["operationId"]
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
        if (
            any(p["in"] == "header" and p["name"].lower() == "authorization" for p in operation.get("parameters", []))
            and (method, path) != ("delete", "/api/v1/sessions")
        )
        # the catalog and a bundle's page: their answers give the stateful phase real bundle ids to act on
        or (method, path) in (("get", "/api/v1/catalog"), ("get", "/api/v1/bundles/{bundle_id}"))
    )
    assert len(with_session) >= 10, with_session  # licenses, purchases, pledges, gates, creators' routes, catalog
    bearer = f"Authorization: Bearer {signed.json()['token']}"
    runs = {
        "out": _schemathesis(store, tmp_path_factory.mktemp("fuzz-out")),
        "in": _schemathesis(store, tmp_path_factory.mktemp("fuzz-in"), bearer, operation_ids=with_session),
    }
    yield runs
    for run in runs.values():
        if run.proc.poll() is None:
            run.proc.kill()
            run.proc.wait(10)


def _failures(out: str) -> str:
    return "\n".join(line for line in out.splitlines() if re.match(r"^(_{3,}|- ST|\[\d{3}\]|\s+curl)", line))


def test_the_fuzzer_finds_nothing_signed_out(fuzz_runs: dict[str, FuzzRun]) -> None:
    code, out, generated = fuzz_runs["out"].result()
    assert generated > 300, out[-3000:]  # it really ran over the whole document
    assert code == 0, _failures(out) or out[-3000:]


def test_the_fuzzer_finds_nothing_signed_in(fuzz_runs: dict[str, FuzzRun]) -> None:
    code, out, generated = fuzz_runs["in"].result()
    assert generated > 150, out[-3000:]  # the operations that take a session, all of them
    selected = re.search(r"Selected: (\d+)/", out)
    assert selected and int(selected[1]) >= 10, out[-3000:]  # every operation that takes a session was fuzzed
    assert "Authentication failed" not in out  # the session was used: signed-in routes answered
    assert code == 0, _failures(out) or out[-3000:]


def test_the_first_fuzzer_findings_stay_fixed(api: httpx.Client, store: StoreProcess, seeded: SeededStore) -> None:
    huge = api.get("/catalog", params={"per_page": 83, "page": "446430712041979477558535651328"})
    assert huge.status_code == 422 and huge.json()["error"]["code"] == "invalid_input"  # was a 500
    empty_kind = api.get("/catalog", params={"kind": ""})
    assert empty_kind.status_code == 422 and empty_kind.json()["error"]["code"] == "invalid_kind"
    empty_email = api.post("/accounts", json={"email": "", "password": "password-123"})
    assert empty_email.status_code == 422 and empty_email.json()["error"]["code"] == "invalid_email"
    document = api.get("/openapi.json").json()
    kind = next(p for p in document["paths"]["/api/v1/catalog"]["get"]["parameters"] if p["name"] == "kind")
    assert "BundleKind" in str(kind["schema"])  # an enum in the document, so "" is not schema-valid
    assert "series" in document["components"]["schemas"]["BundleKind"]["enum"]
    torrent_doc = document["paths"]["/api/v1/bundles/{bundle_id}/torrent"]["get"]["responses"]["200"]["content"]
    assert list(torrent_doc) == ["application/x-bittorrent"]
    torrent = api.get(f"/bundles/{seeded.free}/torrent")
    assert torrent.headers["content-type"] == "application/x-bittorrent"
    not_allowed = httpx.request("TRACE", f"{store.api}/store", timeout=10)
    assert not_allowed.status_code == 405 and not_allowed.headers["allow"] == "GET, HEAD"
    sessions = httpx.request("PUT", f"{store.api}/sessions", timeout=10)
    assert sessions.headers["allow"] == "DELETE, POST" and sessions.json()["error"]["code"] == "method_not_allowed"
    signed_out = api.delete("/sessions")
    assert signed_out.status_code == 401 and "401" in document["paths"]["/api/v1/sessions"]["delete"]["responses"]


def test_the_creator_routes_document_what_they_take_and_answer(api: httpx.Client) -> None:
    """The signed-in run's findings, pinned: the CSV export is documented as text/csv, the creator bodies are typed
    (their limits in the document), and a body outside them still gets the service's own sentence and code."""
    document = api.get("/openapi.json").json()
    csv_doc = document["paths"]["/api/v1/creators/bundles/{bundle_id}/subscribers.csv"]["get"]["responses"]["200"]
    assert list(csv_doc["content"]) == ["text/csv"]
    become = document["paths"]["/api/v1/creators/me"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    name = document["components"]["schemas"][become["$ref"].rsplit("/", 1)[-1]]["properties"]["display_name"]
    assert name["maxLength"] == 200 and "pattern" in name
    token = api.post("/sessions", json={"email": CREATOR_EMAIL, "password": CREATOR_PASSWORD}).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    became = api.post("/creators/me", json={"display_name": "  Fuzzing   creator "}, headers=auth)
    assert became.status_code == 200 and became.json()["display_name"] == "Fuzzing creator"
    blank = api.post("/creators/me", json={"display_name": "   "}, headers=auth)
    assert blank.status_code == 422 and blank.json()["error"] == {
        "code": "invalid_name",
        "message": "Give the name fans will see on your bundles (display_name).",
    }
    long_update = api.post(
        "/creators/bundles/no-such-bundle/updates", json={"title": "t" * 201, "body": "b"}, headers=auth
    )
    assert long_update.status_code == 422 and long_update.json()["error"]["code"] == "too_long"
    untitled = api.post("/creators/drafts", json={"torrent": "", "bundle_key": "A" * 43 + "="}, headers=auth)
    assert untitled.status_code == 422, untitled.text  # schema-invalid (no files, title, kind, gate): refused
