"""``PLANS`` and ``CALENDARS``: read from JSON, validated, each mistake named with its fix."""

from __future__ import annotations

import itertools
import json
import re
from datetime import date, timedelta
from typing import Any

import holidays
from pydantic import TypeAdapter, ValidationError

from bot.domain.calendar import DAY, Calendar, CalendarError
from bot.domain.plans import ROLES, STANDARD, Ladder, Plan, Rung, default_plans, merge_plan
from bot.domain.text import blank, clean_line
from bot.domain.tickets import Severity

_duration = TypeAdapter(timedelta)
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_INTERVAL = re.compile(r"^(\d{2}):(\d{2})(?::(\d{2}))?-(\d{2}):(\d{2})(?::(\d{2}))?$")
_HOLIDAY_CODE = re.compile(r"^([A-Z]{2,3})(?:-([A-Z0-9]{1,5}))?$")
PLAN_TABLES = ("update_every", "next_response", "resolve_within")
PLAN_KEYS = (*PLAN_TABLES, "calendar", "24x7", "csat", "escalation", "message_severity")
_GROUP_OR_CHANNEL = re.compile(r"^[SC][A-Z0-9]{6,}$")
_AFTER_BREACH = re.compile(r"^breach(?:\+(.+))?$")
PLAN_NAME_MAX = 200
"""The longest plan name taken: a client's plan is named in full in every triage post."""
HOURS_MAX = 2000
"""The longest a calendar's hours may be written out (``Calendar.describe``): the card and
the triage post show them in full, in one block of Slack's 3,000 characters."""


def parse_duration(value: Any, where: str) -> int:
    """Seconds (a number) or ISO 8601 (``PT2H``, ``P1D``) -> whole seconds, positive."""
    if isinstance(value, bool):
        raise ValueError(f"{where}: {value!r} is not a duration; give seconds or ISO 8601")
    try:
        seconds = _duration.validate_python(value).total_seconds()
    except ValidationError:
        raise ValueError(
            f"{where}: {value!r} is not a duration; give seconds (3600) or ISO 8601 (PT1H)"
        ) from None
    if seconds <= 0 or seconds != int(seconds):
        raise ValueError(f"{where}: {value!r} must be a positive whole number of seconds")
    return int(seconds)


def _severity(name: Any, where: str) -> Severity:
    try:
        return Severity(str(name).lower())
    except ValueError:
        known = ", ".join(s.value for s in Severity)
        raise ValueError(f"{where}: unknown severity {name!r} (use {known})") from None


