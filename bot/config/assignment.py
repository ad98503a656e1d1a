"""The settings of automatic assignment: ``ASSIGNMENT``, ``SHIFTS``, ``AWAY_EMOJI``,
``REASSIGN_AFTER``."""

from __future__ import annotations

import re

from bot.config.plans import json_object, parse_calendars, parse_duration
from bot.domain.assignment import Rule
from bot.domain.calendar import Calendar

USER = re.compile(r"^[UW][A-Z0-9]{6,}$")
EMOJI = re.compile(r"^:[a-z0-9_+'-]+:$")


def parse_rule(value: str, support_team: str | None) -> Rule:
    try:
        rule = Rule(value.lower())
    except ValueError:
        known = ", ".join(r.value for r in Rule)
        raise ValueError(f"unknown rule {value!r} (use {known})") from None
    if rule is not Rule.NONE and support_team is None:
        raise ValueError(f"{rule.value} needs SUPPORT_TEAM: set SUPPORT_TEAM to the user group "
                         "(S...) or the user IDs to assign among, or ASSIGNMENT=none")
    return rule


def parse_shifts(raw: str, calendars: str) -> dict[str, Calendar]:
    """``{"U0123ABCD": "office"}``: user ID -> a calendar of ``CALENDARS`` (no entry: always
    on shift)."""
    if not raw:
        return {}
    known = parse_calendars(calendars)
    shifts = {}
    for user, name in json_object(raw, '{"U0123ABCD": "office"}').items():
        if not USER.match(user):
            raise ValueError(f"{user!r} is not a user ID (U0123ABCD)")
        if name not in known:
            raise ValueError(f"{user}: no calendar {name!r} in CALENDARS "
                             f"({', '.join(sorted(known)) or 'none set'})")
        shifts[user] = known[name]
    return shifts


def parse_away(raw: str) -> frozenset[str]:
    emoji = [e.strip() for e in raw.split(",") if e.strip()]
    bad = [e for e in emoji if not EMOJI.match(e)]
    if bad:
        raise ValueError(f"give emoji codes separated by commas (:palm_tree:,:airplane:); not "
                         f"emoji codes: {', '.join(bad)}")
    return frozenset(emoji)


def parse_reassign_after(value: str | None) -> float | None:
    return None if value is None else float(parse_duration(value, "the duration"))
