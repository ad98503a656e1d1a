"""Business-hours calendars and the business-time arithmetic: ``add`` and ``elapsed``.

Pure functions. Each local day's working intervals are built in the calendar's own
timezone (``datetime.combine(day, time, tzinfo)``) and converted to UTC, so a 23- or
25-hour DST day still opens 09:00-17:00 local; holidays and pauses are subtracted; the
arithmetic walks the intervals. Times are epoch seconds. ``None`` as a calendar means
calendar time (24x7): ``add`` is plain addition.

"1 day" under a calendar is 86,400 seconds of business time (three 8-hour days), as
every target is: a target is an amount of business time.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import NoReturn
from zoneinfo import ZoneInfo

DAY = 86_400
ONE_DAY = timedelta(days=1)
SEARCH_DAYS = 3_700
"""How far ``add`` looks for working time (ten years) before calling a calendar broken."""
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""The days as ``CALENDARS`` names them, Monday first."""

Span = tuple[float, float]
"""An interval of epoch seconds, start inclusive, end exclusive."""


class CalendarError(ValueError):
    """A calendar that cannot work; the message says what is wrong."""


@dataclass(frozen=True)
class Calendar:
    """Working hours per weekday (Monday first), local to ``timezone``, minus ``holidays``.

    ``week[d]`` lists the day's intervals as (start, end) seconds after local midnight;
    an end of 86,400 is midnight at the end of the day.
    """

    name: str
    timezone: str
    week: tuple[tuple[tuple[int, int], ...], ...]
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise CalendarError(f"{self.name}: a week has 7 days, not {len(self.week)}")
        for day in self.week:
            for start, end in day:
                if not 0 <= start < end <= DAY:
                    raise CalendarError(f"{self.name}: {start}-{end} is not an interval of a day")
            for (_, end), (start, _) in itertools.pairwise(day):
                if start < end:
                    raise CalendarError(f"{self.name}: a day's intervals overlap or are out of "
                                        "order")
        if not any(self.week):
            raise CalendarError(f"{self.name}: no working time in the week")

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.timezone)

    def describe(self, names: Sequence[str] = DAY_NAMES) -> str:
        """The hours as people read them: ``mon-fri 09:00-13:00, 14:00-18:00 (Europe/Rome)``
        (``names``: the days', Monday first)."""
        groups: list[tuple[int, int, tuple[tuple[int, int], ...]]] = []
        for i, hours in enumerate(self.week):
            if groups and groups[-1][2] == hours and groups[-1][1] == i - 1:
                groups[-1] = (groups[-1][0], i, hours)
            else:
                groups.append((i, i, hours))
        parts = [f"{names[a]}{'-' + names[b] if b > a else ''} "
                 + ", ".join(f"{_hhmm(s)}-{_hhmm(e)}" for s, e in hours)
                 for a, b, hours in groups if hours]
        return f"{'; '.join(parts)} ({self.timezone})"


def _hhmm(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=65_536)
def day_spans(calendar: Calendar, day: date) -> tuple[Span, ...]:
    """The calendar's working intervals on local ``day``, in epoch seconds."""
    if day in calendar.holidays:
        return ()
    zone = calendar.zone
    spans = []
    for start, end in calendar.week[day.weekday()]:
        spans.append((_local(day, start, zone), _local(day, end, zone)))
    return tuple(spans)


def _local(day: date, seconds: int, zone: ZoneInfo) -> float:
    if seconds >= DAY:
        day, seconds = day + timedelta(days=1), seconds - DAY
    moment = time(seconds // 3600, seconds // 60 % 60, seconds % 60)
    return datetime.combine(day, moment, tzinfo=zone).timestamp()


def _spans_from(calendar: Calendar, start: float) -> Iterator[Span]:
    """Working intervals that end at or after ``start``, in order (the first may begin
    before: the caller counts from ``start``)."""
    day = datetime.fromtimestamp(start, calendar.zone).date() - ONE_DAY
    for _ in range(SEARCH_DAYS):
        for span in day_spans(calendar, day):
            if span[1] >= start:
                yield span
        day += ONE_DAY
    _no_working_time(calendar)


def _no_working_time(calendar: Calendar) -> NoReturn:
    raise CalendarError(f"{calendar.name}: no working time within {SEARCH_DAYS} days")


def _without(spans: Iterator[Span], pauses: Sequence[Span]) -> Iterator[Span]:
    """``spans`` with the (sorted, non-overlapping) ``pauses`` cut out."""
    for start, end in spans:
        for p_start, p_end in pauses:
            if p_end <= start or p_start >= end:
                continue
            if p_start > start:
                yield (start, p_start)
            start = max(start, p_end)
            if start >= end:
                break
        if start < end:
            yield (start, end)


def _always(start: float) -> Iterator[Span]:
    yield (start, float("inf"))


def add(start: float, seconds: float, calendar: Calendar | None,
        pauses: Sequence[Span] = ()) -> float:
    """The moment ``seconds`` of business time after ``start`` (not counting ``pauses``).

    A start in closed time counts from the next opening; a result is never inside closed
    time (it may be the very end of an interval: a deadline at closing time).
    """
    if seconds < 0:
        raise ValueError("add counts forward only")
    if not pauses:
        return start + seconds if calendar is None else _add_plain(start, seconds, calendar)
    spans = _always(start) if calendar is None else _spans_from(calendar, start)
    for span_start, span_end in _without(spans, sorted(pauses)):
        if span_end < start:
            continue  # a piece before a pause that itself lies before ``start``
        at = max(start, span_start)
        if at + seconds <= span_end:
            return at + seconds
        seconds -= span_end - at
    raise AssertionError("unreachable: the span iterators end only by raising")


def _add_plain(start: float, seconds: float, calendar: Calendar) -> float:
    """``add`` under a calendar without pauses: the same walk as ``_spans_from`` and
    ``_without`` feeding ``add``'s loop, step for step, in one loop (no generators: this
    is the hot path of every deadline)."""
    spans_of = day_spans
    day = datetime.fromtimestamp(start, calendar.zone).date() - ONE_DAY
    for _ in range(SEARCH_DAYS):
        for span_start, span_end in spans_of(calendar, day):
            # ``_spans_from`` keeps the intervals ending at or after ``start``, ``_without``
            # the non-empty ones; ``at`` is ``max(start, span_start)``, ties to ``start``.
            if span_end >= start and span_start < span_end:
                at = span_start if span_start > start else start
                if at + seconds <= span_end:
                    return at + seconds
                seconds -= span_end - at
        day += ONE_DAY
    _no_working_time(calendar)


def elapsed(start: float, end: float, calendar: Calendar | None,
            pauses: Sequence[Span] = ()) -> float:
    """Business seconds from ``start`` to ``end`` (0 if ``end`` is not later)."""
    if end <= start:
        return 0.0
    spans = _always(start) if calendar is None else _spans_from(calendar, start)
    total = 0.0
    for span_start, span_end in _without(spans, sorted(pauses)):
        if span_start >= end:
            break
        if span_end > start:
            total += min(span_end, end) - max(span_start, start)
    return total


def is_open(at: float, calendar: Calendar | None) -> bool:
    """Whether ``at`` is business time (an interval's end counts as open: closing time)."""
    if calendar is None:
        return True
    return any(a <= at <= b for a, b in _until(calendar, at))


def _until(calendar: Calendar, at: float) -> Iterator[Span]:
    for span in _spans_from(calendar, at):
        if span[0] > at:
            return
        yield span
