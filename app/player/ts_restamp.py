"""Shifting an MPEG-TS stream's clock: every PCR, PTS and DTS moved earlier by a number of 90 kHz ticks.

A live viewer that skips blocks to catch up hands VLC a stream whose timestamps jump ahead; VLC keeps its clock
reference, so it shows the pictures after the jump that much later — the skip bought no delay on the screen (measured:
play-out 0.75 s nearer the source, VLC's pictures not at all). Moving every later timestamp back by the skipped
time makes the stream continuous again: VLC shows the keyframe after the gap when the skipped block would have been
shown, and the delay on screen falls with play-out's. ``shift_timestamps`` rewrites 188-byte packets in a copy
(a negative count moves them later: after a stall, ``app.player.live_source``); packets it cannot read are left as
they are. Pure; called on the live viewer's loop.
"""

from __future__ import annotations

PACKET = 188
SYNC = 0x47
WRAP = 1 << 33  # PCR base, PTS and DTS are 33-bit counters of a 90 kHz clock


def shift_timestamps(data: bytes, ticks: int) -> bytes:
    """``data`` (whole TS packets) with every PCR, PTS and DTS ``ticks`` (90 kHz) earlier, modulo 2^33."""
    if ticks % WRAP == 0:
        return data
    out = bytearray(data)
    for start in range(0, len(out) - PACKET + 1, PACKET):
        if out[start] != SYNC:
            continue
        _shift_packet(out, start, ticks)
    return bytes(out)


def _shift_packet(out: bytearray, start: int, ticks: int) -> None:
    flags = out[start + 3] >> 4 & 0x3  # adaptation_field_control
    payload = start + 4
    if flags & 0x2:  # an adaptation field
        length = out[start + 4]
        if length >= 7 and out[start + 5] & 0x10:  # PCR_flag
            _shift_pcr(out, start + 6, ticks)
        payload = start + 5 + length
    if not flags & 0x1 or not out[start + 1] & 0x40 or payload + 14 > start + PACKET:
        return  # no payload, or not the start of a PES packet (or its header does not fit)
    if out[payload : payload + 3] != b"\x00\x00\x01" or out[payload + 3] < 0xBC:
        return
    pts_dts = out[payload + 7] >> 6
    if pts_dts & 0x2:
        _shift_pes_time(out, payload + 9, ticks)
    if pts_dts == 0x3 and payload + 19 <= start + PACKET:
        _shift_pes_time(out, payload + 14, ticks)


def _shift_pcr(out: bytearray, at: int, ticks: int) -> None:
    raw = int.from_bytes(out[at : at + 6], "big")
    base, rest = raw >> 15, raw & 0x7FFF  # 33-bit base, 6 reserved bits and the 9-bit extension
    base = (base - ticks) % WRAP
    out[at : at + 6] = ((base << 15) | rest).to_bytes(6, "big")


def _shift_pes_time(out: bytearray, at: int, ticks: int) -> None:
    b = out[at : at + 5]
    value = (b[0] >> 1 & 0x7) << 30 | b[1] << 22 | (b[2] >> 1) << 15 | b[3] << 7 | b[4] >> 1
    value = (value - ticks) % WRAP
    out[at] = (b[0] & 0xF1) | (value >> 30 & 0x7) << 1
    out[at + 1] = value >> 22 & 0xFF
    out[at + 2] = (value >> 15 & 0x7F) << 1 | 1
    out[at + 3] = value >> 7 & 0xFF
    out[at + 4] = (value & 0x7F) << 1 | 1
