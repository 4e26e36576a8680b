"""Canonical JSON and unpadded base64url: the byte forms that signatures cover.

Canonical JSON here: UTF-8, keys sorted, no insignificant white space, no NaN. Two encoders that agree on these
rules produce the same bytes, so a signature over them is stable across machines and Python versions.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from app.bundle.errors import MalformedError


def canonical_json(value: Any) -> bytes:
    """The canonical UTF-8 bytes of a JSON value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def parse_canonical_json(data: bytes) -> Any:
    """Parse bytes that must already be canonical JSON; anything else is malformed (no two spellings of one value)."""
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedError(f"not valid JSON: {exc}") from exc
    if canonical_json(value) != data:
        raise MalformedError("JSON is not in canonical form")
    return value


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url text."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url, refusing every non-canonical spelling.

    Base64 has slack: the last character can carry unused bits, so two texts may decode to the same bytes. We
    re-encode and compare, so that changing any character of a token always changes what is verified.
    """
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise MalformedError(f"not base64url: {exc}") from exc
    if b64url_encode(data) != text:
        raise MalformedError("base64url text is not canonical")
    return data
