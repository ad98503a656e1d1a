"""Every message and view the desk renders is Block Kit that Slack and slack-sdk take, from
odd and hostile inputs within what the start and the intake accept.

Each is checked by slack-sdk's models (``to_dict()`` validates) and by the stand-in's rules
(``bot.sandbox.limits``: 50 blocks a message, 100 a modal or Home, 3,000 a section or a text
object, 150 a header, 40,000 a message's text, an input's initial_value within its
max_length...), lengths counted in UTF-16 code units as Slack may count them. No control
character reaches Slack, and what a person wrote is shown whole. The inputs are in
``tests/strategies/rendered.py``; the end-to-end cases below are ones found so.
"""

from __future__ import annotations

import html
import json
import unicodedata
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.config.plans import parse_calendars
from bot.domain.home import Home
from bot.domain.identity import Identity
from bot.domain.listing import Listed, TicketRow
from bot.domain.reports import Row
from bot.domain.sla import SlaClock as Clock
from bot.domain.tickets import Client, Status, StatusChange, Ticket
from bot.sandbox.limits import message_error, view_error
from bot.slack_ui import messages, modals, notices
from bot.slack_ui.card import client_card
from bot.slack_ui.csat import comment_modal, comment_note
from bot.slack_ui.home import home_view
from bot.slack_ui.ids import (
    CommentRef,
    ModalMetadata,
    OpenTicketButton,
    OpenTicketValue,
    TicketRef,
)
from bot.slack_ui.reports import report_message
from bot.slack_ui.text import cut_plain, escape
from tests.conftest import CLIENT_CHANNEL, RunningApp, register_client
from tests.flows import find_post, open_ticket, triage_post
from tests.strategies.rendered import (
    CHANNELS,
    NUMBERS,
    TIMES,
    USERS,
    clients,
    clock_states,
    homes,
    report_rows,
    tickets,
    typed,
    windows,
)
from tests.strategies.text import hostile_text
from tests.test_hostile_input import prefilled_by_reaction

RENDERED = settings(max_examples=40, deadline=None, database=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])
IDENTITY = Identity("T0VENDOR01", "U0DESKBOT1", "https://vendor.slack.com/")


def slack_length(text: str) -> int:
    """UTF-16 code units: an emoji is two."""
    return len(text.encode("utf-16-le")) // 2


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def clean(payload: Any) -> None:
    for text in strings(payload):
        odd = [c for c in text if unicodedata.category(c) == "Cc" and c not in "\n\t"]
        assert not odd, f"control characters {odd!r} in {text[:200]!r}"


def sent(text: str, blocks: list[dict[str, Any]] | None = None) -> None:
    """A message Slack and slack-sdk take."""
    refused = message_error({"text": text, "blocks": blocks})
    assert refused is None, refused
    for block in blocks or []:
        Block.parse(block).to_dict()  # type: ignore[union-attr]
    clean([text, blocks])


def opened(view: dict[str, Any]) -> None:
    """A modal or Home Slack and slack-sdk take."""
    refused = view_error(view)
    assert refused is None, refused
    View(**view).to_dict()
    for block in view["blocks"]:
        element = block.get("element") or {}
        if "initial_value" in element:
            assert slack_length(element["initial_value"]) <= element["max_length"]
    clean(view)


def whole(blocks: list[dict[str, Any]], text: str) -> None:
    """``text`` is in the message, all of it (pieces are cut at spaces and line ends)."""
    shown = html.unescape("".join(e["text"] for b in blocks if b["type"] == "context"
                                  for e in b["elements"]))
    assert "".join(shown.split()) == "".join(text.split())


@RENDERED
@given(ticket=tickets(), client=st.none() | clients(), data=st.data())
def test_the_triage_post_and_the_card(ticket: Ticket, client: Client | None,
                                      data: st.DataObject) -> None:
    window = data.draw(windows(ticket))
    clocks = data.draw(clock_states())
    hours = window.calendar.describe() if window.calendar else None
    breached = data.draw(st.booleans())
    link = data.draw(st.none() | st.just("https://vendor.slack.com/archives/C0ENG/p1"))
    now = data.draw(TIMES)
    text, blocks = messages.triage_message(ticket, client, window, IDENTITY, breached=breached,
                                           engineering_link=link, clocks=clocks, hours=hours)
    sent(text, blocks)
    whole(blocks, ticket.description)
    text, blocks = client_card(ticket, client, window, breached=breached, clocks=clocks,
                               hours=hours)
    sent(text, blocks)
    whole(blocks, ticket.description)
    row = TicketRow(ticket, window, breached, clocks, hours)
    for internal in (True, False):
        sent(messages.ticket_listing(Listed([row] * 25, 1000), now, internal=internal))
    sent(messages.ticket_listing(Listed([row], 1), now, internal=True, detailed=True))


