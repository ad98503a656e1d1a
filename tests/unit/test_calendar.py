"""Business-hours arithmetic (``bot/domain/calendar.py``, described in docs/clocks.md).

Starts in closed time (counted from the next opening), Friday close, lunch breaks, hours
per weekday, holidays (also from the ``holidays`` package), DST weeks in Europe/Rome and
America/New_York, 00:00-24:00 with no gap at midnight, pauses, closing time as a
deadline, refused calendars, and "1 day" = 86,400 s of business time. Then Hypothesis
properties of ``add``, ``elapsed`` and ``is_open`` over a few calendars.

Every moment here is a whole number of seconds and every interval edge is a whole second,
so the float arithmetic in the module is exact (well below 2**53): comparisons are exact.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.calendar import DAY, Calendar, CalendarError, add, day_spans, elapsed, is_open

H = 3600
M = 60
ROME = "Europe/Rome"
NEW_YORK = "America/New_York"

Hours = tuple[tuple[int, int], ...]


def hm(text: str) -> int:
    """``"09:30"`` -> seconds after midnight (``"24:00"`` is the end of the day)."""
    hours, minutes = text.split(":")
    return int(hours) * H + int(minutes) * M


def hours(*intervals: str) -> Hours:
    """``hours("09:00-13:00", "14:00-18:00")`` -> one day's intervals in seconds."""
    out = []
    for interval in intervals:
        start, end = interval.split("-")
        out.append((hm(start), hm(end)))
    return tuple(out)


def weekdays(day: Hours, weekend: Hours = ()) -> tuple[Hours, ...]:
    """Monday to Friday ``day``, Saturday and Sunday ``weekend``."""
    return (day,) * 5 + (weekend,) * 2


