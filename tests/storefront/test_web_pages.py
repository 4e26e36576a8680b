"""The store's web pages over real HTTP (no JavaScript anywhere): catalog search, a page per bundle and campaign
with Open Graph tags, the links for other clients, and the gate's forms — sign up, e-mail gate with its
confirmation, buying with a test card, pledging — with the session cookie's attributes and CSRF refusal."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import httpx
import pytest

from storefront.web.links import open_in_app_url
from tests.storefront.store_support import SeededStore, StoreProcess

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def store(seeded: SeededStore) -> Iterator[StoreProcess]:
    server = StoreProcess(seeded.data_dir, env={"BUNDLECAST_STORE_DEMO": "1"}).start()  # e-mail codes shown
    yield server
    server.stop()


@pytest.fixture
def browser(store: StoreProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=store.url, timeout=30, follow_redirects=True) as client:
        yield client


def _csrf(page: httpx.Response) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, page.text[:2000]
    return match[1]


def _attempt(page: httpx.Response) -> str:
    match = re.search(r'name="attempt" value="([^"]+)"', page.text)
    assert match
    return match[1]


def _sign_up(browser: httpx.Client, bundle_id: str, email: str) -> httpx.Response:
    page = browser.get(f"/bundles/{bundle_id}")
    form = {"csrf": _csrf(page), "email": email, "password": "password-123", "mode": "signup"}
    return browser.post(f"/bundles/{bundle_id}/account", data=form)


def test_catalog_search_and_bundle_pages_with_open_graph(browser: httpx.Client, seeded: SeededStore) -> None:
    everything = browser.get("/catalog")
    assert everything.status_code == 200 and "text/html" in everything.headers["content-type"]
    assert all(f'href="/bundles/{b}"' in everything.text for b in seeded.bundles)
    found = browser.get("/catalog", params={"q": "pwyw"})
    assert f'href="/bundles/{seeded.pwyw}"' in found.text and f'href="/bundles/{seeded.paid}"' not in found.text
    page = browser.get(f"/bundles/{seeded.free}")
    assert '<meta property="og:title" content="Free Bundle">' in page.text
    assert re.search(rf'og:image" content="http://127\.0\.0\.1:\d+/api/v1/bundles/{seeded.free}/cover"', page.text)
    magnet = unescape(re.search(r'href="(magnet:[^"]+)"', page.text)[1])  # type: ignore[index]
    assert (
        "tr=http%3A%2F%2F127.0.0.1" in magnet
        and f"ws=http%3A%2F%2F127.0.0.1%3A{browser.base_url.port}%2Fseed%2F{seeded.free}" in magnet
    )
    direct = unescape(re.search(r'href="(http://[^"]+/seed/[^"]+readme\.txt)"', page.text)[1])  # type: ignore[index]
    assert browser.get(direct).text == "free readme\n"  # a free bundle's files, straight from the web seed
    assert "Transmission before 4.0 (Debian 12 has 3.00): does not work" in page.text
    campaign = browser.get(f"/campaigns/{seeded.campaign_fail}")
    assert campaign.status_code == 200 and "<progress" in campaign.text and "of 1000 needed" in campaign.text
    assert browser.get("/bundles/nothing-here").status_code == 404


def test_the_gates_work_in_a_browser_session(browser: httpx.Client, seeded: SeededStore) -> None:
    signed = _sign_up(browser, seeded.email, "web-fan@example.com")
    assert signed.status_code == 200 and 'id="email-form"' in signed.text
    cookie = next(c for c in signed.history[0].headers.get_list("set-cookie") if c.startswith("bc_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    sent = browser.post(
        f"/bundles/{seeded.email}/email",
        data={"csrf": _csrf(signed), "email": "web-fan@example.com", "consent": "yes"},
    )
    code = re.search(r'id="dev-code">(\d+)<', sent.text)
    assert code, sent.text[-2000:]
    wrong = browser.post(
        f"/bundles/{seeded.email}/confirm", data={"csrf": _csrf(sent), "email": "web-fan@example.com", "code": "x"}
    )
    assert wrong.status_code == 422 and "That code is not right" in wrong.text and 'id="confirm-form"' in wrong.text
    owned = browser.post(
        f"/bundles/{seeded.email}/confirm",
        data={"csrf": _csrf(sent), "email": "web-fan@example.com", "code": code[1]},
    )
    assert 'id="owned-notice"' in owned.text
    assert (
        f'href="{open_in_app_url(str(browser.base_url).rstrip("/"), seeded.email)}"'.replace("&", "&amp;") in owned.text
    )

    paid = browser.get(f"/bundles/{seeded.paid}")
    card = {"csrf": _csrf(paid), "attempt": _attempt(paid), "expiry": "12/40", "cvc": "123"}
    declined = browser.post(f"/bundles/{seeded.paid}/buy", data={**card, "number": "4000 0000 0000 0002"})
    assert declined.status_code == 402 and "Your card was declined" in declined.text
    retry = browser.get(f"/bundles/{seeded.paid}")
    bought = browser.post(
        f"/bundles/{seeded.paid}/buy",
        data={**card, "csrf": _csrf(retry), "attempt": _attempt(retry), "number": "4242 4242 4242 4242"},
    )
    assert 'id="owned-notice"' in bought.text and 'id="open-in-app"' in bought.text

    campaign = browser.get(f"/bundles/{seeded.campaign_fail}")
    before = re.search(r"(\d+) backers? of 1000", campaign.text)[1]  # type: ignore[index]
    pledged = browser.post(
        f"/bundles/{seeded.campaign_fail}/pledge",
        data={**card, "csrf": _csrf(campaign), "attempt": _attempt(campaign), "number": "4242424242424242"},
    )
    assert 'id="pledged-notice"' in pledged.text
    assert re.search(rf"{int(before) + 1} backers? of 1000", pledged.text)


def test_a_form_from_another_site_is_refused(browser: httpx.Client, seeded: SeededStore, store: StoreProcess) -> None:
    _sign_up(browser, seeded.free, "csrf-fan@example.com")
    forged = browser.post(f"/bundles/{seeded.free}/claim", data={"csrf": "made-up-by-another-site"})
    assert forged.status_code == 403 and "came from another site" in forged.text
    with httpx.Client(base_url=store.url, timeout=30) as stranger:  # no cookie at all
        assert stranger.post(f"/bundles/{seeded.free}/claim", data={"csrf": "x"}).status_code == 403
    page = browser.get(f"/bundles/{seeded.free}")
    assert 'id="claim"' in page.text  # nothing was claimed by the forgeries
    claimed = browser.post(f"/bundles/{seeded.free}/claim", data={"csrf": _csrf(page)})
    assert 'id="owned-notice"' in claimed.text
