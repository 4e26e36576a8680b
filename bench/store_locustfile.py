"""Locust users for ``bench/store_load.py``: fans browsing the catalog and bundle pages and buying.

Each user takes one of the fans' session tokens the bench made, then: catalog pages and searches (API),
bundle details (API) and bundle web pages, and
purchases of random paid bundles, each sent twice with one Idempotency-Key (a client's retry) — the bench then
checks the database holds exactly one charge per key. 201 and 409 (already owned) both count as answered.
The users are ``FastHttpUser`` (geventhttpclient): the same requests as ``HttpUser`` (requests) for a fraction of
the client's CPU — on a two-core machine that locust shares with the store and PostgreSQL, the load generator's own
cost would otherwise be measured as the store's.
"""

from __future__ import annotations

import os
import random
import uuid
from pathlib import Path

from locust import FastHttpUser, between, task

BUNDLES = int(os.environ.get("STORE_LOAD_BUNDLES", "10000"))
CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"}
TOKENS = Path(os.environ["STORE_LOAD_TOKENS"]).read_text().split()
WORDS = ("amber", "harbor", "signal", "orbit", "meadow", "cipher", "lantern", "ember", "tide", "static")


class Fan(FastHttpUser):
    wait_time = between(0.0, 0.05)

    def on_start(self) -> None:
        # Accounts are made before the timed window (argon2 sign-ups would dominate it): one session token each.
        self.token = random.choice(TOKENS)

    def _bundle(self) -> str:
        return f"b{random.randrange(BUNDLES):05d}"

    @task(4)
    def catalog(self) -> None:
        self.client.get(f"/api/v1/catalog?page={random.randint(1, 50)}", name="catalog")

    @task(2)
    def search(self) -> None:
        self.client.get(f"/api/v1/catalog?q={random.choice(WORDS)}", name="search")

    @task(4)
    def bundle(self) -> None:
        self.client.get(f"/api/v1/bundles/{self._bundle()}", name="bundle (API)")

    @task(2)
    def bundle_page(self) -> None:
        self.client.get(f"/bundles/{self._bundle()}", name="bundle (web page)")

    @task(1)
    def purchase(self) -> None:
        key = uuid.uuid4().hex
        body = {"bundle_id": self._bundle(), "card": CARD}
        headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": key}
        for _ in range(2):  # the same request again, as a client retrying after a timeout would
            with self.client.post(
                "/api/v1/purchases", json=body, headers=headers, name="purchase", catch_response=True
            ) as r:
                if r.status_code in (201, 409):
                    r.success()
