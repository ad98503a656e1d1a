"""Watching client messages, fast: the pleasantry rule (with Hypothesis's properties), the
title a message gives its ticket, and the watching service on the in-memory fakes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.codec import decode_outcome, encode_outcome
from bot.domain.jobs import (
    ClientRelay,
    FollowUpNote,
    PostClientThread,
    RemoveCard,
    TicketEvent,
)
from bot.domain.reports import COLUMNS, figures
from bot.domain.tickets import Client, Severity, Status
from bot.domain.watch import FILLERS, PLEASANTRIES, is_pleasantry, ticket_refs, title_from
from bot.services.staff import Actor, NotStaff
from bot.services.watch import ClientMessage, SharedFile, Taken, Watcher
from tests.support.services import BOT, CLIENT, World, make_world, read
from tests.support.workspace import AM, CLIENT_USER, EXTERNAL, GUEST, STAFF

# -- the pleasantry rule ---------------------------------------------------------------

EMOJI = st.sampled_from(["👍", "🙏", "🎉", "😀", "❤️", "✅", "👌🏽", ":pray:", ":+1:",
                         ":thumbsup::skin-tone-3:", "!", "…", "  "])
WORDS = sorted(set().union(*PLEASANTRIES.values(), *FILLERS.values()))
OTHER = st.from_regex(r"[a-z]{3,12}", fullmatch=True).filter(lambda w: w not in WORDS)


@given(st.lists(EMOJI, min_size=1, max_size=8))
def test_emoji_alone_is_always_a_pleasantry(parts: list[str]) -> None:
    assert is_pleasantry(" ".join(parts))
    assert is_pleasantry("".join(parts))


@given(st.lists(st.sampled_from(WORDS), max_size=5), st.sampled_from(WORDS) | OTHER,
       st.lists(EMOJI, max_size=2))
def test_a_question_mark_with_any_word_is_never_a_pleasantry(
        words: list[str], word: str, emoji: list[str]) -> None:
    assert not is_pleasantry(" ".join([*words, word]) + "?" + "".join(emoji))
    assert not is_pleasantry("? " + " ".join([word, *words]))


@pytest.mark.parametrize("nudge", ["?", "??", " ? ", "？", "👍?"])
def test_a_question_mark_alone_asks_for_news(nudge: str) -> None:
    # A client's "?" in a ticket's thread is a nudge: it starts the next-response clock.
    assert not is_pleasantry(nudge)


@given(st.lists(st.sampled_from(WORDS), max_size=4), OTHER, st.lists(st.sampled_from(WORDS),
                                                                     max_size=4))
def test_a_word_beyond_the_lists_is_never_a_pleasantry(before: list[str], word: str,
                                                       after: list[str]) -> None:
    assert not is_pleasantry(" ".join([*before, word, *after]))


@given(st.sampled_from(sorted(set().union(*PLEASANTRIES.values()))),
       st.lists(st.sampled_from(WORDS), max_size=4), st.lists(EMOJI, max_size=2),
       st.integers(1000, 99999))
def test_thanks_with_fillers_emoji_and_a_ticket_number_is_a_pleasantry(
        core: str, fillers: list[str], emoji: list[str], number: int) -> None:
    text = " ".join([core.capitalize(), *fillers, f"T-{number}", *emoji]) + "!"
    assert is_pleasantry(text)


def test_the_pleasantries_people_write() -> None:
    for text in ["thanks!", "ok 👍", "grazie mille", "perfetto", "thanks for T-1042",
                 "Thanks a lot for the help <@U0STAFF001>!", "Ciao a tutti, buongiorno",
                 "d'accordo, grazie", "Great, that works", "👍", ":pray:"]:
        assert is_pleasantry(text), text
    for text in ["videos stopped playing on Android since this morning",
                 "il video non parte", "help", "thanks, but it still fails", "any news?",
                 "grazie, ma non funziona ancora", "ok?"]:
        assert not is_pleasantry(text), text


def test_ticket_numbers_named_in_order_once_each() -> None:
    assert ticket_refs("Any news on t-1042? See T-1001 and T-1042") == [1042, 1001]
    assert ticket_refs("RT-1042 or T-10x or T-") == []


@given(st.text(max_size=600))
def test_a_title_is_at_most_150_characters_on_one_line(text: str) -> None:
    title = title_from(text)
    assert len(title) <= 150 and "\n" not in title
    flat = " ".join(text.split())
    assert title == flat or (title.endswith("…") and flat.startswith(title[:-1].rstrip()))


def test_a_long_title_is_cut_at_a_word() -> None:
    title = title_from("Videos stop " * 30)
    assert title.endswith("stop…") or title.endswith("Videos…")


# -- the watching service, on the fakes ------------------------------------------------

_ts = iter(range(1, 10_000))


def watcher(w: World, group_minutes: float = 10) -> Watcher:
    return Watcher(w.tickets, w.changes, w.store, w.plans, w.staff, w.clock,
                   group_minutes=group_minutes)


async def watched_world(watch: str = "messages", **settings: Any) -> World:
    w = make_world(**settings)
    await w.store.put_client(Client(channel=CLIENT, name="Acme Media", plan="standard",
                                    account_manager=AM, watch=watch))
    return w


def said(w: World, text: str, user: str = CLIENT_USER, *files: SharedFile) -> ClientMessage:
    ts = f"{w.clock() - 1:.0f}.{next(_ts):06d}"
    return ClientMessage(CLIENT, user, None, ts, text, files)


async def test_a_client_request_opens_a_ticket_from_the_message() -> None:
    w = await watched_world()
    message = said(w, "Videos stopped playing on Android since this morning. " * 5)
    assert await watcher(w).take(message) is Taken.OPENED
    ticket = await read(w, 1001)
    assert ticket.reporter == CLIENT_USER and ticket.severity is Severity.MEDIUM
    assert ticket.title == title_from(message.text) and len(ticket.title) <= 150
    assert ticket.description == message.text.strip()
    assert ticket.created_at == float(message.ts)
    assert ticket.message_ts == ticket.client_ts == message.ts and ticket.card_ts is None
    assert await w.store.ticket_for_thread(CLIENT, message.ts) == 1001
    assert PostClientThread(ticket=1001).id in w.store.job_ids(1001)


async def test_the_same_message_twice_opens_one_ticket() -> None:
    w = await watched_world()
    message = said(w, "The CMS refuses every upload")
    assert await watcher(w).take(message) is Taken.OPENED
    assert await watcher(w).take(message) is Taken.SEEN
    assert await w.store.get(1002) is None
    assert not [j for j in w.store.jobs() if isinstance(j, FollowUpNote)]


async def test_pleasantries_staff_bots_guests_and_unwatched_channels_open_nothing() -> None:
    w = await watched_world()
    watching = watcher(w)
    assert await watching.take(said(w, "grazie mille 🙏")) is Taken.PLEASANTRY
    for user in (STAFF, AM, BOT):
        assert await watching.take(said(w, "Uploads fail", user)) is Taken.IGNORED
    assert await watching.take(said(w, "Uploads fail", GUEST)) is Taken.OPENED
    unwatched = await watched_world("tickets")
    assert await watcher(unwatched).take(said(unwatched, "Uploads fail")) is Taken.IGNORED
    off = await watched_world(plans=json.dumps({"standard": {"message_severity": None}}))
    assert await watcher(off).take(said(off, "Uploads fail")) is Taken.IGNORED
    assert await off.store.get(1001) is None


async def test_the_plan_sets_the_severity_and_a_file_alone_titles_the_ticket() -> None:
    w = await watched_world(plans=json.dumps({"standard": {"message_severity": "high"}}))
    file = SharedFile("player-crash.log", "https://acme.slack.com/files/F1")
    assert await watcher(w).take(said(w, "", CLIENT_USER, file)) is Taken.OPENED
    ticket = await read(w, 1001)
    assert ticket.severity is Severity.HIGH and ticket.title == "player-crash.log"
    assert "https://acme.slack.com/files/F1" in ticket.description


async def test_a_follow_up_joins_the_unanswered_ticket_until_group_minutes() -> None:
    w = await watched_world()
    watching = watcher(w, group_minutes=10)
    await watching.take(said(w, "Videos do not play"))
    w.clock.advance(120)
    follow = said(w, "Also on iOS")
    assert await watching.take(follow) is Taken.JOINED
    assert FollowUpNote(ticket=1001, ts=follow.ts, by=CLIENT_USER, text="Also on iOS").id \
        in w.store.job_ids(1001)
    assert await w.store.ticket_for_thread(CLIENT, follow.ts) == 1001
    # Another person's message is theirs; past GROUP_MINUTES it is a new request.
    assert await watching.take(said(w, "Same here", EXTERNAL)) is Taken.OPENED
    w.clock.advance(11 * 60)
    assert await watching.take(said(w, "And the CMS is slow")) is Taken.OPENED
    assert [t.number for t in [await read(w, 1002), await read(w, 1003)]] == [1002, 1003]


async def test_a_follow_up_to_an_answered_ticket_is_a_new_one() -> None:
    w = await watched_world()
    watching = watcher(w)
    first = said(w, "Videos do not play")
    await watching.take(first)
    await w.tickets.record_reply(channel=CLIENT, thread_ts=first.ts, ts=f"{w.clock():.6f}",
                                 actor=Actor(STAFF), text="Looking")
    assert (await read(w, 1001)).first_response_at is not None
    assert await watching.take(said(w, "Now the CMS fails too")) is Taken.OPENED


async def test_a_message_naming_an_open_ticket_lands_on_it() -> None:
    w = await watched_world()
    watching = watcher(w)
    await watching.take(said(w, "Videos do not play"))
    w.clock.advance(3600)
    naming = said(w, "Any news on T-1001? Still broken", EXTERNAL)
    assert await watching.take(naming) is Taken.NAMED
    assert ClientRelay(ticket=1001, ts=naming.ts, by=EXTERNAL, text=naming.text).id \
        in w.store.job_ids(1001)
    assert await w.store.get(1002) is None
    # A ticket of no open one is a request of its own.
    assert await watching.take(said(w, "About T-999: it fails", EXTERNAL)) is Taken.OPENED


async def test_not_a_request_stops_the_clocks_and_a_client_message_makes_it_one_again(
        ) -> None:
    w = await watched_world()
    message = said(w, "Videos do not play")
    await watcher(w).take(message)
    assert w.store.timers(1001)
    await w.tickets.not_a_request(1001, Actor(STAFF))
    closed = await read(w, 1001)
    assert closed.status is Status.RESOLVED and closed.not_request_at is not None
    assert w.store.timers(1001) == []
    assert RemoveCard(ticket=1001, round=1).id in w.store.job_ids(1001)
    w.clock.advance(600)
    reply = f"{w.clock():.6f}"
    await w.tickets.record_reply(channel=CLIENT, thread_ts=message.ts, ts=reply,
                                 actor=Actor(CLIENT_USER), text="thanks")
    assert (await read(w, 1001)).status is Status.RESOLVED  # a pleasantry: nothing
    await w.tickets.record_reply(channel=CLIENT, thread_ts=message.ts, ts=reply,
                                 actor=Actor(CLIENT_USER), text="It is a real problem")
    again = await read(w, 1001)
    assert again.status is Status.OPEN and again.created_at == float(reply)
    assert w.store.timers(1001) and PostClientThread(ticket=1001).id in w.store.job_ids(1001)


async def test_only_staff_close_a_ticket_as_not_a_request() -> None:
    w = await watched_world()
    await watcher(w).take(said(w, "Videos do not play"))
    with pytest.raises(NotStaff, match="Only the support team"):
        await w.tickets.not_a_request(1001, Actor(CLIENT_USER))
    assert (await read(w, 1001)).status is Status.OPEN


async def test_an_edit_before_an_answer_retitles_and_a_deletion_withdraws() -> None:
    w = await watched_world()
    watching = watcher(w)
    message = said(w, "Videos do not play")
    await watching.take(message)
    await watching.edited(CLIENT, message.ts, "Videos do not play on Android 14")
    assert (await read(w, 1001)).title == "Videos do not play on Android 14"
    await watching.deleted(CLIENT, message.ts)
    gone = await read(w, 1001)
    assert gone.status is Status.RESOLVED and gone.resolution and "Withdrawn" in \
        gone.resolution


async def test_the_client_changes_severity_on_the_card_in_their_channel_only() -> None:
    w = await watched_world()
    await watcher(w).take(said(w, "Videos do not play"))
    await w.tickets.change_severity(1001, Severity.CRITICAL, Actor(EXTERNAL), channel=CLIENT)
    assert (await read(w, 1001)).severity is Severity.CRITICAL
    with pytest.raises(NotStaff, match="Only the support team"):
        await w.tickets.change_severity(1001, Severity.LOW, Actor(EXTERNAL),
                                        channel="C0ELSEWHERE")


async def test_reports_count_not_a_request_apart_per_client() -> None:
    w = await watched_world()
    watching = watcher(w)
    await watching.take(said(w, "Videos do not play"))
    await watching.take(said(w, "We moved offices", EXTERNAL))
    await w.tickets.resolve(1001, "Fixed the player", Actor(STAFF))
    await w.tickets.not_a_request(1002, Actor(STAFF))
    outcomes = [w.store.outcomes[1001], w.store.outcomes[1002]]
    assert [o.not_request for o in outcomes] == [False, True]
    assert [decode_outcome(o.number, encode_outcome(o)).not_request
            for o in outcomes] == [False, True]
    names = [c.name for c in COLUMNS]
    client_row = next(r for r in figures(outcomes, {CLIENT: "Acme Media"}) if r.severity == "all")
    shown = dict(zip(names, client_row.values, strict=True))
    assert shown["tickets"] == 1 and shown["not a request"] == 1 and shown["breaches"] == 0


async def test_a_client_message_ends_a_wait_and_reopens_a_resolved_ticket() -> None:
    w = await watched_world(webhook_url="http://192.0.2.1/hooks",
                            webhook_secret="a-secret-of-sixteen-chars")
    message = said(w, "Videos do not play")
    await watcher(w).take(message)
    await w.tickets.claim(1001, Actor(STAFF))
    await w.tickets.set_status(1001, Status.WAITING_ON_CLIENT, Actor(STAFF))
    w.clock.advance(60)
    await w.tickets.record_reply(channel=CLIENT, thread_ts=message.ts,
                                 ts=f"{w.clock():.6f}", actor=Actor(CLIENT_USER),
                                 text="ok 👍")
    assert (await read(w, 1001)).status is Status.WAITING_ON_CLIENT  # a pleasantry
    mark = len(w.store.armed)
    await w.tickets.record_reply(channel=CLIENT, thread_ts=message.ts,
                                 ts=f"{w.clock():.6f}", actor=Actor(CLIENT_USER),
                                 text="Here are the logs you asked for")
    assert (await read(w, 1001)).status is Status.CLAIMED
    # Back with support, told as a status change: no claim, which would acknowledge a page.
    assert [j.event for j in w.store.armed_since(mark) if isinstance(j, TicketEvent)] == [
        "status"]
    await w.tickets.resolve(1001, "Fixed", Actor(STAFF))
    w.clock.advance(3600)
    await w.tickets.record_reply(channel=CLIENT, thread_ts=message.ts,
                                 ts=f"{w.clock():.6f}", actor=Actor(CLIENT_USER),
                                 text="It is broken again")
    reopened = await read(w, 1001)
    assert reopened.status is Status.CLAIMED and reopened.reopened_at == w.clock()


async def test_past_the_intake_limit_a_message_joins_the_latest_ticket() -> None:
    w = await watched_world(intake_limit=1)
    watching = watcher(w, group_minutes=0)
    await watching.take(said(w, "Videos do not play"))
    w.clock.advance(60)
    past = said(w, "And the CMS is down")
    assert await watching.take(past) is Taken.JOINED
    assert await w.store.get(1002) is None
    assert FollowUpNote(ticket=1001, ts=past.ts, by=CLIENT_USER, text=past.text).id \
        in w.store.job_ids(1001)