def at(zone: str, y: int, mo: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> float:
    """Epoch seconds of a local wall-clock time (no gap or fold times are used here)."""
    return datetime(y, mo, d, hh, mm, ss, tzinfo=ZoneInfo(zone)).timestamp()


def wall(ts: float, zone: str) -> datetime:
    """The local wall-clock time of ``ts``, naive, to compare with ``datetime(...)``."""
    return datetime.fromtimestamp(ts, ZoneInfo(zone)).replace(tzinfo=None)


def country(code: str, years: Iterable[int], *extra: date) -> frozenset[date]:
    return frozenset(holidays.country_holidays(code, years=list(years)).keys()) | set(extra)


OFFICE_9_18 = Calendar("office", ROME, weekdays(hours("09:00-18:00")))
LUNCH = Calendar("lunch", ROME, weekdays(hours("09:00-13:00", "14:00-18:00")))
NY_9_17 = Calendar("ny", NEW_YORK, weekdays(hours("09:00-17:00")))
ROME_9_17 = Calendar("rome", ROME, weekdays(hours("09:00-17:00")))
ROME_DAILY = Calendar("rome-daily", ROME, (hours("09:00-17:00"),) * 7)
NY_DAILY = Calendar("ny-daily", NEW_YORK, (hours("09:00-17:00"),) * 7)
ALWAYS_ROME = Calendar("always", ROME, (hours("00:00-24:00"),) * 7)


# --- a start in closed time counts from the next opening -----------------------------------
# 2026-03-02 is a Monday; 2026-03-06 a Friday.

def test_created_in_the_evening_starts_next_morning() -> None:
    assert add(at(ROME, 2026, 3, 2, 20), H, OFFICE_9_18) == at(ROME, 2026, 3, 3, 10)
    assert elapsed(at(ROME, 2026, 3, 2, 20), at(ROME, 2026, 3, 3, 10), OFFICE_9_18) == H


def test_created_before_opening_starts_at_opening() -> None:
    assert add(at(ROME, 2026, 3, 2, 7, 15), H, OFFICE_9_18) == at(ROME, 2026, 3, 2, 10)
    assert add(at(ROME, 2026, 3, 2, 0), 30 * M, OFFICE_9_18) == at(ROME, 2026, 3, 2, 9, 30)


def test_created_on_a_weekend_starts_monday() -> None:
    for start in (at(ROME, 2026, 3, 7, 11), at(ROME, 2026, 3, 8, 23, 59, 59),
                  at(ROME, 2026, 3, 6, 18, 0, 1)):
        assert add(start, H, OFFICE_9_18) == at(ROME, 2026, 3, 9, 10)


def test_created_on_a_holiday_starts_next_working_day() -> None:
    # 2 June 2026, Festa della Repubblica, is a Tuesday.
    cal = Calendar("it", ROME, weekdays(hours("09:00-18:00")), country("IT", [2026]))
    assert date(2026, 6, 2) in cal.holidays
    assert day_spans(cal, date(2026, 6, 2)) == ()
    assert add(at(ROME, 2026, 6, 2, 11), H, cal) == at(ROME, 2026, 6, 3, 10)
    # Across it: Monday 17:00 + 2 h skips the whole Tuesday.
    assert add(at(ROME, 2026, 6, 1, 17), 2 * H, cal) == at(ROME, 2026, 6, 3, 10)
    assert not is_open(at(ROME, 2026, 6, 2, 11), cal)


def test_zero_seconds_in_closed_time_is_the_next_opening() -> None:
    assert add(at(ROME, 2026, 3, 2, 20), 0, OFFICE_9_18) == at(ROME, 2026, 3, 3, 9)
    assert add(at(ROME, 2026, 3, 7, 12), 0, OFFICE_9_18) == at(ROME, 2026, 3, 9, 9)
    assert add(at(ROME, 2026, 3, 2, 13, 30), 0, LUNCH) == at(ROME, 2026, 3, 2, 14)
    # In open time, 0 seconds is the start itself.
    assert add(at(ROME, 2026, 3, 2, 10, 7), 0, OFFICE_9_18) == at(ROME, 2026, 3, 2, 10, 7)


def test_friday_afternoon_deadline_lands_on_monday() -> None:
    fri_16 = at(ROME, 2026, 3, 6, 16)
    assert add(fri_16, 4 * H, OFFICE_9_18) == at(ROME, 2026, 3, 9, 11)
    assert elapsed(fri_16, at(ROME, 2026, 3, 9, 11), OFFICE_9_18) == 4 * H
    # Chatwoot's case: 09:00-17:00, Fri 16:00 + 2 h -> Mon 10:00.
    assert add(at(NEW_YORK, 2026, 3, 13, 16), 2 * H, NY_9_17) == at(NEW_YORK, 2026, 3, 16, 10)


# --- closing time --------------------------------------------------------------------------

def test_closing_time_is_a_valid_deadline() -> None:
    fri_16 = at(ROME, 2026, 3, 6, 16)
    fri_18 = at(ROME, 2026, 3, 6, 18)
    assert add(fri_16, 2 * H, OFFICE_9_18) == fri_18
    assert elapsed(fri_16, fri_18, OFFICE_9_18) == 2 * H
    assert is_open(fri_18 - 1, OFFICE_9_18)
    assert not is_open(fri_18 + 1, OFFICE_9_18)
    # The module documents an interval's end as open ("closing time").
    assert is_open(fri_18, OFFICE_9_18)


def test_closing_time_plus_nothing_stays_at_closing_time() -> None:
    # A deadline at closing time is open time, so adding 0 business seconds keeps it:
    # add(add(t, a), 0) == add(t, a) for t = Fri 16:00, a = 2 h.
    fri_18 = at(ROME, 2026, 3, 6, 18)
    assert add(fri_18, 0, OFFICE_9_18) == fri_18
    assert add(at(ROME, 2026, 3, 2, 13), 0, LUNCH) == at(ROME, 2026, 3, 2, 13)


def test_opening_time_is_open() -> None:
    assert is_open(at(ROME, 2026, 3, 2, 9), OFFICE_9_18)
    assert not is_open(at(ROME, 2026, 3, 2, 8, 59, 59), OFFICE_9_18)
    assert is_open(at(ROME, 2026, 3, 7, 3), None)


# --- lunch break and hours per weekday -----------------------------------------------------

def test_lunch_break_is_not_counted() -> None:
    mon_12 = at(ROME, 2026, 3, 2, 12)
    assert add(mon_12, 2 * H, LUNCH) == at(ROME, 2026, 3, 2, 15)
    assert elapsed(mon_12, at(ROME, 2026, 3, 2, 15), LUNCH) == 2 * H
    assert add(mon_12, H, LUNCH) == at(ROME, 2026, 3, 2, 13)  # morning's closing time
    assert add(mon_12, H + 1, LUNCH) == at(ROME, 2026, 3, 2, 14, 0, 1)
    assert add(at(ROME, 2026, 3, 2, 13, 30), H, LUNCH) == at(ROME, 2026, 3, 2, 15)
    assert not is_open(at(ROME, 2026, 3, 2, 13, 30), LUNCH)
    assert is_open(at(ROME, 2026, 3, 2, 14), LUNCH)
    assert elapsed(at(ROME, 2026, 3, 2, 9), at(ROME, 2026, 3, 3, 9), LUNCH) == 8 * H
    # Friday 17:00 + 3 h -> Monday 11:00 (two hours into the morning interval).
    assert add(at(ROME, 2026, 3, 6, 17), 3 * H, LUNCH) == at(ROME, 2026, 3, 9, 11)


def test_different_hours_per_day() -> None:
    week = (hours("09:00-18:00"),) * 4 + (hours("09:00-13:00"), hours("10:00-12:00"), ())
    cal = Calendar("varied", ROME, week)
    fri_12 = at(ROME, 2026, 3, 6, 12)
    assert add(fri_12, H, cal) == at(ROME, 2026, 3, 6, 13)            # Friday closes at 13
    assert add(fri_12, 2 * H, cal) == at(ROME, 2026, 3, 7, 11)        # Saturday 10-12
    assert add(fri_12, 4 * H, cal) == at(ROME, 2026, 3, 9, 10)        # Sunday closed
    assert elapsed(at(ROME, 2026, 3, 2, 0), at(ROME, 2026, 3, 9, 0), cal) == (4 * 9 + 4 + 2) * H
    assert add(at(ROME, 2026, 3, 5, 17), 2 * H, cal) == at(ROME, 2026, 3, 6, 10)
    assert not is_open(at(ROME, 2026, 3, 6, 15), cal)
    assert is_open(at(ROME, 2026, 3, 5, 15), cal)


def test_changed_calendar_gives_new_deadlines() -> None:
    # Two calendars with the same name but other hours: nothing (e.g. a cache) mixes them.
    before = Calendar("office", ROME, weekdays(hours("09:00-18:00")))
    after = Calendar("office", ROME, weekdays(hours("08:00-12:00")))
    start = at(ROME, 2026, 3, 2, 10)
    assert add(start, 4 * H, before) == at(ROME, 2026, 3, 2, 14)
    assert add(start, 4 * H, after) == at(ROME, 2026, 3, 3, 10)
    assert add(start, 4 * H, before) == at(ROME, 2026, 3, 2, 14)


# --- holidays ------------------------------------------------------------------------------

def test_holiday_on_a_friday_before_a_weekend() -> None:
    # 1 May 2026 (Festa dei Lavoratori) is a Friday.
    assert date(2026, 5, 1).weekday() == 4
    cal = Calendar("may", ROME, weekdays(hours("09:00-18:00")), frozenset({date(2026, 5, 1)}))
    assert add(at(ROME, 2026, 4, 30, 17), 2 * H, cal) == at(ROME, 2026, 5, 4, 10)
    assert add(at(ROME, 2026, 5, 1, 10), H, cal) == at(ROME, 2026, 5, 4, 10)
    assert elapsed(at(ROME, 2026, 4, 30, 18), at(ROME, 2026, 5, 4, 9), cal) == 0


def test_italian_christmas_from_the_holidays_package() -> None:
    # 2026: Thursday 24 (Christmas Eve, not a public holiday), Friday 25, Saturday 26.
    assert [date(2026, 12, d).weekday() for d in (24, 25, 26)] == [3, 4, 5]
    public = country("IT", [2026])
    assert {date(2026, 12, 25), date(2026, 12, 26)} <= public
    assert date(2026, 12, 24) not in public
    week = weekdays(hours("09:00-18:00"))

    # Public holidays only: Thu 17:00-18:00 counts, then Monday 09:00-10:00.
    plain = Calendar("it", ROME, week, public)
    assert add(at(ROME, 2026, 12, 24, 17), 2 * H, plain) == at(ROME, 2026, 12, 28, 10)

    # Christmas Eve as an extra holiday date: Thursday is closed too.
    eve = Calendar("it+eve", ROME, week, public | {date(2026, 12, 24)})
    assert add(at(ROME, 2026, 12, 23, 17), 2 * H, eve) == at(ROME, 2026, 12, 28, 10)
    assert add(at(ROME, 2026, 12, 24, 17), 2 * H, eve) == at(ROME, 2026, 12, 28, 11)
    assert elapsed(at(ROME, 2026, 12, 23, 18), at(ROME, 2026, 12, 28, 9), eve) == 0


# --- DST weeks -----------------------------------------------------------------------------
# Europe/Rome: spring forward Sun 2026-03-29, fall back Sun 2026-10-25.
# America/New_York: spring forward Sun 2026-03-08, fall back Sun 2026-11-01.

DST_DAYS = [
    (ROME, date(2026, 3, 29), 23),
    (ROME, date(2026, 10, 25), 25),
    (NEW_YORK, date(2026, 3, 8), 23),
    (NEW_YORK, date(2026, 11, 1), 25),
]


@pytest.mark.parametrize(("zone", "day", "length"), DST_DAYS)
def test_dst_day_still_opens_nine_to_five_local(zone: str, day: date, length: int) -> None:
    cal = ROME_DAILY if zone == ROME else NY_DAILY
    sat = day - timedelta(days=1)
    before = datetime.combine(sat, datetime.min.time(), ZoneInfo(zone)).utcoffset()
    after = datetime.combine(day + timedelta(days=1), datetime.min.time(),
                             ZoneInfo(zone)).utcoffset()
    assert before != after
    # The day itself is 23 or 25 hours long ...
    midnight = at(zone, day.year, day.month, day.day)
    next_midnight = at(zone, day.year, day.month, day.day + 1)
    assert next_midnight - midnight == length * H
    # ... and still has 8 business hours, 09:00-17:00 local.
    ((opens, closes),) = day_spans(cal, day)
    assert wall(opens, zone) == datetime(day.year, day.month, day.day, 9)
    assert wall(closes, zone) == datetime(day.year, day.month, day.day, 17)
    assert closes - opens == 8 * H
    # Saturday 16:00 + 2 h -> Sunday 10:00 local, whatever the night's length.
    result = add(at(zone, sat.year, sat.month, sat.day, 16), 2 * H, cal)
    assert wall(result, zone) == datetime(day.year, day.month, day.day, 10)
    # Saturday close to Sunday open is 16 h of wall clock, 15 or 17 h of real time, 0 business.
    sat_17 = at(zone, sat.year, sat.month, sat.day, 17)
    assert opens - sat_17 == (16 + length - 24) * H
    assert elapsed(sat_17, opens, cal) == 0
    assert elapsed(sat_17, closes, cal) == 8 * H


@pytest.mark.parametrize(("zone", "day", "length"), DST_DAYS)
def test_dst_week_across_the_weekend(zone: str, day: date, length: int) -> None:
    cal = ROME_9_17 if zone == ROME else NY_9_17
    fri, mon = day - timedelta(days=2), day + timedelta(days=1)
    fri_16 = at(zone, fri.year, fri.month, fri.day, 16)
    result = add(fri_16, 2 * H, cal)
    assert wall(result, zone) == datetime(mon.year, mon.month, mon.day, 10)
    # Fri 17:00 to Mon 09:00 is 64 h of wall clock, an hour less or more of real time.
    assert result - fri_16 == (2 + 64 + length - 24) * H
    assert elapsed(fri_16, result, cal) == 2 * H
    # "1 day" = 86,400 s of business time = three 8-hour days: Fri 09:00 -> Tue 17:00.
    one_day = add(at(zone, fri.year, fri.month, fri.day, 9), DAY, cal)
    tue = mon + timedelta(days=1)
    assert wall(one_day, zone) == datetime(tue.year, tue.month, tue.day, 17)


@pytest.mark.parametrize(("zone", "day", "length"), DST_DAYS)
def test_whole_day_calendar_on_a_dst_day(zone: str, day: date, length: int) -> None:
    cal = Calendar("always", zone, (hours("00:00-24:00"),) * 7)
    midnight = at(zone, day.year, day.month, day.day)
    next_midnight = at(zone, day.year, day.month, day.day + 1)
    assert elapsed(midnight, next_midnight, cal) == length * H
    assert add(midnight, length * H, cal) == next_midnight
    # 24 business hours from Saturday noon is 24 real hours: 13:00 or 11:00 local on Sunday.
    sat = day - timedelta(days=1)
    result = add(at(zone, sat.year, sat.month, sat.day, 12), 24 * H, cal)
    assert wall(result, zone) == datetime(day.year, day.month, day.day, 12 + 24 - length)
    # An interval over the changed hour counts the real seconds: 01:00-04:00 local.
    night = Calendar("night", zone, (hours("01:00-04:00"),) * 7)
    ((opens, closes),) = day_spans(night, day)
    assert closes - opens == (3 + length - 24) * H
    assert elapsed(midnight, next_midnight, night) == (3 + length - 24) * H


# --- 00:00-24:00 ---------------------------------------------------------------------------

def test_whole_days_have_no_gap_at_midnight() -> None:
    start = at(ROME, 2026, 3, 2, 23)
    assert add(start, 30 * H, ALWAYS_ROME) == start + 30 * H
    assert wall(add(start, 30 * H, ALWAYS_ROME), ROME) == datetime(2026, 3, 4, 5)
    assert elapsed(start, start + 30 * H, ALWAYS_ROME) == 30 * H
    midnight = at(ROME, 2026, 3, 3)
    assert is_open(midnight, ALWAYS_ROME)
    assert add(midnight, 0, ALWAYS_ROME) == midnight
    assert add(midnight - 1, 2, ALWAYS_ROME) == midnight + 1
    # A whole week of it is a week of seconds.
    assert add(start, 7 * DAY, ALWAYS_ROME) == start + 7 * DAY


# --- pauses --------------------------------------------------------------------------------

def test_pause_across_midnight_moves_the_deadline_by_business_time() -> None:
    start = at(ROME, 2026, 3, 3, 10)                                   # Tuesday
    assert add(start, 8 * H, OFFICE_9_18) == at(ROME, 2026, 3, 3, 18)
    pause = (at(ROME, 2026, 3, 3, 17), at(ROME, 2026, 3, 4, 10))       # Tue 17:00 - Wed 10:00
    assert elapsed(*pause, OFFICE_9_18) == 2 * H
    result = add(start, 8 * H, OFFICE_9_18, [pause])
    assert result == at(ROME, 2026, 3, 4, 11)
    assert result == add(add(start, 8 * H, OFFICE_9_18), 2 * H, OFFICE_9_18)
    assert elapsed(start, result, OFFICE_9_18, [pause]) == 8 * H
    assert elapsed(start, result, OFFICE_9_18) == 10 * H


def test_pause_across_a_weekend_moves_the_deadline_by_business_time_only() -> None:
    start = at(ROME, 2026, 3, 6, 9)                                    # Friday
    assert add(start, 16 * H, OFFICE_9_18) == at(ROME, 2026, 3, 9, 16)
    pause = (at(ROME, 2026, 3, 6, 17), at(ROME, 2026, 3, 9, 10))       # Fri 17:00 - Mon 10:00
    # 65 h of wall clock, 2 h of business time: the deadline moves by 2 business hours.
    assert pause[1] - pause[0] == 65 * H
    assert elapsed(*pause, OFFICE_9_18) == 2 * H
    result = add(start, 16 * H, OFFICE_9_18, [pause])
    assert result == at(ROME, 2026, 3, 9, 18)
    assert elapsed(start, result, OFFICE_9_18, [pause]) == 16 * H


def test_pause_in_closed_time_or_on_an_earlier_day_changes_nothing() -> None:
    start = at(ROME, 2026, 3, 6, 16)                                   # Friday
    weekend = (at(ROME, 2026, 3, 6, 18), at(ROME, 2026, 3, 9, 9))
    earlier = (at(ROME, 2026, 3, 5, 9), at(ROME, 2026, 3, 5, 12))
    plain = add(start, 4 * H, OFFICE_9_18)
    assert plain == at(ROME, 2026, 3, 9, 11)
    assert add(start, 4 * H, OFFICE_9_18, [weekend, earlier]) == plain
    assert elapsed(start, plain, OFFICE_9_18, [weekend, earlier]) == 4 * H


def test_two_pauses_given_out_of_order() -> None:
    start = at(ROME, 2026, 3, 6, 16)
    one = (at(ROME, 2026, 3, 9, 9), at(ROME, 2026, 3, 9, 10))
    two = (at(ROME, 2026, 3, 6, 16, 30), at(ROME, 2026, 3, 6, 17))
    # Fri 16:00-16:30 and 17:00-18:00, then Mon 10:00-12:30.
    assert add(start, 4 * H, OFFICE_9_18, [one, two]) == at(ROME, 2026, 3, 9, 12, 30)
    assert elapsed(start, at(ROME, 2026, 3, 9, 12, 30), OFFICE_9_18, [one, two]) == 4 * H


def test_pause_earlier_the_same_day_changes_nothing() -> None:
    # A pause that ended before the clock started, in the same working interval
    # (e.g. the ticket's whole pause history passed for a clock started later that day).
    start = at(ROME, 2026, 3, 6, 16)                                   # Friday
    morning = (at(ROME, 2026, 3, 6, 10), at(ROME, 2026, 3, 6, 11))
    assert add(start, 4 * H, OFFICE_9_18, [morning]) == at(ROME, 2026, 3, 9, 11)
    assert elapsed(start, at(ROME, 2026, 3, 6, 17), OFFICE_9_18, [morning]) == H


def test_pause_running_into_the_start_counts_only_after_it() -> None:
    start = at(ROME, 2026, 3, 6, 16)                                   # Friday
    overlap = (at(ROME, 2026, 3, 6, 15), at(ROME, 2026, 3, 6, 17))
    # Fri 17:00-18:00, then Mon 09:00-12:00.
    assert add(start, 4 * H, OFFICE_9_18, [overlap]) == at(ROME, 2026, 3, 9, 12)
    assert elapsed(start, at(ROME, 2026, 3, 9, 12), OFFICE_9_18, [overlap]) == 4 * H


def test_pause_on_a_24x7_clock_is_wall_time() -> None:
    start = at(ROME, 2026, 3, 6, 16)
    pause = (at(ROME, 2026, 3, 6, 17), at(ROME, 2026, 3, 9, 10))
    assert add(start, 4 * H, None, [pause]) == start + 4 * H + 65 * H
    assert elapsed(start, start + 69 * H, None, [pause]) == 4 * H


def test_paused_then_resolved_in_one_step() -> None:
    created = at(ROME, 2026, 3, 2, 10)                                 # Monday
    paused = at(ROME, 2026, 3, 2, 12)
    resolved = at(ROME, 2026, 3, 3, 15)                                # Tuesday, still paused
    # The hold is counted up to the resolution: only Monday 10-12 is working time.
    assert elapsed(created, resolved, OFFICE_9_18, [(paused, resolved)]) == 2 * H
    assert elapsed(created, resolved, OFFICE_9_18) == (8 + 6) * H
    assert elapsed(created, resolved, LUNCH, [(paused, resolved)]) == 2 * H
    assert elapsed(created, resolved, None, [(paused, resolved)]) == 2 * H
    # Paused over the weekend and resolved on Monday morning.
    fri = at(ROME, 2026, 3, 6, 16)
    mon = at(ROME, 2026, 3, 9, 11)
    assert elapsed(fri, mon, OFFICE_9_18, [(fri + H, mon)]) == H


# --- refused calendars ---------------------------------------------------------------------

def test_a_week_with_no_working_time_is_refused() -> None:
    with pytest.raises(CalendarError, match="no working time"):
        Calendar("empty", ROME, ((),) * 7)


@pytest.mark.parametrize("bad", [
    (9 * H, 9 * H),          # empty
    (18 * H, 9 * H),         # backwards
    (-1, 9 * H),             # before midnight
    (9 * H, DAY + 1),        # past the end of the day
])
def test_a_bad_interval_is_refused(bad: tuple[int, int]) -> None:
    with pytest.raises(CalendarError):
        Calendar("bad", ROME, weekdays((bad,)))


def test_a_week_of_six_days_is_refused() -> None:
    with pytest.raises(CalendarError):
        Calendar("short", ROME, (hours("09:00-17:00"),) * 6)


def test_no_working_time_for_years_is_an_error_not_a_hang() -> None:
    mondays = frozenset(date(2026, 1, 5) + timedelta(weeks=w) for w in range(53 * 11))
    cal = Calendar("mondays", ROME, (hours("09:00-17:00"),) + ((),) * 6, mondays)
    with pytest.raises(CalendarError):
        add(at(ROME, 2026, 1, 5, 10), H, cal)


# --- "1 day" -------------------------------------------------------------------------------

def test_one_day_is_86400_seconds_of_business_time() -> None:
    mon_9 = at(ROME, 2026, 3, 2, 9)
    assert add(mon_9, DAY, ROME_9_17) == at(ROME, 2026, 3, 4, 17)     # three 8-hour days
    assert elapsed(mon_9, at(ROME, 2026, 3, 4, 17), ROME_9_17) == DAY
    assert add(mon_9, DAY, None) == mon_9 + DAY
    assert add(mon_9, DAY, ALWAYS_ROME) == mon_9 + DAY
    # From Thursday noon it crosses a weekend: Thu 5 h, Fri 8 h, Mon 8 h, Tue 3 h.
    assert add(at(ROME, 2026, 3, 5, 12), DAY, ROME_9_17) == at(ROME, 2026, 3, 10, 12)


# --- properties ----------------------------------------------------------------------------

YEARS = range(2026, 2029)  # starts in 2026-2027; deadlines up to ~60 business days later
PROPERTY_CALENDARS: dict[str, Calendar | None] = {
    "rome-lunch-it": Calendar(
        "rome-lunch-it", ROME, weekdays(hours("09:00-13:00", "14:00-18:00")),
        country("IT", YEARS, date(2026, 12, 24), date(2027, 12, 24))),
    "ny-us": Calendar("ny-us", NEW_YORK, weekdays(hours("09:00-17:00")), country("US", YEARS)),
    "always-00-24": ALWAYS_ROME,
    "none": None,
}
CALENDAR_IDS = list(PROPERTY_CALENDARS)

T0 = int(datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC")).timestamp())
T1 = int(datetime(2028, 1, 1, tzinfo=ZoneInfo("UTC")).timestamp())
MAX_SECONDS = 60 * 8 * H  # ~60 business days of 8 hours

any_moment = st.integers(T0, T1 - 1)
durations = st.one_of(
    st.integers(0, MAX_SECONDS),
    # Whole intervals and days, so that results land on opening and closing times.
    st.sampled_from([0, 1, H, 4 * H, 5 * H, 8 * H, 9 * H, DAY, 40 * H]),
)
PROPS = settings(max_examples=2 * settings().max_examples, deadline=None)
"""200 examples a property (10 with ``./scripts/test``'s quick profile)."""


@st.composite
def edge_moment(draw: st.DrawFn, calendar: Calendar | None) -> int:
    """An opening or closing time (or a second off one) of some day in 2026-2027."""
    day = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 729)))
    spans = () if calendar is None else day_spans(calendar, day)
    if spans:
        edge = draw(st.sampled_from([edge for span in spans for edge in span]))
    else:
        edge = datetime.combine(day, datetime.min.time(), ZoneInfo(ROME)).timestamp()
    return int(edge) + draw(st.sampled_from([0, 0, -1, 1]))


