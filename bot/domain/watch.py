"""Watching client messages: which messages are requests, and what a ticket made from one
is called. Pure rules, no I/O.

The pleasantry rule is deliberately small and readable (word lists, not a model): a message
is a pleasantry when, ticket numbers, mentions, links and emoji aside, it has a word of
thanks, acknowledgement or greeting of a language below and no word but those and their
fillers ("a lot", "for the help"), and it asks nothing (a question mark with any word is a
question). A message of emoji (or punctuation) alone is a
pleasantry: "👍", ":pray:", "!!".
"""

from __future__ import annotations

import re
from dataclasses import replace
from enum import StrEnum
from typing import Final, NamedTuple

from bot.domain.tickets import Status, Ticket, TicketError
from bot.domain.transitions import moved, record_client_message, reopen, resolve


class MessageRecords(NamedTuple):
    """What the desk keeps about a client's message and its author in a channel."""

    thread: int | None
    """The ticket the message is tied to (it opened, joined or named it), if any."""
    latest: tuple[int, float] | None
    """The ticket the author's latest message opened or joined, and when."""


class Watch(StrEnum):
    """What a client channel's plain messages do: open tickets, or nothing (``tickets``:
    only the ways in that ask for a ticket)."""

    MESSAGES = "messages"
    TICKETS = "tickets"


def _listed(words: str) -> frozenset[str]:
    return frozenset(words.split())


PLEASANTRIES: Final[dict[str, frozenset[str]]] = {
    "en": _listed("""
        thanks thank thankyou thx ty tysm tyvm cheers appreciated appreciate ok okay k kk
        okey alright allright fine sure great perfect awesome cool nice excellent brilliant
        fantastic wonderful lovely amazing super superb noted understood roger acknowledged
        yes yep yeah yup np worries works hi hello hey hiya morning afternoon evening bye goodbye
        regards welcome
        """),
    "it": _listed("""
        grazie ok okay bene benissimo perfetto perfetta perfetti ottimo ottima eccellente
        fantastico fantastica top super chiaro chiara ricevuto ricevuta capito inteso
        accordo certo certamente sì si gentilissimi gentilissimo gentilissima gentili ciao
        buongiorno buonasera buonanotte salve arrivederci saluti cordiali cordialmente
        """),
}
"""Thanks, acknowledgements and greetings, per language: a pleasantry has one of these."""

FILLERS: Final[dict[str, frozenset[str]]] = {
    "en": _listed("""
        so very much lot lots many a all you again for the your help support quick reply
        answer got it that sounds will do done good day night see later team guys folks
        everyone there have no problem really
        """),
    "it": _listed("""
        mille tante molte infinite davvero tutto tutti tutte voi a per l il la lo gli le
        del della dello degli aiuto supporto risposta va d buona buon giornata serata
        lavoro
        """),
}
"""Words a pleasantry may have beside those ("thanks *a lot for the help*"), per
language; alone they are no pleasantry ("help")."""

_CORE: Final = frozenset().union(*PLEASANTRIES.values())
_WORDS: Final = _CORE.union(*FILLERS.values())
_TICKET_REF = re.compile(r"\bT-([0-9]{1,12})\b", re.ASCII | re.IGNORECASE)
_MARKUP = re.compile(r"<[^<>\s]*(?:\|[^<>]*)?>")
"""Slack's markup of a mention, a channel, a link: ``<@U0123>``, ``<https://...|text>``."""
_SHORTCODE = re.compile(r":[a-z0-9_+'-]+(?:::skin-tone-[2-6])?:", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+")
_QUESTION = re.compile("[?？¿]")

TITLE_MAX: Final = 150


def words(text: str) -> list[str]:
    """The words of a message, lower case: ticket numbers, Slack markup (mentions, links)
    and emoji (shortcodes and pictographs) aside."""
    text = _TICKET_REF.sub(" ", text)
    text = _MARKUP.sub(" ", text)
    text = _SHORTCODE.sub(" ", text)
    return [w.casefold() for w in _WORD.findall(text)]


def is_pleasantry(text: str) -> bool:
    """Thanks, an acknowledgement, a greeting or emoji alone: opens nothing, starts no
    clock. A question mark is a question, never a pleasantry: with any word, and alone
    too (a client's "?" in a ticket's thread asks for news)."""
    found = words(text)
    if _QUESTION.search(_MARKUP.sub(" ", text)):
        return False
    return all(w in _WORDS for w in found) and (
        not found or any(w in _CORE for w in found))


def ticket_refs(text: str) -> list[int]:
    """The ticket numbers a message names (``T-1042``, any case), in order, once each."""
    seen: dict[int, None] = {}
    for found in _TICKET_REF.finditer(text):
        seen.setdefault(int(found.group(1)), None)
    return list(seen)


def title_from(text: str, limit: int = TITLE_MAX) -> str:
    """A ticket's title from a message: its first ``limit`` characters on one line, cut at
    a word (with "…" where it was cut)."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def not_a_request(ticket: Ticket, by: str, now: float) -> Ticket:
    """Staff close a ticket opened from a message as not a request: its clocks stop and it
    counts in no report figure (it is resolved, marked so)."""
    if ticket.message_ts is None:
        raise TicketError("{key} was asked for, not opened from a message", key=ticket.key)
    if ticket.status is Status.RESOLVED:
        raise TicketError("{key} is already closed", key=ticket.key)
    return replace(moved(ticket, Status.RESOLVED, by, now), resolved_at=now,
                   not_request_at=now, awaiting_since=None, awaiting_ts=None)


def request_again(ticket: Ticket, by: str, at: float) -> Ticket:
    """A client's message in the thread of a ticket closed as not a request makes it one:
    open again, unassigned, with a new clock from that message."""
    if ticket.not_request_at is None:
        return ticket
    return replace(moved(ticket, Status.OPEN, by, at), created_at=at, resolved_at=None,
                   not_request_at=None, assignee=None, claimed_at=None,
                   first_response_at=None, last_update_at=None, staff_ts=None,
                   awaiting_since=None, awaiting_ts=None)


def client_wrote(ticket: Ticket, by: str, at: float, ts: str | None, *, now: float,
                 reopen_within: float) -> Ticket:
    """A client's message (not a pleasantry) in a ticket's thread: a ticket closed as not
    a request is one again; one waiting on the client is back with support; one resolved
    within ``reopen_within`` seconds is reopened; and support owes the next response."""
    if ticket.not_request_at is not None:
        return request_again(ticket, by, at)
    if ticket.status is Status.WAITING_ON_CLIENT:
        ticket = moved(ticket, Status.CLAIMED, by, now)
    elif (ticket.status is Status.RESOLVED and ticket.resolved_at is not None
          and now - ticket.resolved_at <= reopen_within):
        ticket = reopen(ticket, by, now, within=reopen_within)
    return record_client_message(ticket, at, ts)


def edited(ticket: Ticket, title: str, description: str) -> Ticket:
    """The message a ticket was opened from, edited: before support answered, the ticket
    takes its new words."""
    if ticket.first_response_at is not None or ticket.status is Status.RESOLVED:
        return ticket
    return replace(ticket, title=title, description=description)


WITHDRAWN = "Withdrawn: the client deleted their message."


def withdrawn(ticket: Ticket, by: str, now: float) -> Ticket:
    """The message a ticket was opened from, deleted before support answered: the ticket is
    closed as withdrawn."""
    if ticket.first_response_at is not None or ticket.status is Status.RESOLVED:
        return ticket
    return resolve(ticket, by, now, WITHDRAWN)
