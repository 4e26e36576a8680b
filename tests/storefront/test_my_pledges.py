"""``GET /me/pledges`` over real HTTP: the signed-in account's standing pledges (whichever way they were made —
the one-price pledge call or a tier pledge), its own only, a cancelled one gone, a funded one ``captured``."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import httpx
import pytest

from tests.storefront.store_support import GOOD_CARD, REPO, SeededStore, auth, sign_up_and_in

pytestmark = pytest.mark.timeout(180)


def _mine(api: httpx.Client, token: str) -> list[tuple[str, str, int, str]]:
    answer = api.get("/me/pledges", headers=auth(token))
    assert answer.status_code == 200, answer.text
    return [(p["bundle_id"], p["tier_id"], p["amount_cents"], p["state"]) for p in answer.json()["pledges"]]


def test_the_account_lists_its_standing_pledges_only(api: httpx.Client, seeded: SeededStore) -> None:
    ana, ben = sign_up_and_in(api), sign_up_and_in(api)
    assert _mine(api, ana) == []
    made = api.post(f"/campaigns/{seeded.campaign_fail}/pledges", json={"card": GOOD_CARD},
                    headers=auth(ana, uuid.uuid4().hex))
    assert made.status_code == 201, made.text
    tier = api.put(f"/campaigns/{seeded.campaign_ok}/pledge", json={"card": GOOD_CARD}, headers=auth(ana))
    assert tier.status_code == 200, tier.text
    assert _mine(api, ana) == [
        (seeded.campaign_fail, "base", 995, "authorized"),
        (seeded.campaign_ok, "base", 995, "authorized"),
    ]
    assert _mine(api, ben) == []  # another account sees none of them
    assert api.get("/me/pledges").status_code == 401

    assert api.delete(f"/campaigns/{seeded.campaign_fail}/pledge", headers=auth(ana)).status_code == 200
    assert _mine(api, ana) == [(seeded.campaign_ok, "base", 995, "authorized")]

    assert api.put(f"/campaigns/{seeded.campaign_ok}/pledge", json={"card": GOOD_CARD},
                   headers=auth(ben)).status_code == 200  # the second backer: the goal (2) is met
    closed = subprocess.run(
        [sys.executable, "-m", "storefront", "campaign", "close", seeded.campaign_ok,
         "--data-dir", str(seeded.data_dir)],
        cwd=REPO, env=dict(os.environ), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert closed.returncode == 0 and "succeeded" in closed.stdout, closed.stdout + closed.stderr
    assert _mine(api, ana) == [(seeded.campaign_ok, "base", 995, "captured")]
    assert _mine(api, ben) == [(seeded.campaign_ok, "base", 995, "captured")]