@RENDERED
@given(ticket=tickets(), client=st.none() | clients(), by=USERS, data=st.data())
def test_what_the_client_thread_and_engineering_are_told(
        ticket: Ticket, client: Client | None, by: str, data: st.DataObject) -> None:
    link = data.draw(st.none() | st.just("https://vendor.slack.com/archives/C0TRIAGE01/p1"))
    window = data.draw(windows(ticket))
    update = data.draw(typed(3000))
    resolved = StatusChange(ticket.created_at, by, Status.CLAIMED, Status.RESOLVED)
    for change in (*ticket.status_changes, resolved):
        if change.new is not Status.OPEN:
            for csat in (True, False):
                text, blocks = messages.status_notice(ticket, change, 7, csat=csat)
                sent(text, blocks)
    sent(*messages.engineering_message(ticket, client, by, link))
    if ticket.severity_changes:
        sent(messages.severity_notice(ticket, window))
    sent(escape(cut_plain(update, 3000)), messages.message_sections(update))
    sent(*messages.reaction_prompt(OpenTicketButton(prefill=f"{ticket.channel}:{by}")))
    if client is not None:
        sent(*messages.welcome_message(client))
    for rating in ticket.ratings:
        if rating.comment:
            sent(comment_note(ticket, rating.user))


@RENDERED
@given(ticket=tickets(heavy=False), client=st.none() | clients(), data=st.data())
def test_reminders_and_alerts(ticket: Ticket, client: Client | None,
                              data: st.DataObject) -> None:
    window = data.draw(windows(ticket))
    now = data.draw(st.floats(window.start, window.deadline + 10**7))
    link = data.draw(st.none() | st.just("https://vendor.slack.com/archives/C0ACME/p1"))
    told = data.draw(st.lists(USERS, max_size=5))
    alerted = data.draw(st.lists(st.sampled_from(["S0GROUP001", "C0ESCAL001"]), max_size=2))
    emailed = data.draw(st.none() | st.emails())
    error = data.draw(hostile_text(4000))
    for clock in (Clock.INITIAL, Clock.NEXT, Clock.RESOLUTION):
        sent(notices.warning_dm(ticket, client, window, now, link, clock))
        sent(notices.warning_note(ticket, client, window, now, told, clock))
        sent(notices.breach_dm(ticket, client, window, now, link, link, clock))
        sent(notices.breach_note(ticket, window, now, clock=clock, told=told,
                                  alerted=alerted, emailed=emailed))
        sent(notices.group_alert(ticket, client, clock, True, "S0GROUP001", link))
    sent(notices.update_overdue_dm(ticket, client, window.start, now, link))
    sent(notices.update_overdue_note(ticket, window.start, now, told))
    sent(notices.problem_note("post in <#C0ACME>", error, "Invite it."))


@RENDERED
@given(home=homes())
def test_app_home(home: Home) -> None:
    opened(home_view(home))


@RENDERED
@given(rows=report_rows(), name=typed(100, line=True), tickets=st.integers(0, 10**6))
def test_the_report(rows: list[Row], name: str, tickets: int) -> None:
    for title in (f"SLA report last 30 days — {name}", "Monthly statement 2026-03 — x"):
        sent(*report_message(title, rows, tickets))
    sent(messages.report_on_its_way("last 30 days", name))


