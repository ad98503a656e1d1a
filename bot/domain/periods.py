"""The periods a report covers: ``this month``, ``last month``, ``YYYY-MM``, ``Nd``.

Months are counted in a timezone (UTC for ``/ticket report``; the client's calendar's
for its monthly statement). A report covers the tickets *opened* in its period. Whatever
a person types gets a period or a refusal (``TicketError``), never another error.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.tickets import TicketError

DAY = 86_400
MOST_DAYS = 3_660
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DAYS = re.compile(r"^(\d{1,5})d$", re.IGNORECASE)
USAGE = "/ticket report [this month | last month | YYYY-MM | Nd] [client]"


@dataclass(frozen=True)
class Period:
    """From ``start`` (inclusive) to ``end`` (exclusive), epoch seconds."""

    start: float
    end: float
    label: str


def month(year: int, number: int, timezone: str = "UTC") -> Period:
    """The calendar month ``year``-``number`` in ``timezone``."""
    zone = ZoneInfo(timezone)
    first = datetime(year, number, 1, tzinfo=zone)
    after = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=zone)
    return Period(first.timestamp(), after.timestamp(), f"{year:04d}-{number:02d}")


def month_of(at: float, timezone: str = "UTC", back: int = 0) -> Period:
    """The month ``at`` falls in (in ``timezone``), or the one ``back`` months before it.

    Read from the whole second ``at`` falls in: ``fromtimestamp`` rounds to the nearest
    microsecond, which puts the last half microsecond of a month in the next one."""
    local = datetime.fromtimestamp(math.floor(at), ZoneInfo(timezone))
    index = local.year * 12 + local.month - 1 - back
    return month(index // 12, index % 12 + 1, timezone)


def next_statement(now: float, timezone: str = "UTC", hour: int = 9) -> tuple[float, Period]:
    """When the next monthly statement is due (the 1st at ``hour``:00 local, the first such
    moment after ``now``) and the month it covers (the one before)."""
    zone = ZoneInfo(timezone)
    local = datetime.fromtimestamp(now, zone)
    due = datetime.combine(local.date().replace(day=1), time(hour), tzinfo=zone)
    if due.timestamp() <= now:
        due = datetime.combine((due + timedelta(days=32)).date().replace(day=1), time(hour),
                               tzinfo=zone)
    return due.timestamp(), month_of(due.timestamp(), timezone, back=1)


def parse_report(text: str, now: float, timezone: str = "UTC") -> tuple[Period, str]:
    """``/ticket report``'s arguments: the period (this month when none is named) and
    whatever follows it (the client)."""
    words = text.split()
    lowered = [w.lower() for w in words]
    if lowered[:2] in (["this", "month"], ["last", "month"]):
        return month_of(now, timezone, back=int(lowered[0] == "last")), " ".join(words[2:])
    if words and (found := _MONTH.match(words[0])):
        return _typed_month(words[0], found, now, timezone), " ".join(words[1:])
    if words and (found := _DAYS.match(words[0])):
        days = int(found.group(1))
        if not 1 <= days <= MOST_DAYS:
            raise TicketError("give from 1d to {most}d, not {typed}", most=MOST_DAYS,
                              typed=words[0])
        return (Period(now - days * DAY, now, f"last {days} day{'' if days == 1 else 's'}"),
                " ".join(words[1:]))
    return month_of(now, timezone), " ".join(words)


def _typed_month(typed: str, found: re.Match[str], now: float, timezone: str) -> Period:
    """``YYYY-MM`` as typed: a month from January 1970 to the current one."""
    year, number = int(found.group(1)), int(found.group(2))
    if not 1 <= number <= 12 or year < 1970:
        raise TicketError("{typed} is not a month; use YYYY-MM, e.g. 2026-03", typed=typed)
    current = datetime.fromtimestamp(now, ZoneInfo(timezone))
    if (year, number) > (current.year, current.month):
        latest = f"{current.year:04d}-{current.month:02d}"
        raise TicketError("{typed} has not begun yet; give a month up to {month}",
                          typed=typed, month=latest)
    return month(year, number, timezone)
