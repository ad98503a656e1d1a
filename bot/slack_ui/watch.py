"""What watching client messages shows: a follow-up in the triage thread, a message naming
a ticket in its thread (where a ticket came from, on its triage post: ``origin``)."""

from __future__ import annotations

from typing import Any

from bot.domain.tickets import Ticket
from bot.slack_ui.messages import labelled
from bot.slack_ui.text import cut_plain, escape
from bot.slack_ui.words import Words


def follow_up_note(w: Words, by: str, text: str) -> tuple[str, list[dict[str, Any]]]:
    """A client's follow-up that joined the ticket, in its triage thread, whole."""
    label = w._("Follow-up from <@{user}>", user=by)
    return (f"{label}: {escape(cut_plain(text, 1000))}", labelled(label, text))


def client_relay(w: Words, ticket: Ticket, by: str, text: str
                 ) -> tuple[str, list[dict[str, Any]]]:
    """A client's message in the channel naming the ticket, posted in its thread."""
    label = w._("<@{user}> wrote in the channel about {key}", user=by, key=ticket.key)
    return (f"{label}: {escape(cut_plain(text, 1000))}", labelled(label, text))