def moments(calendar: Calendar | None) -> st.SearchStrategy[int]:
    return st.one_of(any_moment, edge_moment(calendar))


def cal_of(name: str) -> Calendar | None:
    return PROPERTY_CALENDARS[name]


@pytest.mark.parametrize("name", CALENDAR_IDS)
@PROPS
@given(data=st.data(), a=durations, b=durations)
def test_add_is_associative(name: str, data: st.DataObject, a: int, b: int) -> None:
    cal = cal_of(name)
    t = data.draw(moments(cal), label="t")
    assert add(t, a + b, cal) == add(add(t, a, cal), b, cal)


@pytest.mark.parametrize("name", CALENDAR_IDS)
@PROPS
@given(data=st.data(), d=durations)
def test_elapsed_inverts_add(name: str, data: st.DataObject, d: int) -> None:
    cal = cal_of(name)
    t = data.draw(moments(cal), label="t")
    assert elapsed(t, add(t, d, cal), cal) == d


@pytest.mark.parametrize("name", CALENDAR_IDS)
@PROPS
@given(data=st.data(), d=durations)
def test_result_is_never_in_closed_time(name: str, data: st.DataObject, d: int) -> None:
    cal = cal_of(name)
    t = data.draw(moments(cal), label="t")
    result = add(t, d, cal)
    assert result >= t
    assert is_open(result, cal)


