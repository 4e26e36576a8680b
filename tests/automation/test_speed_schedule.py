"""The alternative-speed schedule's logic: windows within a day and over midnight, chosen days, and a hand-made
choice that lasts until the schedule's next edge."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from app.automation.speed_schedule import WEEKDAYS, AltSpeedSwitch, SpeedSchedule

MONDAY = datetime(2026, 11, 30)  # a Monday


def at(day_offset: int, hour: int, minute: int = 0) -> datetime:
    return MONDAY.replace(hour=hour, minute=minute) + timedelta(days=day_offset)


def test_a_window_over_midnight_belongs_to_the_day_it_starts() -> None:
    night = SpeedSchedule(True, time(22, 0), time(6, 0), WEEKDAYS)
    assert night.is_active(at(0, 23))  # Monday 23:00
    assert night.is_active(at(1, 5, 59))  # Tuesday 05:59, Monday's window
    assert not night.is_active(at(1, 6))
    assert night.is_active(at(5, 3))  # Saturday 03:00 is Friday's window
    assert not night.is_active(at(5, 23))  # Saturday evening: no window
    assert not night.is_active(at(6, 3))  # Sunday 03:00 would be Saturday's
    assert not SpeedSchedule(False, time(0, 0), time(23, 59)).is_active(at(0, 12))


def test_a_hand_made_choice_lasts_until_the_next_edge() -> None:
    now = [at(0, 7)]
    applied: list[bool] = []
    switch = AltSpeedSwitch(applied.append, lambda: now[0])
    switch.configure(SpeedSchedule(True, time(8, 0), time(20, 0)), alternative=False)
    assert applied == []
    switch.toggle()  # by hand at 07:00
    switch.tick()
    assert switch.alternative and applied == [True]
    now[0] = at(0, 8)
    switch.tick()  # the window opens: already on
    now[0] = at(0, 12)
    switch.toggle()  # off by hand inside the window
    switch.tick()
    assert not switch.alternative
    now[0] = at(0, 20)
    switch.tick()  # the window closes: stays off
    now[0] = at(1, 8)
    switch.tick()  # the next window opens
    assert applied == [True, False, True]
    switch.configure(SpeedSchedule(True, time(8, 0), time(20, 0)), alternative=True)  # other settings saved
    assert applied == [True, False, True]
