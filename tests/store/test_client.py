"""StoreClient's transport logic against a scripted loopback HTTP server: retries, idempotency, error mapping.

The same verbs against the real storefront: tests/integration/test_store_client.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from app.store import errors
from app.store.client import StoreClient
from app.store.models import Card
from app.store.transport import InvalidStoreUrl, RetryPolicy
from tests.store.sample_answers import BUNDLE_DETAIL, PURCHASE, STORE_INFO
from tests.store.scripted_server import Answer, ScriptedServer, scripted_server
from tests.support.net import free_port

CARD = Card("4242 4242 4242 4242", 12, 2030, "123")


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    with scripted_server() as server:
        yield server


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(server: ScriptedServer, sleeps: list[float]) -> Iterator[StoreClient]:
    # Back-off sleeps are recorded instead of slept: the test checks the schedule without waiting for it.
    with StoreClient(server.url, timeout=(1.0, 2.0), retry=RetryPolicy(attempts=4, sleep=sleeps.append)) as client:
        yield client


def test_a_get_is_retried_with_growing_back_off_after_503s(
    client: StoreClient, server: ScriptedServer, sleeps: list[float]
) -> None:
    server.script(Answer(503), Answer(502), Answer(200, STORE_INFO))
    info = client.store_info()
    assert info.store_id == "store-1" and info.test_cards[0].number == "4242424242424242"
    assert [seen.path for seen in server.seen] == ["/api/v1/store"] * 3
    assert len(sleeps) == 2 and 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0


def test_a_purchase_retried_after_failures_keeps_one_idempotency_key(
    client: StoreClient, server: ScriptedServer
) -> None:
    server.script(Answer(drop=True), Answer(503), Answer(201, PURCHASE))
    result = client.purchase("tok", "b-1", CARD, amount_cents=700)
    keys = [seen.headers.get("Idempotency-Key") for seen in server.seen]
    assert len(keys) == 3 and keys[0] and len(set(keys)) == 1
    assert all(seen.body == server.seen[0].body for seen in server.seen)
    assert server.seen[0].body == {
        "bundle_id": "b-1",
        "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        "amount_cents": 700,
    }
    assert server.seen[0].headers["Authorization"] == "Bearer tok"
    assert result.license == PURCHASE["license"] and result.amount_cents == 700


def test_two_purchases_carry_different_keys_unless_the_caller_repeats_one(
    client: StoreClient, server: ScriptedServer
) -> None:
    server.script(Answer(201, PURCHASE), Answer(201, PURCHASE), Answer(201, PURCHASE))
    client.purchase("tok", "b-1", CARD)
    client.purchase("tok", "b-1", CARD)
    client.purchase("tok", "b-1", CARD, idempotency_key="kept-from-a-doubtful-attempt")
    keys = [seen.headers["Idempotency-Key"] for seen in server.seen]
    assert keys[0] != keys[1] and keys[2] == "kept-from-a-doubtful-attempt"


def test_a_read_timeout_on_a_purchase_is_retried_with_the_same_key_then_reported_unreachable(
    server: ScriptedServer,
) -> None:
    with StoreClient(server.url, timeout=(1.0, 0.2), retry=RetryPolicy(attempts=2, sleep=lambda s: None)) as client:
        server.script(Answer(201, PURCHASE, delay=1.0), Answer(201, PURCHASE, delay=1.0))
        with pytest.raises(errors.StoreUnreachable) as raised:
            client.purchase("tok", "b-1", CARD)
    assert raised.value.user_message == "The store can't be reached — your bundles still play."
    assert len({seen.headers["Idempotency-Key"] for seen in server.seen}) == 1 and len(server.seen) == 2


def test_a_sign_in_is_never_retried(client: StoreClient, server: ScriptedServer) -> None:
    server.script(Answer(503), Answer(201, {"token": "t", "account_id": "a", "expires_at": None}))
    with pytest.raises(errors.StoreServerError):
        client.sign_in("fan@example.org", "pw")
    assert len(server.seen) == 1


def test_a_store_that_is_not_running_is_unreachable(sleeps: list[float]) -> None:
    client = StoreClient(f"http://127.0.0.1:{free_port()}", retry=RetryPolicy(attempts=3, sleep=sleeps.append))
    with pytest.raises(errors.StoreUnreachable) as raised:
        client.catalog()
    assert "can't be reached" in raised.value.user_message and len(sleeps) == 2


@pytest.mark.parametrize(
    ("status", "code", "expected", "sentence"),
    [
        (402, "card_declined", errors.CardDeclined, "Your card was declined"),
        (402, "insufficient_funds", errors.InsufficientFunds, "insufficient funds"),
        (402, "something_new", errors.PaymentFailed, "payment didn't go through"),
        (409, "already_owned", errors.AlreadyOwned, "already own"),
        (401, None, errors.SessionExpired, "session has expired"),
        (404, "not_found", errors.NotFound, "doesn't have that"),
        (500, None, errors.StoreServerError, "problem on its side"),
    ],
)
def test_api_errors_become_typed_errors_with_a_sentence(
    client: StoreClient,
    server: ScriptedServer,
    status: int,
    code: str | None,
    expected: type[errors.StoreError],
    sentence: str,
) -> None:
    body = {"error": {"code": code, "message": "server words"}} if code else {"detail": "Not authenticated"}
    server.script(Answer(status, body))
    with pytest.raises(expected) as raised:
        client.purchase("tok", "b-1", CARD)
    assert type(raised.value) is expected
    assert sentence in raised.value.user_message
    assert raised.value.status == status


def test_wrong_credentials_on_sign_in_are_not_called_an_expired_session(
    client: StoreClient, server: ScriptedServer
) -> None:
    server.script(Answer(401, {"error": {"code": "unknown_to_this_version", "message": "nope"}}))
    with pytest.raises(errors.WrongCredentials):
        client.sign_in("fan@example.org", "wrong")


def test_rate_limiting_reports_when_to_try_again(client: StoreClient, server: ScriptedServer) -> None:
    server.script(Answer(429, {"error": {"code": "rate_limited", "message": "slow down"}}, {"Retry-After": "30"}))
    with pytest.raises(errors.RateLimited) as raised:
        client.sign_in("fan@example.org", "pw")
    assert raised.value.retry_after == 30 and len(server.seen) == 1


def test_a_short_retry_after_on_a_get_is_waited_out(
    client: StoreClient, server: ScriptedServer, sleeps: list[float]
) -> None:
    server.script(Answer(429, {"error": {"code": "rate_limited"}}, {"Retry-After": "2"}), Answer(200, STORE_INFO))
    assert client.store_info().name == "Demo Store"
    assert sleeps == [2.0]


def test_a_validation_answer_shows_the_stores_own_words_for_input_problems(
    client: StoreClient, server: ScriptedServer
) -> None:
    server.script(Answer(400, {"error": {"code": "invalid_input", "message": "The password is too short."}}))
    with pytest.raises(errors.InvalidInput) as raised:
        client.create_account("fan@example.org", "pw")
    assert raised.value.user_message == "The password is too short."

    server.script(Answer(422, {"detail": [{"loc": ["body", "email"], "msg": "field required"}]}))
    with pytest.raises(errors.InvalidInput):
        client.create_account("fan@example.org", "pw")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"<html>proxy error</html>", "not JSON"),
        ({**STORE_INFO, "store_id": None}, "store.store_id is missing"),
        ({**STORE_INFO, "demo": "yes"}, "store.demo should be true or false"),
        ({**STORE_INFO, "test_cards": [{"number": 4242}]}, "store.test_cards[0].number should be a string"),
        ([1, 2], "store should be an object"),
    ],
)
def test_a_malformed_answer_is_a_typed_error_naming_the_field(
    client: StoreClient, server: ScriptedServer, body: object, field: str
) -> None:
    server.script(Answer(200, body))
    with pytest.raises(errors.MalformedResponse) as raised:
        client.store_info()
    assert field in str(raised.value.detail)
    assert "doesn't understand" in raised.value.user_message


def test_a_bundle_detail_is_parsed_into_frozen_values(client: StoreClient, server: ScriptedServer) -> None:
    server.script(Answer(200, BUNDLE_DETAIL))
    detail = client.bundle("series-1")
    assert detail.title == "The Long Signal" and detail.gate.type == "campaign"
    assert [f.locked for f in detail.files] == [False, True]
    assert detail.campaign is not None and detail.campaign.goal_backers == 250_000
    assert detail.campaign.deadline.tzinfo is not None
    assert detail.swarm.seeders == 3
    now = datetime.now(UTC)
    assert detail.releases[0].is_out(now) and not detail.releases[1].is_out(now)
    with pytest.raises(AttributeError):
        detail.title = "changed"  # type: ignore[misc]


def test_ids_from_the_store_cannot_steer_the_request_path(client: StoreClient, server: ScriptedServer) -> None:
    server.script(Answer(404, {"error": {"code": "not_found", "message": "no"}}))
    with pytest.raises(errors.NotFound):
        client.bundle("../accounts")
    assert server.seen[0].path == "/api/v1/bundles/..%2Faccounts"


def test_the_client_introduces_itself(client: StoreClient, server: ScriptedServer) -> None:
    server.script(Answer(200, STORE_INFO))
    client.store_info()
    assert server.seen[0].headers["User-Agent"].startswith("Bundlecast/")


def test_an_oversized_answer_is_refused(client: StoreClient, server: ScriptedServer) -> None:
    server.script(Answer(200, b"d" + b"x" * (9 * 1024 * 1024), {"Content-Type": "image/png"}))
    with pytest.raises(errors.MalformedResponse, match="larger than"):
        client.fetch_cover("/api/v1/bundles/b/cover")


def test_covers_resolve_relative_to_the_store_and_torrents_must_be_bencoded(
    client: StoreClient, server: ScriptedServer
) -> None:
    server.script(
        Answer(200, b"\x89PNG...", {"Content-Type": "image/png"}),
        Answer(200, b"<html>", {"Content-Type": "text/html"}),
    )
    assert client.fetch_cover("/media/covers/b.png") == b"\x89PNG..."
    with pytest.raises(errors.StoreError, match=r"broken \.torrent"):
        client.download_torrent("b")
    assert [seen.path for seen in server.seen] == ["/media/covers/b.png", "/api/v1/bundles/b/torrent"]


def test_plain_http_is_refused_except_on_this_machine() -> None:
    with pytest.raises(InvalidStoreUrl, match="unencrypted"):
        StoreClient("http://store.example.com")
    with pytest.raises(InvalidStoreUrl):
        StoreClient("ftp://store.example.com")
    assert StoreClient("https://store.example.com/").base_url == "https://store.example.com"
    assert StoreClient("http://127.0.0.1:8080").base_url == "http://127.0.0.1:8080"


def test_a_card_never_shows_its_number_in_a_repr() -> None:
    assert "4242 4242 4242 4242" not in repr(CARD) and "4242424242424242" not in repr(CARD)
    assert repr(CARD).endswith("exp=12/2030)")


def test_a_purchase_still_in_progress_on_the_store_is_asked_again_with_the_same_key(
    client: StoreClient, server: ScriptedServer
) -> None:
    busy = {"error": {"code": "request_in_progress", "message": "The same request is still being processed."}}
    server.script(Answer(409, busy), Answer(201, PURCHASE))
    assert client.purchase("tok", "b-1", CARD).purchase_id == "p-1"
    assert len({seen.headers["Idempotency-Key"] for seen in server.seen}) == 1 and len(server.seen) == 2


def test_a_conflict_the_store_explains_is_shown_in_its_words(client: StoreClient, server: ScriptedServer) -> None:
    server.script(Answer(409, {"error": {"code": "wrong_gate", "message": "This bundle is not for sale; claim it."}}))
    with pytest.raises(errors.InvalidInput) as raised:
        client.purchase("tok", "b-1", CARD)
    assert raised.value.user_message == "This bundle is not for sale; claim it."


def test_a_store_on_this_machine_is_never_reached_through_the_users_proxy(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead_proxy = f"http://127.0.0.1:{free_port()}"
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, dead_proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    server.script(Answer(200, STORE_INFO))
    with StoreClient(server.url, retry=RetryPolicy(attempts=1)) as client:
        assert client.store_info().store_id == "store-1"


def test_my_pledges_are_read_with_the_session_and_a_broken_entry_is_named(
    client: StoreClient, server: ScriptedServer
) -> None:
    pledge = {"campaign_id": "c1", "bundle_id": "series-1", "tier_id": "base", "amount_cents": 995,
              "currency": "USD", "state": "authorized"}
    server.script(Answer(200, {"pledges": [pledge]}))
    (mine,) = client.my_pledges("tok")
    assert (mine.bundle_id, mine.tier_id, mine.amount_cents, mine.state) == ("series-1", "base", 995, "authorized")
    assert server.seen[0].path == "/api/v1/me/pledges"
    assert server.seen[0].headers["Authorization"] == "Bearer tok"
    server.script(Answer(200, {"pledges": [pledge, {**pledge, "bundle_id": None}]}))
    with pytest.raises(errors.MalformedResponse) as raised:
        client.my_pledges("tok")
    assert "pledges.pledges[1].bundle_id" in str(raised.value.detail)
    server.script(Answer(401, {"error": {"code": "auth_required", "message": "Sign in first."}}))
    with pytest.raises(errors.SessionExpired):
        client.my_pledges("tok")
