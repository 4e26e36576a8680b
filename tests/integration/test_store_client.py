"""The store client, the vault and the account flows against the real storefront over HTTP and the real keyring.

One real store (`python -m storefront serve`, started by our EmbeddedStore) per module, seeded with one bundle
per gate; a real SMTP server catches the e-mail gate's codes; the vault is the Secret Service of
scripts/run-tests.sh, under a keyring service name of each test's own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import keyring
import pytest

from app.bundle import SignedManifest, StoreKey, verify_manifest
from app.store import errors
from app.store.account import StoreAccount
from app.store.client import StoreClient
from app.store.models import Card, GateType
from app.store.transport import RetryPolicy
from app.store.vault import AccountToken, LicenseVault, StorePin
from tests.store.keyring_support import keyring_service
from tests.store.live_store import LiveStore, running_store
from tests.store.lossy_proxy import lossy_proxy
from tests.storefront.store_support import CREATOR_EMAIL, CREATOR_PASSWORD

__all__ = ["keyring_service"]  # a fixture, imported for pytest

GOOD = Card("4242 4242 4242 4242", 12, 2040, "123")
DECLINED = Card("4000000000000002", 12, 2040, "123")
NO_FUNDS = Card("4000000000009995", 12, 2040, "123")
PASSWORD = "a-long-password-1"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStore]:
    with running_store(tmp_path_factory.mktemp("live-store")) as live:
        yield live


@pytest.fixture
def client(live: LiveStore) -> Iterator[StoreClient]:
    with StoreClient(live.url) as client:
        yield client


@pytest.fixture
def account(client: StoreClient, keyring_service: str) -> StoreAccount:
    account = StoreAccount(client, LicenseVault(service=keyring_service), store_ref="live-store")
    account.connect()
    return account


def new_email() -> str:
    return f"fan-{uuid.uuid4().hex[:10]}@example.org"


def test_the_catalog_and_every_bundle_parse_and_their_manifests_verify_against_the_pinned_key(
    account: StoreAccount, client: StoreClient, live: LiveStore
) -> None:
    page = client.catalog(per_page=50)
    gates = {item.id: item.gate.type for item in page.items}
    assert gates[live.seeded.paid] is GateType.PAID and gates[live.seeded.free] is GateType.FREE
    assert page.total >= 7

    for bundle_id in gates:
        detail = client.bundle(bundle_id)
        signed = SignedManifest(detail.manifest.payload, detail.manifest.signature)
        manifest = verify_manifest(signed, account.store_key)
        assert manifest.bundle_id == bundle_id
        assert [f.path for f in manifest.files] == [f.path for f in detail.files]

    campaign = client.bundle(live.seeded.campaign_ok).campaign
    assert campaign is not None and campaign.state == "open" and campaign.goal_backers == 2
    assert client.campaign(campaign.id).bundle_id == live.seeded.campaign_ok


def test_a_torrent_and_a_cover_download(client: StoreClient, live: LiveStore) -> None:
    detail = client.bundle(live.seeded.paid)
    torrent = client.download_torrent(detail.id)
    assert torrent.startswith(b"d") and b"4:info" in torrent
    assert live.url.encode() + b"/announce" in torrent  # the tracker of the store as it runs now
    assert client.fetch_cover(detail.cover_url).startswith(b"\x89PNG")


def test_sign_up_then_buy_with_the_test_card_keeps_a_verified_license_that_opens_the_locked_files(
    account: StoreAccount, client: StoreClient, live: LiveStore, keyring_service: str
) -> None:
    account.sign_up(new_email(), PASSWORD)
    bought = account.buy(live.seeded.paid, GOOD)

    assert bought.purchase is not None and bought.purchase.amount_cents == 499
    detail = client.bundle(live.seeded.paid)
    locked = [f.path for f in detail.files if f.locked]
    assert locked and all(bought.license.file_key(path) is not None for path in locked)
    # What a restarted app would find in the keyring:
    kept = LicenseVault(service=keyring_service).licenses_for_bundle("live-store", live.seeded.paid)
    assert [lic.license_id for lic in kept] == [bought.license.license_id]


def test_a_declined_card_and_missing_funds_are_told_as_sentences_and_keep_nothing(
    account: StoreAccount, live: LiveStore
) -> None:
    account.sign_up(new_email(), PASSWORD)

    with pytest.raises(errors.CardDeclined) as declined:
        account.buy(live.seeded.paid, DECLINED)
    with pytest.raises(errors.InsufficientFunds) as no_funds:
        account.buy(live.seeded.paid, NO_FUNDS)

    assert declined.value.user_message == "Your card was declined. You weren't charged."
    assert "insufficient funds" in no_funds.value.user_message
    assert account.licenses() == []
    assert account.restore_purchases().restored == 0  # the store holds no license either: nothing was sold


def test_buying_what_you_own_restores_the_license_instead_of_charging_again(
    account: StoreAccount, live: LiveStore
) -> None:
    account.sign_up(new_email(), PASSWORD)
    first = account.buy(live.seeded.pwyw, GOOD, amount_cents=350)
    account.vault.remove_licenses(account.store_ref, [first.license.license_id])  # e.g. removed by hand

    again = account.buy(live.seeded.pwyw, GOOD, amount_cents=350)

    assert again.purchase is None and again.license.license_id == first.license.license_id


def test_pay_what_you_want_below_the_minimum_is_refused_in_the_stores_words(
    account: StoreAccount, live: LiveStore
) -> None:
    account.sign_up(new_email(), PASSWORD)
    with pytest.raises(errors.InvalidInput) as raised:
        account.buy(live.seeded.pwyw, GOOD, amount_cents=100)
    assert "at least" in raised.value.user_message


def test_a_free_bundle_is_claimed_and_an_email_gated_one_opens_with_the_mailed_code(
    account: StoreAccount, live: LiveStore
) -> None:
    email = new_email()
    account.sign_up(email, PASSWORD)

    free = account.claim(live.seeded.free)
    sent = account.request_email_code(live.seeded.email, email)
    with pytest.raises(errors.WrongCode):
        account.confirm_email(live.seeded.email, email, "000000" if live.mail.code_for(email) != "000000" else "1")
    gated = account.confirm_email(live.seeded.email, email, live.mail.code_for(email))

    assert sent.status == "code_sent"
    assert {lic.bundle_id for lic in account.licenses()} == {free.bundle_id, gated.bundle_id}
    assert gated.bundle_id == live.seeded.email


def test_a_pledge_is_authorized_once_and_counted(account: StoreAccount, client: StoreClient, live: LiveStore) -> None:
    account.sign_up(new_email(), PASSWORD)
    campaign = client.bundle(live.seeded.campaign_fail).campaign
    assert campaign is not None

    pledged = account.pledge(campaign.id, GOOD)
    with pytest.raises(errors.AlreadyBacked):
        account.pledge(campaign.id, GOOD)

    assert pledged.status == "authorized"
    assert client.campaign(campaign.id).backers == campaign.backers + 1


def test_a_new_machine_restores_every_purchase_on_sign_in(
    account: StoreAccount, client: StoreClient, live: LiveStore
) -> None:
    email = new_email()
    account.sign_up(email, PASSWORD)
    bought = {account.buy(live.seeded.paid, GOOD).license.license_id, account.claim(live.seeded.free).license_id}

    new_machine_service = f"Bundlecast-test-{uuid.uuid4().hex[:12]}"
    try:
        fresh = StoreAccount(client, LicenseVault(service=new_machine_service), store_ref="live-store")
        assert fresh.licenses() == []
        restored = fresh.sign_in(email, PASSWORD)
        assert {lic.license_id for lic in restored.licenses} == bought and restored.rejected == 0
    finally:
        LicenseVault(service=new_machine_service).forget_store("live-store")


def test_signing_out_ends_the_session_and_removes_the_token_but_keeps_the_licenses(
    account: StoreAccount, client: StoreClient, live: LiveStore
) -> None:
    account.sign_up(new_email(), PASSWORD)
    license_id = account.claim(live.seeded.free).license_id
    token = account.current_account()
    assert token is not None

    account.sign_out()

    assert account.current_account() is None
    assert [lic.license_id for lic in account.licenses()] == [license_id]
    with pytest.raises(errors.SessionExpired):
        client.licenses(token.token)  # the store ended the session too
    with pytest.raises(errors.AuthRequired):
        account.buy(live.seeded.paid, GOOD)

    account.sign_out(forget_licenses=True)
    assert account.licenses() == []


def test_an_expired_session_signs_the_fan_out(account: StoreAccount, live: LiveStore) -> None:
    account.vault.save_account(account.store_ref, AccountToken("not-a-valid-token", "acc", "e@example.org", None))
    with pytest.raises(errors.SessionExpired) as raised:
        account.claim(live.seeded.free)
    assert "sign in again" in raised.value.user_message
    assert account.current_account() is None


def test_a_store_whose_key_changed_is_refused(client: StoreClient, keyring_service: str) -> None:
    vault = LicenseVault(service=keyring_service)
    info = client.store_info()
    vault.pin_store_key("live-store", info.store_id, StoreKey.generate().public_key_b64)  # what we met before

    account = StoreAccount(client, vault, store_ref="live-store")
    with pytest.raises(errors.StoreKeyChanged) as raised:
        account.connect()
    assert "signing key has changed" in raised.value.user_message
    with pytest.raises(errors.StoreError):
        account.store_key  # noqa: B018 - nothing from that store is trusted

    account.forget_store()  # the fan's explicit choice, from Settings
    account.connect()
    assert vault.pin("live-store") == StorePin(info.store_id, info.public_key)


def test_a_tampered_license_in_the_keyring_is_not_trusted(
    account: StoreAccount, live: LiveStore, keyring_service: str
) -> None:
    account.sign_up(new_email(), PASSWORD)
    paid = account.buy(live.seeded.paid, GOOD).license
    free = account.claim(live.seeded.free)
    entry = f"live-store license {paid.license_id}"
    token = keyring.get_keyring().get_password(keyring_service, entry)
    assert token is not None
    keyring.get_keyring().set_password(keyring_service, entry, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))

    next_start = StoreAccount(account.client, LicenseVault(service=keyring_service), store_ref="live-store")
    assert [lic.license_id for lic in next_start.licenses()] == [free.license_id]


def test_the_same_idempotency_key_never_charges_twice(client: StoreClient, live: LiveStore) -> None:
    email = new_email()
    client.create_account(email, PASSWORD)
    token = client.sign_in(email, PASSWORD).token
    key = uuid.uuid4().hex

    first = client.purchase(token, live.seeded.paid, GOOD, idempotency_key=key)
    second = client.purchase(token, live.seeded.paid, GOOD, idempotency_key=key)

    assert first == second
    assert len(client.licenses(token)) == 1


def test_a_purchase_whose_answer_was_lost_is_retried_and_charged_once(live: LiveStore) -> None:
    with lossy_proxy(live.url) as proxy, StoreClient(proxy.url) as client:
        email = new_email()
        client.create_account(email, PASSWORD)
        token = client.sign_in(email, PASSWORD).token
        proxy.lose_next("/api/v1/purchases")  # the store charges; the app never hears back

        result = client.purchase(token, live.seeded.paid, GOOD)

        purchases = [f for f in proxy.forwarded if f.path == "/api/v1/purchases"]
        assert [f.lost for f in purchases] == [True, False]
        assert purchases[0].status == 201 and purchases[0].body == purchases[1].body  # the stored answer
        assert purchases[0].idempotency_key == purchases[1].idempotency_key
        assert result.purchase_id in purchases[0].body.decode()
        assert len(client.licenses(token)) == 1


def test_a_fan_pressing_buy_again_after_a_doubtful_attempt_reuses_its_key(
    live: LiveStore, keyring_service: str
) -> None:
    with lossy_proxy(live.url) as proxy, StoreClient(proxy.url, retry=RetryPolicy(attempts=1)) as client:
        account = StoreAccount(client, LicenseVault(service=keyring_service), store_ref="live-store")
        account.connect()
        account.sign_up(new_email(), PASSWORD)
        proxy.lose_next("/api/v1/purchases")

        with pytest.raises(errors.PaymentInDoubt) as doubt:
            account.buy(live.seeded.paid, GOOD)  # charged, but the app cannot know
        again = account.buy(live.seeded.paid, GOOD)

        assert "won't be charged twice" in doubt.value.user_message
        purchases = [f for f in proxy.forwarded if f.path == "/api/v1/purchases"]
        assert len({f.idempotency_key for f in purchases}) == 1
        assert again.purchase is not None and again.purchase.purchase_id in purchases[0].body.decode()


def test_wrong_passwords_are_told_apart_from_expired_sessions_and_then_rate_limited(
    account: StoreAccount, client: StoreClient
) -> None:
    email = new_email()
    client.create_account(email, PASSWORD)
    for _ in range(5):
        with pytest.raises(errors.WrongCredentials) as wrong:
            account.sign_in(email, "not-the-password")
    with pytest.raises(errors.RateLimited) as limited:
        account.sign_in(email, PASSWORD)

    assert wrong.value.user_message == "That e-mail address and password don't match an account."
    assert "wait a minute" in limited.value.user_message and limited.value.retry_after
    assert account.current_account() is None


def test_a_session_past_its_expiry_is_signed_out_without_asking_the_store(account: StoreAccount) -> None:
    past = datetime.now(UTC) - timedelta(minutes=1)
    account.vault.save_account(account.store_ref, AccountToken("tok", "acc", "e@example.org", past))
    assert account.current_account() is None
    with pytest.raises(errors.AuthRequired):
        account.claim("anything")
    assert account.vault.account(account.store_ref) is None


def test_signing_up_twice_with_one_address_says_to_sign_in(account: StoreAccount, client: StoreClient) -> None:
    email = new_email()
    client.create_account(email, PASSWORD)
    with pytest.raises(errors.AccountExists) as raised:
        account.sign_up(email, PASSWORD)
    assert "Try signing in" in raised.value.user_message


def test_one_client_serves_many_worker_threads_at_once(live: LiveStore) -> None:
    client = StoreClient(live.url)
    ids = [live.seeded.paid, live.seeded.free, live.seeded.pwyw, live.seeded.email] * 4
    with ThreadPoolExecutor(max_workers=8) as workers:
        details = list(workers.map(client.bundle, ids))
        covers = list(workers.map(lambda d: client.fetch_cover(d.cover_url), details))
    client.close()

    assert [d.id for d in details] == ids
    assert all(cover.startswith(b"\x89PNG") for cover in covers)
    assert client._http._sessions == []  # every thread's session closed


def test_the_creator_sees_sales_and_consenting_subscribers_and_fans_do_not(
    account: StoreAccount, client: StoreClient, live: LiveStore
) -> None:
    fan_email = new_email()
    account.sign_up(fan_email, PASSWORD)
    account.buy(live.seeded.paid, GOOD)
    account.request_email_code(live.seeded.email, fan_email)
    account.confirm_email(live.seeded.email, fan_email, live.mail.code_for(fan_email))
    creator = client.sign_in(CREATOR_EMAIL, CREATOR_PASSWORD).token

    report = {line.bundle_id: line for line in client.creator_report(creator)}
    subscribers = client.subscribers(creator, live.seeded.email)

    paid = report[live.seeded.paid]
    assert paid.gross_cents >= 499
    assert paid.net_cents == paid.gross_cents - paid.payment_fees_cents - paid.store_fee_cents
    assert fan_email in {s.email for s in subscribers}
    assert all(s.confirmed_at is not None for s in subscribers if s.email == fan_email)
    fan = account.current_account()
    assert fan is not None
    with pytest.raises(errors.Forbidden):
        client.subscribers(fan.token, live.seeded.email)