def _object(value: Any, where: str, shape: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be a JSON object: {shape}")
    return value


def json_object(raw: str, shape: str) -> dict[str, Any]:
    """A setting's JSON object (``shape``: an example, for the error message)."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at character {exc.pos})") from None
    return _object(data, "it", shape)


def parse_plans(raw: str, calendars: dict[str, Calendar]) -> dict[str, Plan]:
    """``PLANS`` JSON merged over the defaults; every plan not named builds on ``standard``."""
    plans = default_plans()
    if not raw.strip():
        return plans
    data = json_object(raw, '{"premium": {"critical": 1800, ...}}')
    for name, spec in sorted(data.items(), key=lambda item: item[0] != STANDARD):
        if blank(name) or len(name) > PLAN_NAME_MAX or clean_line(name) != name:
            over = f" (it has {len(name)})" if len(name) > PLAN_NAME_MAX else ""
            raise ValueError(f"plan {name[:40]!r}{'…' if len(name) > 40 else ''}: a plan's "
                             f"name is 1 to {PLAN_NAME_MAX} characters on one line, without "
                             f"control characters{over}")
        spec = _object(spec, f"plan {name!r}", "severity -> target, and the plan's keys")
        changes: dict[str, Any] = {"targets": {}}
        for key, value in spec.items():
            where = f"{name}.{key}"
            if key in PLAN_TABLES:
                table = _object(value, where, "severity -> duration (or null: none)")
                changes[key] = {_severity(s, f"{where}.{s}"): None if v is None
                                else parse_duration(v, f"{where}.{s}") for s, v in table.items()}
            elif key == "calendar":
                if value not in calendars:
                    known = ", ".join(sorted(calendars)) or "none: set CALENDARS"
                    raise ValueError(f"{where}: no calendar {value!r} (known: {known})")
                changes["calendar"] = calendars[value]
            elif key == "24x7":
                if not isinstance(value, list):
                    raise ValueError(f"{where} must be a list of severities: [\"critical\"]")
                changes["always"] = frozenset(_severity(s, where) for s in value)
            elif key == "escalation":
                table = _object(value, where, 'severity -> [{"at": 0.5, "notify": [...]}, ...]')
                changes["escalation"] = {_severity(sev, f"{where}.{sev}"):
                                         _ladder(steps, f"{where}.{sev}")
                                         for sev, steps in table.items()}
            elif key == "message_severity":
                changes["message_severity"] = None if value is None else _severity(value, where)
            elif key == "csat":
                if not isinstance(value, bool):
                    raise ValueError(f"{where} must be true or false")
                changes["csat"] = value
            else:
                try:
                    severity = Severity(key.lower())
                except ValueError:
                    raise ValueError(
                        f"plan {name!r}: unknown severity {key!r} (use "
                        f"{', '.join(s.value for s in Severity)}; or one of the plan's keys: "
                        f"{', '.join(PLAN_KEYS)})") from None
                changes["targets"][severity] = parse_duration(value, where)
        plans[name] = merge_plan(name, plans[STANDARD], **changes)
    return plans


def _ladder(steps: Any, where: str) -> Ladder:
    """An escalation ladder: a list of steps, each ``{"at": 0.5 | "breach" | "breach+PT1H",
    "notify": [...], "every": duration, "times": n}``."""
    if not isinstance(steps, list) or not steps:
        raise ValueError(f"{where} must be a non-empty list of steps: "
                         '[{"at": 0.5, "notify": ["account_manager"]}, ...]')
    rungs = []
    for i, step in enumerate(steps):
        here = f"{where}[{i}]"
        step = _object(step, here, '{"at": 0.5, "notify": ["account_manager"]}')
        unknown = set(step) - {"at", "notify", "every", "times"}
        if unknown:
            raise ValueError(f"{here}: unknown key(s) {', '.join(sorted(unknown))} "
                             "(use at, notify, every, times)")
        notify = step.get("notify")
        if not isinstance(notify, list) or not notify or not all(
                isinstance(n, str) and (n in ROLES or _GROUP_OR_CHANNEL.match(n))
                for n in notify):
            raise ValueError(f"{here}.notify must list some of {', '.join(ROLES)}, a user "
                             "group ID (S0123ABCD) or a channel ID (C0123ABCD)")
        at = step.get("at")
        share, after = None, 0
        if isinstance(at, int | float) and not isinstance(at, bool) and 0 < at < 1:
            share = float(at)
        elif isinstance(at, str) and (found := _AFTER_BREACH.match(at)):
            after = parse_duration(found.group(1), f"{here}.at") if found.group(1) else 0
        else:
            raise ValueError(f"{here}.at must be a share of the window (0.5), \"breach\", or "
                             f"\"breach+PT1H\"; not {at!r}")
        every = parse_duration(step["every"], f"{here}.every") if "every" in step else None
        times = step.get("times", 0)
        if not isinstance(times, int) or isinstance(times, bool) or not 0 <= times <= 100:
            raise ValueError(f"{here}.times must be a whole number from 0 to 100")
        if (every is None) != (times == 0) or (every and share is not None):
            raise ValueError(f"{here}: re-notify with both every and times, on a step at or "
                             "after the breach")
        rungs.append(Rung(tuple(notify), share=share, after=after, every=every, times=times))
    return tuple(rungs)


def parse_calendars(raw: str, today: date | None = None) -> dict[str, Calendar]:
    """``CALENDARS`` JSON: name -> timezone, weekly hours, holidays (dates or country codes,
    read from the ``holidays`` package for the years around ``today``)."""
    if not raw.strip():
        return {}
    data = json_object(raw, '{"office": {"timezone": "Europe/Rome", "hours": {...}}}')
    year = (today or date.today()).year
    found = {}
    for name, spec in data.items():
        spec = _object(spec, f"calendar {name!r}", '{"timezone": ..., "hours": ...}')
        unknown = set(spec) - {"timezone", "hours", "holidays"}
        if unknown:
            raise ValueError(f"calendar {name!r}: unknown key(s) {', '.join(sorted(unknown))} "
                             "(use timezone, hours, holidays)")
        timezone = spec.get("timezone")
        if not isinstance(timezone, str) or not _known_zone(timezone):
            raise ValueError(f"{name}.timezone: {timezone!r} is not an IANA timezone "
                             "(e.g. Europe/Rome, America/New_York, UTC)")
        week = _week(_object(spec.get("hours"), f"{name}.hours",
                             '{"mon-fri": ["09:00-13:00", "14:00-18:00"]}'), name)
        days = _holidays(spec.get("holidays", []), name, range(year - 2, year + 9))
        try:
            found[name] = Calendar(name, timezone, week, days)
        except CalendarError as exc:
            raise ValueError(str(exc)) from None
        written = len(found[name].describe())
        if written > HOURS_MAX:
            raise ValueError(f"{name}.hours: written out, the hours take {written} characters, "
                             f"more than the {HOURS_MAX} a ticket's card shows; use fewer "
                             "intervals")
    return found


def _known_zone(name: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _week(hours: dict[str, Any], name: str) -> tuple[tuple[tuple[int, int], ...], ...]:
    week: list[list[tuple[int, int]]] = [[] for _ in _DAYS]
    for days, intervals in hours.items():
        where = f"{name}.hours.{days}"
        if not isinstance(intervals, list):
            raise ValueError(f"{where} must be a list of intervals: [\"09:00-17:00\"]")
        spans = sorted(_interval(i, where) for i in intervals)
        for a, b in itertools.pairwise(spans):
            if b[0] < a[1]:
                raise ValueError(f"{where}: intervals overlap")
        for day in _day_range(days, where):
            week[day] += spans
    return tuple(_merged(day) for day in week)


def _merged(spans: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """A day's intervals, overlapping or touching ones made one (a day given twice, by a
    range and by its own name, counts its hours once)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def _day_range(text: str, where: str) -> range:
    parts = text.lower().split("-")
    if len(parts) > 2 or any(p not in _DAYS for p in parts):
        raise ValueError(f"{where}: {text!r} is not a day or a range of days (mon..sun, "
                         "mon-fri)")
    first, last = _DAYS.index(parts[0]), _DAYS.index(parts[-1])
    if last < first:
        raise ValueError(f"{where}: {text!r} runs backwards")
    return range(first, last + 1)


