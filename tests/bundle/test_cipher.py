"""The content cipher against published vectors, and random access at any offset."""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import random

import pytest

from app.bundle import ContentCipher, MalformedError, derive_file_key
from app.bundle.cipher import FILE_KEY_SALT

# NIST SP 800-38A, F.5.5 CTR-AES256.Encrypt
NIST_KEY = bytes.fromhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4")
NIST_COUNTER = bytes.fromhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")
NIST_PLAIN = bytes.fromhex(
    "6bc1bee22e409f96e93d7e117393172a"
    "ae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52ef"
    "f69f2445df4f9b17ad2b417be66c3710"
)
NIST_CIPHER = bytes.fromhex(
    "601ec313775789a5b7a7f504bbf3d228"
    "f443e3ca4d62b59aca84e990cacaf5c5"
    "2b0930daa23de94ce87017ba2d84988d"
    "dfc9c58db67aada613c2dd08457941a6"
)


def test_matches_the_nist_ctr_aes256_vector() -> None:
    assert ContentCipher(NIST_KEY, NIST_COUNTER).encrypt_at(0, NIST_PLAIN) == NIST_CIPHER


@pytest.mark.parametrize("offset", [0, 1, 15, 16, 17, 31, 33, 50, 63])
def test_decrypts_any_slice_of_the_nist_vector_at_its_offset(offset: int) -> None:
    cipher = ContentCipher(NIST_KEY, NIST_COUNTER)
    for end in range(offset, len(NIST_CIPHER) + 1, 7):
        assert cipher.decrypt_at(offset, NIST_CIPHER[offset:end]) == NIST_PLAIN[offset:end]


def test_counter_wraps_at_128_bits_like_the_formula() -> None:
    nonce = b"\xff" * 16
    key = os.urandom(32)
    whole = ContentCipher(key, nonce).encrypt_at(0, bytes(64))
    # Block 1 of a counter that starts at 2**128 - 1 is block 0 of a counter that starts at 0.
    assert whole[16:32] == ContentCipher(key, bytes(16)).encrypt_at(0, bytes(16))


def test_random_access_equals_one_pass_over_a_large_buffer() -> None:
    key, nonce = os.urandom(32), os.urandom(16)
    plain = os.urandom(300_001)
    cipher = ContentCipher(key, nonce)
    encrypted = cipher.encrypt_at(0, plain)
    assert len(encrypted) == len(plain)
    assert encrypted != plain
    rng = random.Random(7)
    for _ in range(200):
        start = rng.randrange(len(plain))
        end = min(len(plain), start + rng.randrange(1, 70_000))
        assert cipher.decrypt_at(start, encrypted[start:end]) == plain[start:end]


def test_stream_transform_round_trips() -> None:
    key, nonce = os.urandom(32), os.urandom(16)
    plain = os.urandom(3 * 1024 * 1024 + 5)
    encrypted = io.BytesIO()
    assert ContentCipher(key, nonce).transform_stream(io.BytesIO(plain), encrypted) == len(plain)
    decrypted = io.BytesIO()
    ContentCipher(key, nonce).transform_stream(io.BytesIO(encrypted.getvalue()), decrypted)
    assert decrypted.getvalue() == plain


def _rfc5869_hkdf_sha256(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    okm, block = b"", b""
    for counter in range(1, -(-length // 32) + 1):
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm += block
    return okm[:length]


def test_file_keys_follow_rfc5869_hkdf_sha256_with_the_path_as_info() -> None:
    bundle_key = bytes(range(32))
    for path in ["pilot.mp4", "Season 1/Episode 08.mp4", "ünïcode/trå ck.flac"]:
        expected = _rfc5869_hkdf_sha256(bundle_key, FILE_KEY_SALT, path.encode("utf-8"), 32)
        assert derive_file_key(bundle_key, path) == expected


def test_each_file_gets_its_own_key() -> None:
    bundle_key = os.urandom(32)
    keys = {derive_file_key(bundle_key, f"ep{i}.mp4") for i in range(1, 9)}
    assert len(keys) == 8


def test_rejects_bad_key_and_nonce_sizes() -> None:
    with pytest.raises(MalformedError):
        ContentCipher(bytes(16), bytes(16))
    with pytest.raises(MalformedError):
        ContentCipher(bytes(32), bytes(12))
    with pytest.raises(MalformedError):
        derive_file_key(bytes(31), "x")


@pytest.mark.parametrize("offset", [0, 1, 15, 16, 17, 16_383, 262_145])
def test_a_stream_from_any_offset_in_any_chunks_equals_random_access(offset: int) -> None:
    key, nonce = os.urandom(32), b"\xff" * 15 + b"\xfe"  # the counter wraps inside the stream
    plain = os.urandom(600_000)
    cipher = ContentCipher(key, nonce)
    expected = cipher.encrypt_at(offset, plain[offset:])
    stream = cipher.stream_at(offset)
    out = bytearray(len(plain) + stream.SLACK)
    view, done = memoryview(out), 0
    for size in (1, 15, 16, 17, 16_384, 99_991, 262_144, 1 << 20):
        part = plain[offset + done : offset + done + size]
        done += stream.transform_into(memoryview(part), view[done:])
    assert done == len(plain) - offset
    assert bytes(out[:done]) == expected
