"""A real storefront for the store client's integration tests, started the way the app starts one.

`running_store()` seeds a store data dir with real published bundles (one per gate, campaigns — the store
engineers' `seed_store`), starts a real SMTP server on loopback (aiosmtpd) for the e-mail gate's codes, and runs
`python -m storefront serve` through our own `EmbeddedStore` (so the launcher is exercised too). Stopped at the end.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from app.store.embedded import EmbeddedStore
from tests.storefront.store_support import SeededStore, seed_store
from tests.support.net import free_port


class MailCatcher:
    """An SMTP server on 127.0.0.1 that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []  # (to, body)
        self._lock = threading.Lock()
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content)
        body = message.get_payload(decode=True) or b""
        with self._lock:
            self.messages.append((str(message["To"]), body.decode("utf-8", "replace")))
        return "250 OK"

    def code_for(self, address: str) -> str:
        with self._lock:
            bodies = [body for to, body in self.messages if to == address]
        match = re.search(r"\b(\d{6})\b", bodies[-1]) if bodies else None
        assert match, f"no code was mailed to {address}"
        return match.group(1)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


@dataclass
class LiveStore:
    url: str
    seeded: SeededStore
    mail: MailCatcher
    embedded: EmbeddedStore


@contextmanager
def running_store(root: Path) -> Iterator[LiveStore]:
    seeded = seed_store(root / "data")
    mail = MailCatcher()
    mail.start()
    env = {
        **os.environ,
        "BUNDLECAST_SMTP_HOST": "127.0.0.1",
        "BUNDLECAST_SMTP_PORT": str(mail.port),
        "BUNDLECAST_TESTCARD_LATENCY_MS": "0",
    }
    embedded = EmbeddedStore(seeded.data_dir, root / "cache", demo=False, env=env)
    try:
        url = embedded.start(timeout=120)
        yield LiveStore(url=url, seeded=seeded, mail=mail, embedded=embedded)
    finally:
        embedded.stop()
        mail.stop()
