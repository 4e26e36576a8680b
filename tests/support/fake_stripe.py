"""A local stand-in for Stripe's API (127.0.0.1 only), answering the documented requests the store's Stripe
adapter makes, and signing webhook events the way Stripe does.

Endpoints (shapes from Stripe's API reference): ``POST /v1/customers``; ``POST /v1/payment_intents`` (test
PaymentMethods ``pm_card_visa`` succeeds, ``pm_card_chargeDeclined`` and
``pm_card_chargeDeclinedInsufficientFunds`` answer 402 ``card_error``); ``GET /v1/payment_intents/{id}``;
``GET /v1/payment_intents/search``; ``POST /v1/payment_intents/{id}/capture`` (``expand[]`` of
``latest_charge.balance_transaction`` gives the fee); ``POST /v1/payment_intents/{id}/cancel``; ``POST /v1/refunds``.
``Idempotency-Key`` replays the first answer, as Stripe does; a wrong secret key answers 401. ``expire(id)`` does
what Stripe does to an uncaptured PaymentIntent after 7 days. ``signed_event`` builds a webhook body and its
``Stripe-Signature`` header (``t=…,v1=HMAC-SHA256(secret, "t.body")``). Runs a server thread of its own.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

SECRET_KEY = "sk_test_local_" + "0" * 24
WEBHOOK_SECRET = "whsec_local_test_secret"
_DECLINES = {
    "pm_card_chargeDeclined": "generic_decline",
    "pm_card_chargeDeclinedInsufficientFunds": "insufficient_funds",
}


def _new(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


def _fee(amount: int) -> int:
    return round(amount * 0.029) + 30


def _nest(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding (``metadata[reference]=x``, ``expand[0]=y``) back into a dict."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


@dataclass
class FakeStripe:
    url: str = ""
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)  # method, path, idempotency key
    decline_off_session: bool = False  # the saved card asks for authentication when charged off-session
    _replies: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- what a test does to Stripe's side ---------------------------------------------------------------
    def expire(self, intent_id: str) -> None:
        with self._lock:
            self.intents[intent_id].update(status="canceled", cancellation_reason="automatic", amount_capturable=0)

    def calls(self, suffix: str) -> list[tuple[str, str, str | None]]:
        return [r for r in self.requests if r[1].endswith(suffix)]

    # --- the API ----------------------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict[str, Any], form: dict[str, Any]) -> tuple[int, Any]:
        if method == "POST" and path == "/v1/customers":
            return 200, {"id": _new("cus"), "object": "customer", "email": form.get("email")}
        if method == "POST" and path == "/v1/payment_intents":
            return self._create_intent(form)
        if method == "GET" and path == "/v1/payment_intents/search":
            match = re.fullmatch(r"metadata\['reference'\]:'([^']*)'", query.get("query", ""))
            found = [pi for pi in self.intents.values() if match and pi["metadata"].get("reference") == match[1]]
            return 200, {"object": "search_result", "data": found, "has_more": False, "url": path, "next_page": None}
        m = re.fullmatch(r"/v1/payment_intents/(pi_\w+)(/capture|/cancel)?", path)
        if m and m[1] in self.intents:
            pi = self.intents[m[1]]
            if m[2] == "/capture":
                if pi["status"] != "requires_capture":
                    return _unexpected_state(pi)
                pi.update(status="succeeded", amount_received=pi["amount"], amount_capturable=0)
                return 200, self._expanded(pi, form)
            if m[2] == "/cancel":
                if pi["status"] in ("succeeded", "canceled"):
                    return _unexpected_state(pi)
                pi.update(
                    status="canceled", cancellation_reason=form.get("cancellation_reason", "requested_by_customer")
                )
                return 200, pi
            return 200, self._expanded(pi, query)
        if method == "POST" and path == "/v1/refunds":
            pi = self.intents.get(form.get("payment_intent", ""))
            if pi is None or pi["status"] != "succeeded":
                return 400, {
                    "error": {
                        "type": "invalid_request_error",
                        "code": "charge_not_refundable",
                        "message": "This PaymentIntent has no successful charge to refund.",
                    }
                }
            refund = {
                "id": _new("re"),
                "object": "refund",
                "amount": pi["amount"],
                "currency": pi["currency"],
                "payment_intent": pi["id"],
                "charge": pi["latest_charge"],
                "status": "succeeded",
            }
            self.refunds.append(refund)
            return 200, refund
        return 404, {
            "error": {
                "type": "invalid_request_error",
                "code": "resource_missing",
                "message": f"Unrecognized request URL ({method}: {path}).",
            }
        }

    def _create_intent(self, form: dict[str, Any]) -> tuple[int, Any]:
        amount = int(form["amount"])
        pi = {
            "id": _new("pi"),
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_received": 0,
            "currency": form["currency"],
            "customer": form.get("customer"),
            "payment_method": form.get("payment_method"),
            "capture_method": form.get("capture_method", "automatic"),
            "setup_future_usage": form.get("setup_future_usage"),
            "metadata": form.get("metadata", {}),
            "status": "requires_payment_method",
            "cancellation_reason": None,
            "latest_charge": None,
            "created": int(time.time()),
            "livemode": False,
        }
        self.intents[pi["id"]] = pi
        decline = _DECLINES.get(pi["payment_method"] or "")
        if form.get("off_session") == "true" and self.decline_off_session:
            decline = "authentication_required"
        if decline:
            return 402, {
                "error": {
                    "type": "card_error",
                    "code": "card_declined",
                    "decline_code": decline,
                    "message": "Your card was declined.",
                    "payment_intent": pi,
                }
            }
        if form.get("confirm") == "true":
            pi["latest_charge"] = _new("ch")
            if pi["capture_method"] == "manual":
                pi.update(status="requires_capture", amount_capturable=amount)
            else:
                pi.update(status="succeeded", amount_received=amount)
        return 200, pi

    def _expanded(self, pi: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        if "latest_charge.balance_transaction" not in params.get("expand", {}).values() or not pi["latest_charge"]:
            return pi
        charge = {
            "id": pi["latest_charge"],
            "object": "charge",
            "amount": pi["amount"],
            "balance_transaction": {
                "id": _new("txn"),
                "object": "balance_transaction",
                "amount": pi["amount"],
                "fee": _fee(pi["amount"]),
            },
        }
        return {**pi, "latest_charge": charge}


def _unexpected_state(pi: dict[str, Any]) -> tuple[int, Any]:
    return 400, {
        "error": {
            "type": "invalid_request_error",
            "code": "payment_intent_unexpected_state",
            "message": f"This PaymentIntent's status is {pi['status']}.",
            "payment_intent": pi,
        }
    }


def signed_event(
    event_type: str, obj: dict[str, Any], *, secret: str = WEBHOOK_SECRET, event_id: str | None = None
) -> tuple[bytes, str]:
    """A webhook event body and its ``Stripe-Signature`` header, as Stripe signs them."""
    body = json.dumps(
        {
            "id": event_id or _new("evt"),
            "object": "event",
            "type": event_type,
            "api_version": None,
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": obj},
        }
    ).encode()
    stamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, f"t={stamp},v1={digest}"


@contextmanager
def fake_stripe(secret_key: str = SECRET_KEY) -> Iterator[FakeStripe]:
    fake = FakeStripe()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            pass

        def _answer(self, method: str) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            key = self.headers.get("Idempotency-Key")
            fake.requests.append((method, split.path, key))
            if self.headers.get("Authorization") != f"Bearer {secret_key}":
                status, body = 401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key."}}
                data = json.dumps(body).encode()
            elif key and key in fake._replies:
                status, data = fake._replies[key]
            else:
                with fake._lock:
                    status, body = fake.handle(method, split.path, _nest(parse_qsl(split.query)), _nest(parse_qsl(raw)))
                    data = json.dumps(body).encode()
                    if key and method == "POST":
                        fake._replies[key] = (status, data)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", _new("req"))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="fake-stripe", daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
