"""``StoreBackend.backed_bundles``: the store's list of the account's pledges is kept as its last answer — offline
or rate-limited that answer stands (a campaign backed elsewhere does not vanish from the Library), signed out there
is none, and without ``sync`` the store is not asked. Logic only, over a stand-in account (the real store, keyring
and window are in tests/ui/test_backed_elsewhere.py)."""

from __future__ import annotations

from app.library.backend import StoreBackend
from app.store.errors import RateLimited, StoreError, StoreUnreachable
from app.store.models import AccountPledge


class StandInAccount:
    def __init__(self) -> None:
        self.signed_in = True
        self.answer: tuple[AccountPledge, ...] | StoreError = ()
        self.asked = 0

    def current_account(self) -> object | None:
        return object() if self.signed_in else None

    def pledges(self) -> tuple[AccountPledge, ...]:
        self.asked += 1
        if isinstance(self.answer, StoreError):
            raise self.answer
        return self.answer


def _pledge(bundle_id: str) -> AccountPledge:
    return AccountPledge(f"c-{bundle_id}", bundle_id, "base", 995, "USD", "authorized")


def test_the_last_answer_stands_offline_and_signing_out_clears_it() -> None:
    account = StandInAccount()
    backend = StoreBackend(lambda: account)  # type: ignore[arg-type, return-value]
    assert backend.backed_bundles() == frozenset()
    account.answer = (_pledge("lumen"), _pledge("moons"))
    assert backend.backed_bundles(sync=False) == frozenset() and account.asked == 1  # not asked without sync
    assert backend.backed_bundles() == {"lumen", "moons"}
    account.answer = StoreUnreachable()
    assert backend.backed_bundles() == {"lumen", "moons"}
    account.answer = RateLimited()
    assert backend.backed_bundles() == {"lumen", "moons"}
    account.answer = (_pledge("moons"),)  # cancelled on the web
    assert backend.backed_bundles() == {"moons"} and backend.backed_bundles(sync=False) == {"moons"}
    account.signed_in = False
    assert backend.backed_bundles() == frozenset() and account.asked == 5