def _interval(text: Any, where: str) -> tuple[int, int]:
    found = _INTERVAL.match(text) if isinstance(text, str) else None
    if found is None:
        raise ValueError(f"{where}: {text!r} is not an interval HH:MM-HH:MM (or HH:MM:SS)")
    h1, m1, s1, h2, m2, s2 = (int(g or 0) for g in found.groups())
    start, end = h1 * 3600 + m1 * 60 + s1, h2 * 3600 + m2 * 60 + s2
    if end in (DAY - 60, DAY - 1):
        end = DAY  # 23:59 (or 23:59:59) ends the day: no gap at midnight
    if h1 > 23 or m1 > 59 or s1 > 59 or m2 > 59 or s2 > 59 or end > DAY or end <= start:
        raise ValueError(f"{where}: {text!r} is not an interval of one day "
                         "(start before end, 24:00 at the latest)")
    return start, end


def _holidays(entries: Any, name: str, years: range) -> frozenset[date]:
    if not isinstance(entries, list):
        raise ValueError(f"{name}.holidays must be a list of dates and country codes: "
                         '["IT", "US-NY", "2026-12-24"]')
    days: set[date] = set()
    for entry in entries:
        text = str(entry)
        try:
            days.add(date.fromisoformat(text))
            continue
        except ValueError:
            pass
        code = _HOLIDAY_CODE.match(text)
        if code is None:
            raise ValueError(f"{name}.holidays: {text!r} is neither a date (2026-12-24) nor a "
                             "country code (IT, US-NY)")
        try:
            days |= set(holidays.country_holidays(code.group(1), subdiv=code.group(2),
                                                  years=list(years)).keys())
        except NotImplementedError:
            raise ValueError(f"{name}.holidays: no holidays known for {text!r}") from None
    return frozenset(days)
