"""A rate field that steps in sensible units: Unlimited, 256 KiB/s, 512 KiB/s, 1 MiB/s, 2 MiB/s, 5 MiB/s …

A plain spin box steps by 1: one click on "Unlimited" (0) gave 1 KiB/s, a rate nobody means. This one steps
along a ladder of round rates (the arrows, the wheel, Page Up/Down), shows KiB/s below 1 MiB/s and MiB/s from
there, and still takes any value typed ("750", "1.5 MiB/s", "2 M"). Its value stays in KiB/s. Main thread only.
"""

from __future__ import annotations

import re

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QSpinBox

RATE_LADDER_KIB = (0, 256, 512, 1024, 2048, 5120, 10_240, 20_480, 51_200, 102_400, 204_800, 512_000, 1_024_000)
UNLIMITED = "Unlimited"
_TYPED = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(k|kib|kib/s|kb/s|m|mib|mib/s|mb/s)?\s*$", re.IGNORECASE)


def format_rate_kib(value: int, zero: str = UNLIMITED) -> str:
    if value <= 0:
        return zero
    if value >= 1024:
        mib = value / 1024
        return f"{mib:.0f} MiB/s" if mib == int(mib) else f"{mib:.2f}".rstrip("0").rstrip(".") + " MiB/s"
    return f"{value} KiB/s"


def parse_rate_kib(text: str, zero: str = UNLIMITED) -> int | None:
    """KiB/s from what was typed; None when it is not a rate."""
    if text.strip().lower() in (zero.lower(), "0", ""):
        return 0
    match = _TYPED.match(text)
    if match is None:
        return None
    number = float(match.group(1).replace(",", "."))
    unit = (match.group(2) or "k").lower()
    return round(number * 1024) if unit.startswith("m") else round(number)


class RateSpinBox(QSpinBox):
    def __init__(self, maximum_kib: int, *, zero_text: str = UNLIMITED, minimum_kib: int = 0) -> None:
        super().__init__()
        self._zero_text = zero_text
        self.setRange(minimum_kib, maximum_kib)
        self.setAccelerated(False)

    def stepBy(self, steps: int) -> None:  # noqa: N802 - Qt's name
        value = self.value()
        for _ in range(abs(steps)):
            if steps > 0:
                value = next((rung for rung in RATE_LADDER_KIB if rung > value), self.maximum())
            else:
                value = next((rung for rung in reversed(RATE_LADDER_KIB) if rung < value), self.minimum())
        self.setValue(min(max(value, self.minimum()), self.maximum()))

    def textFromValue(self, value: int) -> str:  # noqa: N802
        return format_rate_kib(value, self._zero_text)

    def valueFromText(self, text: str) -> int:  # noqa: N802
        parsed = parse_rate_kib(text, self._zero_text)
        return self.value() if parsed is None else parsed

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        parsed = parse_rate_kib(text, self._zero_text)
        if parsed is not None and self.minimum() <= parsed <= self.maximum():
            return QValidator.State.Acceptable, text, pos
        return QValidator.State.Intermediate, text, pos