@RENDERED
@given(ticket=tickets(heavy=False), channel=CHANNELS, number=NUMBERS, data=st.data())
def test_the_modals(ticket: Ticket, channel: str, number: int, data: st.DataObject) -> None:
    prefill = OpenTicketValue(title=data.draw(hostile_text(400)),
                              description=data.draw(hostile_text(12_000) | typed(12_000)),
                              source_link="https://vendor.slack.com/archives/C0ACME/p1")
    meta = ModalMetadata(channel=channel, reporter=data.draw(st.none() | USERS),
                         source_link=prefill.source_link)
    window = data.draw(windows(ticket))
    opened(modals.ticket_modal(meta, prefill))
    opened(modals.ticket_modal(meta, OpenTicketValue(title=prefill.description)))
    opened(modals.ticket_opened_modal(ticket, window))
    opened(modals.resolve_modal(TicketRef(ticket=number)))
    opened(modals.update_modal(TicketRef(ticket=number)))
    opened(comment_modal(CommentRef(ticket=number, channel=channel)))


# -- found so, end to end -------------------------------------------------------------------

LONG_PLAN = "&" * 200
SHIFTS = {"shifts": {"timezone": "America/Argentina/ComodRivadavia", "hours": {
    day: [f"{h:02d}:0{d}:1{d}-{h:02d}:5{d}:5{d}" for h in range(0, 24, 2)]
    for d, day in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))}}}
"""Twelve intervals a day, to the second, each day its own: the longest hours to write out."""
TARGETS = {"critical": 40, "high": 60, "medium": 80, "low": 120}


def within_block_kit(blocks: list[dict[str, Any]]) -> None:
    assert message_error({"text": "t", "blocks": blocks}) is None
    for block in blocks:
        Block.parse(block).to_dict()  # type: ignore[union-attr]


@pytest.mark.parametrize("settings_extra", [{
    "calendars": json.dumps(SHIFTS),
    "plans": json.dumps({"standard": TARGETS, LONG_PLAN: {**TARGETS, "calendar": "shifts"}})}])
async def test_a_long_plan_name_and_shift_hours_still_post_in_full(app: RunningApp) -> None:
    await register_client(app.runtime, name="&" * 100, plan=LONG_PLAN, phone="&" * 40)
    number = await open_ticket(app, "&" * 150, "Critical", "Everything & more is down.")
    post = await triage_post(app, number)
    card = await app.slack.wait_for(lambda: find_post(app, CLIENT_CHANNEL, f"T-{number}"))
    hours = parse_calendars(json.dumps(SHIFTS))["shifts"].describe()
    for message in (post, card):
        within_block_kit(message.blocks)
        shown = html.unescape(json.dumps([b.get("text") for b in message.blocks]))
        assert hours in shown and "&" * 150 in shown
    sections = "\n".join(b["text"]["text"] for b in post.blocks if b["type"] == "section")
    assert f"({LONG_PLAN})" in html.unescape(sections)


async def test_a_description_of_emoji_is_cut_as_slack_counts(app: RunningApp) -> None:
    await register_client(app.runtime)
    description = "\U0001f3ab" * 3000  # 3,000 characters, 6,000 UTF-16 code units
    number = await open_ticket(app, "Tickets", "Low", description)
    post = await triage_post(app, number)
    card = await app.slack.wait_for(lambda: find_post(app, CLIENT_CHANNEL, f"T-{number}"))
    for message in (post, card):
        within_block_kit(message.blocks)
        whole(message.blocks, description)


async def test_a_reaction_on_a_message_of_emoji_prefills_within_the_fields(
        app: RunningApp) -> None:
    await register_client(app.runtime)
    _, modal = await prefilled_by_reaction(
        app, "\U0001f525" * 200 + "\n" + "\U0001f3ab" * 4000, "EvEmoji1")
    opened(modal)
    fields = {b["label"]["text"]: b["element"] for b in modal["blocks"] if b["type"] == "input"}
    assert "more characters in the original" in fields["Description"]["initial_value"]


async def test_a_stack_trace_split_across_blocks_keeps_its_indentation(
        app: RunningApp) -> None:
    await register_client(app.runtime)
    frames = "".join(f'  File "<app>/jobs/step_{i}.py", line {i}, in <module>\n'
                     f"    run(<payload {i}>)\n" for i in range(36))
    description = "Traceback (most recent call last):\n" + frames + "ValueError: <bad>"
    assert len(description) <= 3000 < len(escape(description))
    number = await open_ticket(app, "Job crashes", "High", description)
    post = await triage_post(app, number)
    quoted = [e["text"] for b in post.blocks if b["type"] == "context" for e in b["elements"]]
    assert len(quoted) > 1  # the description continues in a second block
    lines = html.unescape("\n".join(quoted)).split("\n")
    assert lines == description.split("\n")
