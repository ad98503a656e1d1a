"""What one person of the sandbox sees: their channels and direct messages with the app,
the messages and threads in them (with the ephemeral ones meant for them), their open
modal, their App Home, their mailbox (the head of support's, a client's), and when the
next reminders are due.

The page renders it as it comes: Block Kit is passed through untouched, so whatever the
app sends (new surfaces included) shows as the app made it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from bot.domain.sla import Step
from bot.domain.tickets import ticket_key
from bot.sandbox.mailbox import Mailboxes
from bot.sandbox.people import COMMANDS, SHORTCUTS, SLACKBOT
from bot.sandbox.records import BOT_USER, Message, dm_channel
from bot.sandbox.standin import SlackStandIn
from bot.sandbox.workspace import (
    ORGANISATIONS,
    PERSONAS,
    SHARED_WITH,
    WORKSPACE_NAME,
    Persona,
    visible_channels,
)
from bot.services.changes import Changes

STEP_LABELS = {
    Step.WARNING: "warning: the account manager is told",
    Step.BREACH: "breach: the head of support is told",
    Step.UPDATE: "an update for the client is due",
    Step.NEXT_WARNING: "warning: the client awaits an answer",
    Step.NEXT_BREACH: "breach: the client's question went unanswered",
    Step.RESOLVE_WARNING: "warning: resolution due soon",
    Step.RESOLVE_BREACH: "breach: not resolved in time",
}
UPCOMING_MAX = 5


@dataclass(frozen=True)
class Upcoming:
    """A reminder the desk will send: which ticket, what, when."""

    ticket: str
    step: Step
    due: float

    def as_json(self) -> dict[str, Any]:
        return {"ticket": self.ticket, "what": STEP_LABELS[self.step], "due": self.due}


async def upcoming(changes: Changes) -> list[Upcoming]:
    """The next reminders of every open ticket, soonest first (``desired_timers``)."""
    store = changes.store
    found: list[Upcoming] = []
    for current in await store.get_many(await store.open_numbers()):
        if current is None:
            continue
        for timer in await changes.timers(current.ticket):
            found.append(Upcoming(ticket_key(current.ticket.number), timer.step, timer.due))
    return sorted(found, key=lambda u: u.due)[:UPCOMING_MAX]


def people() -> dict[str, dict[str, Any]]:
    """Everyone a message may name, as the page shows them."""
    shown = {p.id: {"name": p.name, "role": p.role, "external": p.external,
                    "org": ORGANISATIONS.get(p.team)} for p in PERSONAS}
    shown[BOT_USER] = {"name": "Support Desk", "role": "App", "bot": True}
    shown[SLACKBOT] = {"name": "Slackbot", "role": "Slack", "bot": True}
    return shown


def _message(m: Message, replies: list[Message]) -> dict[str, Any]:
    shared = ", ".join(f":page_facing_up: {f['name']}" for f in m.files)
    return {"ts": m.ts, "user": m.user, "username": m.username,
            "text": "\n".join(t for t in (m.text, shared) if t),
            "blocks": m.blocks, "thread_ts": m.thread_ts, "edited": m.updates > 0,
            "reactions": [{"name": n, "users": u} for n, u in m.reactions.items()],
            "replies": len(replies),
            "repliers": sorted({r.user for r in replies})}


def conversation(slack: SlackStandIn, channel: str, viewer: str) -> dict[str, Any]:
    """A channel's messages, top level and in threads, with the viewer's ephemerals."""
    mine = sorted((m for m in slack.messages.values() if m.channel == channel),
                  key=lambda m: float(m.ts))
    by_thread: dict[str, list[Message]] = {}
    for m in mine:
        if m.thread_ts and m.thread_ts != m.ts:
            by_thread.setdefault(m.thread_ts, []).append(m)
    shown = [_message(m, by_thread.get(m.ts, [])) for m in mine]
    shown += [{"ts": e.ts, "user": e.by, "text": e.text, "blocks": e.blocks,
               "thread_ts": e.thread_ts, "ephemeral": True, "reactions": [], "replies": 0,
               "repliers": []}
              for e in slack.ephemerals if e.channel == channel and e.user == viewer]
    return {"messages": sorted(shown, key=lambda m: float(m["ts"]))}


def modal_of(slack: SlackStandIn, viewer: str) -> dict[str, Any] | None:
    top = slack.top_modal(viewer)
    if top is None:
        return None
    return {"id": top.id, "view": top.view, "errors": top.errors,
            "depth": len(slack.modals.get(viewer, []))}


def screen(slack: SlackStandIn, mail: Mailboxes, viewer: Persona,
           reminders: list[Upcoming]) -> dict[str, Any]:
    """Everything ``viewer`` sees now, as JSON for the page."""
    channels: list[dict[str, Any]] = [
        {"id": cid, "name": name, "shared": shared, "kind": "channel",
         "org": ORGANISATIONS.get(SHARED_WITH.get(cid, ""))}
        for cid, name, shared in visible_channels(viewer)]
    channels.append({"id": dm_channel(viewer.id), "name": "Support Desk", "kind": "dm",
                     "shared": False})
    return {
        "now": time.time(),
        "workspace": WORKSPACE_NAME,
        "me": {"id": viewer.id, "name": viewer.name, "role": viewer.role, "tz": viewer.tz,
               "external": viewer.external, "org": ORGANISATIONS.get(viewer.team)},
        "personas": [{"id": p.id, "name": p.name, "role": p.role} for p in PERSONAS],
        "people": people(),
        "channels": channels,
        "conversations": {c["id"]: conversation(slack, str(c["id"]), viewer.id)
                          for c in channels},
        "modal": modal_of(slack, viewer.id),
        "home": slack.homes.get(viewer.id),
        "mail": (None if (mails := mail.of(viewer)) is None
                 else {"address": viewer.email, "mails": [m.as_json() for m in mails],
                       "write_to": mail.mailbox.address if mail.may_write(viewer) else None}),
        "reminders": [r.as_json() for r in reminders],
        "commands": [] if viewer.external else list(COMMANDS),
        "shortcuts": [] if viewer.external else [
            {"callback_id": k, "name": v} for k, v in SHORTCUTS.items()],
    }