@pytest.mark.parametrize("name", CALENDAR_IDS)
@PROPS
@given(data=st.data(), d1=durations, d2=durations)
def test_add_is_monotonic(name: str, data: st.DataObject, d1: int, d2: int) -> None:
    cal = cal_of(name)
    t1, t2 = sorted((data.draw(moments(cal), label="t1"), data.draw(moments(cal), label="t2")))
    d1, d2 = sorted((d1, d2))
    assert add(t1, d1, cal) <= add(t2, d1, cal)
    assert add(t1, d1, cal) <= add(t1, d2, cal)


@pytest.mark.parametrize("name", CALENDAR_IDS)
@PROPS
@given(data=st.data())
def test_elapsed_is_additive(name: str, data: st.DataObject) -> None:
    cal = cal_of(name)
    a, b, c = sorted(data.draw(moments(cal), label=f"t{i}") for i in range(3))
    assert elapsed(a, b, cal) + elapsed(b, c, cal) == elapsed(a, c, cal)
    assert elapsed(c, a, cal) == 0


@pytest.mark.parametrize("name", CALENDAR_IDS)
@PROPS
@given(data=st.data(), d=durations, length=st.integers(0, 5 * DAY))
def test_a_pause_only_delays_by_business_time(
        name: str, data: st.DataObject, d: int, length: int) -> None:
    cal = cal_of(name)
    t = data.draw(moments(cal), label="t")
    p = data.draw(st.one_of(moments(cal), st.integers(t - 2 * DAY, t + 10 * DAY)),
                  label="pause start")
    pause = (p, p + length)
    result = add(t, d, cal, [pause])
    assert result >= add(t, d, cal)
    assert elapsed(t, result, cal, [pause]) == d
    assert elapsed(t, result, cal) == d + elapsed(max(t, pause[0]), min(result, pause[1]), cal)


@PROPS
@given(t=any_moment, d=st.integers(0, 200 * DAY))
def test_24x7_add_is_plain_addition(t: int, d: int) -> None:
    assert add(t, d, None) == t + d
    assert elapsed(t, t + d, None) == d
    assert is_open(t, None)
