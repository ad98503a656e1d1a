"""What the desk renders, built from odd and hostile inputs within what it accepts.

Text a person types is drawn from ``text``'s hostile texts and from texts at a form's limit
made of what grows when escaped (``&`` is five characters as ``&amp;``), what Slack may count
twice (an emoji) and what a cut must not split (a combining accent, an indented line), then
cleaned as intake cleans it and held to the form's limit, never blank. Clients are within
``clients set``'s limits; plans and calendars are what ``PLANS`` and ``CALENDARS`` accept at
the start (read by the desk's own parser); clocks, App Home pages and report rows are any
the desk may build from those.
"""

from __future__ import annotations

import functools
import json
from typing import Final

from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from bot.cli import NAME_MAX, PHONE_MAX
from bot.config.plans import PLAN_NAME_MAX, parse_calendars
from bot.domain.calendar import Calendar
from bot.domain.csat import COMMENT_MAX
from bot.domain.home import PAGE, Home, HomeRow, Part, Section
from bot.domain.reports import ALL, COLUMNS, EVERYONE, Row, Value
from bot.domain.sla import ClockState, Window
from bot.domain.sla import SlaClock as Clock
from bot.domain.text import blank, clean_block, clean_line
from bot.domain.tickets import (
    Client,
    Rating,
    Severity,
    SeverityChange,
    Status,
    StatusChange,
    Ticket,
)
from bot.domain.urgency import Urgency
from bot.slack_ui.ids import DESCRIPTION_MAX, TITLE_MAX
from tests.support.strategies.text import hostile_text

USERS: Final = st.from_regex(r"\A[UW][A-Z0-9]{8,10}\Z")
CHANNELS: Final = st.from_regex(r"\AC[A-Z0-9]{8,10}\Z")
TIMES: Final = st.floats(1_500_000_000, 2_000_000_000)
NUMBERS: Final = st.integers(1, 999_999_999_999)
TS: Final = st.builds(lambda s, u: f"{s}.{u:06d}", st.integers(1_500_000_000, 1_999_999_999),
                      st.integers(0, 999_999))
HEAVY: Final = ("&", "<", ">", "\U0001f3ab", "e\u0301", "\U0001f469\u200d\U0001f4bb", " ",
                "\n", "\n    at ", "x", "*", "`", "\u200b", "\x01")
"""What grows when escaped or as Slack may count it, or what a cut must not split."""
ZONES: Final = ("UTC", "Europe/Rome", "America/Argentina/ComodRivadavia",
                "America/North_Dakota/New_Salem")
DAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@functools.cache
def typed(most: int, *, line: bool = False) -> SearchStrategy[str]:
    """What a person may send in a field of ``most`` characters, as intake keeps it."""
    clean = clean_line if line else clean_block
    full = st.builds(lambda units: ("".join(units) * most)[:most],
                     st.lists(st.sampled_from(HEAVY), min_size=1, max_size=4))
    return st.one_of(hostile_text(most), full).map(
        lambda raw: clean(clean(raw)[:most])).map(lambda kept: "-" if blank(kept) else kept)


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    """A calendar ``CALENDARS`` accepts: up to 16 intervals a day, to the second, each day
    its own, in a timezone with a long name or a short one."""
    hours: dict[str, list[str]] = {}
    for day in DAYS:
        starts = sorted(draw(st.sets(st.integers(0, 23), max_size=16)))
        hours[day] = [f"{h:02d}:{a // 60:02d}:{a % 60:02d}-{h:02d}:{b // 60:02d}:{b % 60:02d}"
                      for h in starts for a, b in [sorted(draw(st.sets(
                          st.integers(0, 3599), min_size=2, max_size=2)))]]
    raw = json.dumps({"hours": {"timezone": draw(st.sampled_from(ZONES)), "hours": hours}})
    try:
        return parse_calendars(raw)["hours"]
    except ValueError:
        assume(False)  # not a calendar the start accepts
        raise


def plan_names() -> SearchStrategy[str]:
    return st.one_of(st.just("standard"), typed(PLAN_NAME_MAX, line=True))


def clients() -> SearchStrategy[Client]:
    return st.builds(Client, channel=CHANNELS, name=typed(NAME_MAX, line=True),
                     plan=plan_names(), account_manager=st.none() | USERS,
                     phone=st.none() | typed(PHONE_MAX, line=True))


