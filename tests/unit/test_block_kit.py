"""Every message and view the desk renders is Block Kit that Slack and slack-sdk take, from
odd and hostile inputs within what the start and the intake accept.

Each is checked by slack-sdk's models (``to_dict()`` validates) and by the stand-in's rules
(``bot.sandbox.limits``: 50 blocks a message, 100 a modal or Home, 3,000 a section or a text
object, 150 a header, 40,000 a message's text, an input's initial_value within its
max_length...), lengths counted in UTF-16 code units as Slack may count them. No control
character reaches Slack, and what a person wrote is shown whole. The inputs are in
``tests/support/strategies/rendered.py``; the end-to-end cases found so are in
``tests/app/test_block_kit.py``.
"""

from __future__ import annotations

import json
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config.languages import available
from bot.domain.home import Home
from bot.domain.identity import Identity
from bot.domain.listing import Listed, TicketRow
from bot.domain.reports import Row
from bot.domain.sla import SlaClock as Clock
from bot.domain.sla import Window
from bot.domain.text import clean_block, clean_line
from bot.domain.tickets import Client, Status, StatusChange, Ticket
from bot.slack_ui import listing, messages, modals, notices
from bot.slack_ui.card import client_card
from bot.slack_ui.csat import comment_modal, comment_note
from bot.slack_ui.home import home_view
from bot.slack_ui.ids import (
    BlockId,
    CommentRef,
    ModalMetadata,
    OpenTicketButton,
    OpenTicketValue,
    TicketRef,
)
from bot.slack_ui.reports import report_message
from bot.slack_ui.text import cut_plain, escape, slack_len
from bot.slack_ui.words import Words, words_for
from tests.support.block_kit import opened, sent, whole
from tests.support.strategies.rendered import (
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
from tests.support.strategies.text import hostile_text
from tests.support.tickets import draft

RENDERED = settings(max_examples=min(40, settings().max_examples), deadline=None,
                    database=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])
"""40 examples in the full run; fewer with the fast tier's quick profile."""
IDENTITY = Identity("T0VENDOR01", "U0DESKBOT1", "https://vendor.slack.com/")
WORDS = st.sampled_from([words_for(language) for language in available()])
"""Every language the desk speaks: each renders within the same limits."""


@RENDERED
@given(w=WORDS, ticket=tickets(), client=st.none() | clients(), data=st.data())
def test_the_triage_post_and_the_card(w: Words, ticket: Ticket, client: Client | None,
                                      data: st.DataObject) -> None:
    window = data.draw(windows(ticket))
    clocks = data.draw(clock_states())
    hours = w.hours(window.calendar) if window.calendar else None
    breached = data.draw(st.booleans())
    link = data.draw(st.none() | st.just("https://vendor.slack.com/archives/C0ENG/p1"))
    now = data.draw(TIMES)
    text, blocks = messages.triage_message(w, ticket, client, window, IDENTITY, breached=breached,
                                           engineering_link=link, clocks=clocks, hours=hours)
    sent(text, blocks)
    whole(blocks, ticket.description)
    text, blocks = client_card(w, ticket, client, window, breached=breached, clocks=clocks,
                               hours=hours)
    sent(text, blocks)
    whole(blocks, ticket.description)
    row = TicketRow(ticket, window, breached, clocks, window.calendar)
    for internal in (True, False):
        sent(listing.ticket_listing(w, Listed([row] * 25, 1000), now, internal=internal))
    sent(listing.ticket_listing(w, Listed([row], 1), now, internal=True, detailed=True))


@RENDERED
@given(w=WORDS, ticket=tickets(), client=st.none() | clients(), by=USERS, data=st.data())
def test_what_the_client_thread_and_engineering_are_told(w: Words,
        ticket: Ticket, client: Client | None, by: str, data: st.DataObject) -> None:
    link = data.draw(st.none() | st.just("https://vendor.slack.com/archives/C0TRIAGE01/p1"))
    window = data.draw(windows(ticket))
    update = data.draw(typed(3000))
    resolved = StatusChange(ticket.created_at, by, Status.CLAIMED, Status.RESOLVED)
    for change in (*ticket.status_changes, resolved):
        if change.new is not Status.OPEN:
            for csat in (True, False):
                text, blocks = messages.status_notice(w, ticket, change, 7, csat=csat)
                sent(text, blocks)
    sent(*messages.engineering_message(w, ticket, client, by, link))
    if ticket.severity_changes:
        sent(messages.severity_notice(w, ticket, window))
    sent(escape(cut_plain(update, 3000)), messages.message_sections(update))
    sent(*messages.reaction_prompt(w, OpenTicketButton(prefill=f"{ticket.channel}:{by}")))
    if client is not None:
        sent(*messages.welcome_message(w, client))
    for rating in ticket.ratings:
        if rating.comment:
            sent(comment_note(w, ticket, rating.user))


