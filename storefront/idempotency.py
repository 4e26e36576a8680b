"""Idempotency-Key handling: a retried or duplicated POST returns the first request's answer, and runs once.

The first request with a key inserts ``(account, key)`` — a unique pair — and runs; concurrent duplicates fail
that insert and wait (polling the row) until the first one stores its answer, then return it. The answer is
written in the same transaction as the work it describes (``finish``), so it can never claim something that was
not committed. Reusing a key for a different request is refused. Runs on the API's worker threads.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storefront.db import Database
from storefront.errors import ConflictError, InvalidInputError
from storefront.models import IdempotencyRecord

_POLL_S = 0.05


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    status: int
    body: dict[str, Any]


def request_fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def validate_key(key: str | None) -> str:
    if key is None or not key.strip():
        raise InvalidInputError(
            "This request needs an Idempotency-Key header (a unique value per purchase attempt), "
            "so that retrying it can never charge twice.",
            code="idempotency_key_missing",
            status=400,
        )
    if len(key) > 200 or not key.isprintable():
        raise InvalidInputError("The Idempotency-Key must be at most 200 printable characters.", status=400)
    return key.strip()


class Idempotency:
    def __init__(self, database: Database, *, wait_s: float) -> None:
        self._db = database
        self._wait_s = wait_s

    def claim(self, account_id: str, key: str, fingerprint: str) -> int | StoredAnswer:
        """The new record's id (go ahead), or the stored answer of the request that already ran."""
        deadline = time.monotonic() + self._wait_s
        while True:
            try:
                with self._db.write() as session:
                    record = IdempotencyRecord(account_id=account_id, key=key, request_hash=fingerprint)
                    session.add(record)
                    session.flush()
                    return record.id
            except IntegrityError:
                pass
            with self._db.session() as session:
                found = session.scalar(
                    select(IdempotencyRecord).where(
                        IdempotencyRecord.account_id == account_id, IdempotencyRecord.key == key
                    )
                )
            if found is not None:
                if found.request_hash != fingerprint:
                    raise InvalidInputError(
                        "This Idempotency-Key was already used for a different request; use a new key.",
                        code="idempotency_key_reused",
                    )
                if found.status_code is not None and found.response_body is not None:
                    return StoredAnswer(found.status_code, json.loads(found.response_body))
            if time.monotonic() > deadline:
                raise ConflictError(
                    "The same request is still being processed; retry in a moment.", code="request_in_progress"
                )
            time.sleep(_POLL_S)

    @staticmethod
    def attach_charge(session: Session, record_id: int, charge_id: str) -> None:
        record = session.get(IdempotencyRecord, record_id)
        if record is not None:
            record.charge_id = charge_id

    @staticmethod
    def finish(session: Session, record_id: int, status: int, body: dict[str, Any]) -> None:
        """Store the answer, in the caller's transaction (the one that commits the work)."""
        record = session.get(IdempotencyRecord, record_id)
        if record is not None:
            record.status_code = status
            record.response_body = json.dumps(body)

    def finish_now(self, record_id: int, status: int, body: dict[str, Any]) -> None:
        with self._db.write() as session:
            self.finish(session, record_id, status, body)

    def abandon(self, record_id: int) -> None:
        """Forget a claim whose request failed unexpectedly, so a retry runs again."""
        with self._db.write() as session:
            session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))