@st.composite
def tickets(draw: st.DrawFn, *, heavy: bool = True) -> Ticket:
    """A ticket in any status, with what people wrote at the forms' limits (``heavy``)."""
    status = draw(st.sampled_from(Status))
    created = draw(TIMES)
    after = st.floats(created, created + 10**7)
    text = typed(DESCRIPTION_MAX) if heavy else st.just("d")
    changes = draw(st.lists(st.builds(StatusChange, at=after, by=USERS,
                                      old=st.sampled_from(Status), new=st.sampled_from(Status)),
                            max_size=3))
    ratings = draw(st.lists(st.builds(Rating, user=USERS, score=st.integers(1, 5), at=after,
                                      comment=st.none() | typed(COMMENT_MAX)),
                            max_size=3, unique_by=lambda r: r.user)) if heavy else []
    return Ticket(
        number=draw(NUMBERS), channel=draw(CHANNELS), reporter=draw(USERS),
        title=draw(typed(TITLE_MAX, line=True)), description=draw(text),
        severity=draw(st.sampled_from(Severity)), created_at=created, status=status,
        assignee=None if status is Status.OPEN else draw(USERS),
        first_response_at=draw(st.none() | after), client_ts=draw(st.none() | TS),
        resolved_at=draw(after) if status is Status.RESOLVED else None,
        severity_changes=tuple(draw(st.lists(st.builds(
            SeverityChange, at=after, by=USERS, old=st.sampled_from(Severity),
            new=st.sampled_from(Severity)), max_size=2))),
        status_changes=tuple(changes),
        resolution=draw(text) if status is Status.RESOLVED else None,
        previous_resolution=draw(st.none() | text) if heavy else None,
        reopened_at=draw(st.none() | after), engineering_ts=draw(st.none() | TS),
        source_link=draw(st.none() | st.builds(
            lambda c, t: f"https://acme.slack.com/archives/{c}/p{t.replace('.', '')}",
            CHANNELS, TS)),
        ratings=tuple(ratings))


@st.composite
def windows(draw: st.DrawFn, ticket: Ticket) -> Window:
    length = draw(st.integers(60, 30 * 86_400))
    return Window(start=ticket.created_at, length=length,
                  deadline=ticket.created_at + draw(st.integers(length, 10 * length)),
                  calendar=draw(st.none() | calendars()))


def clock_states() -> SearchStrategy[list[ClockState]]:
    return st.lists(st.builds(ClockState, clock=st.sampled_from(
        (Clock.NEXT, Clock.UPDATE, Clock.RESOLUTION)), due=st.none() | TIMES,
        breached=st.booleans()), max_size=3, unique_by=lambda c: c.clock)


@st.composite
def homes(draw: st.DrawFn) -> Home:
    """A person's App Home: any sections, each a page of up to ``PAGE`` rows (drawn from a
    few tickets and clients: a page of ten is as long with ten of the same)."""
    rows = draw(st.lists(st.builds(
        HomeRow, ticket=tickets(heavy=False), client=st.none() | clients(),
        urgency=st.builds(Urgency, due=st.none() | TIMES, warn=st.none() | TIMES)),
        min_size=1, max_size=3))
    parts = []
    for section in draw(st.lists(st.sampled_from(Section), unique=True)):
        shown = draw(st.lists(st.sampled_from(rows), max_size=PAGE))
        page = draw(st.integers(0, 100))
        parts.append(Part(section=section, rows=shown, page=page,
                          total=page * PAGE + len(shown) + draw(st.integers(0, 10_000))))
    return Home(user=draw(USERS), staff=draw(st.booleans()), parts=parts, now=draw(TIMES))


def values() -> SearchStrategy[Value]:
    return st.one_of(st.none(), st.integers(0, 10**9), st.floats(0, 10**9))


def report_rows() -> SearchStrategy[list[Row]]:
    """A report's rows: clients by name (or channel), over all severities and per severity."""
    who = st.one_of(typed(NAME_MAX, line=True), CHANNELS, st.just(EVERYONE))
    return st.lists(st.builds(Row, client=who, severity=st.sampled_from(
        (ALL, *(s.value for s in Severity))), values=st.tuples(*(values() for _ in COLUMNS))),
        max_size=60)