@RENDERED
@given(w=WORDS, ticket=tickets(heavy=False), client=st.none() | clients(), data=st.data())
def test_reminders_and_alerts(w: Words, ticket: Ticket, client: Client | None,
                              data: st.DataObject) -> None:
    window = data.draw(windows(ticket))
    now = data.draw(st.floats(window.start, window.deadline + 10**7))
    link = data.draw(st.none() | st.just("https://vendor.slack.com/archives/C0ACME/p1"))
    told = data.draw(st.lists(USERS, max_size=5))
    alerted = data.draw(st.lists(st.sampled_from(["S0GROUP001", "C0ESCAL001"]), max_size=2))
    emailed = data.draw(st.none() | st.emails())
    error = data.draw(hostile_text(4000))
    for clock in (Clock.INITIAL, Clock.NEXT, Clock.RESOLUTION):
        sent(notices.warning_dm(w, ticket, client, window, now, link, clock))
        sent(notices.warning_note(w, ticket, client, window, now, told, clock))
        sent(notices.breach_dm(w, ticket, client, window, now, link, link, clock))
        sent(notices.breach_note(w, ticket, window, now, clock=clock, told=told,
                                  alerted=alerted, emailed=emailed))
        sent(notices.group_alert(w, ticket, client, clock, True, "S0GROUP001", link))
    sent(notices.update_overdue_dm(w, ticket, client, window.start, now, link))
    sent(notices.update_overdue_note(w, ticket, window.start, now, told))
    sent(notices.problem_note(w, "post in <#C0ACME>", error, "Invite it."))


@RENDERED
@given(w=WORDS, home=homes())
def test_app_home(w: Words, home: Home) -> None:
    opened(home_view(w, home))


@RENDERED
@given(w=WORDS, rows=report_rows(), name=typed(100, line=True), tickets=st.integers(0, 10**6))
def test_the_report(w: Words, rows: list[Row], name: str, tickets: int) -> None:
    for title in (f"SLA report last 30 days — {name}", "Monthly statement 2026-03 — x"):
        sent(*report_message(w, title, rows, tickets))
    sent(listing.report_on_its_way(w, "last 30 days", name))


@RENDERED
@given(w=WORDS, ticket=tickets(heavy=False), channel=CHANNELS, number=NUMBERS, data=st.data())
def test_the_modals(w: Words, ticket: Ticket, channel: str, number: int,
                    data: st.DataObject) -> None:
    prefill = OpenTicketValue(title=data.draw(hostile_text(400)),
                              description=data.draw(hostile_text(12_000) | typed(12_000)),
                              source_link="https://vendor.slack.com/archives/C0ACME/p1")
    meta = ModalMetadata(channel=channel, reporter=data.draw(st.none() | USERS),
                         source_link=prefill.source_link)
    window = data.draw(windows(ticket))
    opened(modals.ticket_modal(w, meta, prefill))
    opened(modals.ticket_modal(w, meta, OpenTicketValue(title=prefill.description)))
    opened(modals.ticket_opened_modal(w, ticket, window))
    opened(modals.resolve_modal(w, TicketRef(ticket=number)))
    opened(modals.update_modal(w, TicketRef(ticket=number)))
    opened(comment_modal(w, CommentRef(ticket=number, channel=channel)))


@RENDERED
@given(ticket=tickets(heavy=False), number=NUMBERS, data=st.data())
def test_the_edit_form_shows_each_text_whole_or_says_it_keeps_it(
        ticket: Ticket, number: int, data: st.DataObject) -> None:
    edited = replace(ticket, title=data.draw(hostile_text(400)),
                     description=data.draw(hostile_text(12_000) | typed(12_000)))
    view = modals.edit_ticket_modal(words_for("en"),
                                    ModalMetadata(channel=edited.channel, ticket=number), edited)
    opened(view)
    shown = {b["block_id"]: b["element"].get("initial_value") or ""
             for b in view["blocks"] if b["type"] == "input"}
    notes = json.dumps([b for b in view["blocks"] if b["type"] == "context"])
    for block, name, whole_text in ((BlockId.TITLE, "title", clean_line(edited.title)),
                                    (BlockId.DESCRIPTION, "description",
                                     clean_block(edited.description))):
        if block in shown:
            assert shown[block] == whole_text and f"The {name}" not in notes
        else:
            assert f"The {name}" in notes and "keeps it as it is" in notes


@given(st.text(st.characters(exclude_categories=()), max_size=60) | hostile_text())
def test_lengths_count_utf16_units_as_slack_may(text: str) -> None:
    # Beyond U+FFFF two units, anything else (a lone surrogate too) one.
    assert slack_len(text) == sum(2 if ord(c) > 0xFFFF else 1 for c in text)


def test_a_reporter_who_wrote_by_email_is_named_by_the_address_not_a_broken_mention() -> None:
    for language in available():
        w = words_for(language)
        ticket = replace(draft(), number=1042, reporter="dana@acme.example")
        window = Window(start=ticket.created_at, length=3600, deadline=ticket.created_at + 3600)
        _, card = client_card(w, ticket, None, window, breached=False, clocks=[], hours=None)
        _, post = messages.triage_message(w, ticket, None, window, IDENTITY, breached=False,
                                          engineering_link=None, clocks=[], hours=None)
        for blocks in (card, post):
            shown = json.dumps(blocks)
            assert "dana@acme.example" in shown and "<@dana" not in shown
        ticket = replace(ticket, reporter="U0CLIENT01")
        _, card = client_card(w, ticket, None, window, breached=False, clocks=[], hours=None)
        assert "<@U0CLIENT01>" in json.dumps(card)
