"""What the soak's checker reads in a delivery: which ticket it names, and which
notification it is (a clock's warning or breach, to whom), from its recipient and text
alone; and the triage posts that say BREACHED."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bench.soak.record import Config, Delivery

NUMBER = re.compile(r"\bT-(\d+)\b")
KEY = re.compile(r"\[(k\d+)\]")
DATE = re.compile(r"<!date\^(\d+)\^")
MAIL_DEADLINE = re.compile(r"^Deadline:\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC$", re.M)
WAITING = {"No response yet": "initial", "The client is waiting for an answer": "next",
           "Not resolved yet": "resolution"}
CLOCKS = {"first response": "initial", "response": "initial", "next response": "next",
          "update": "update", "resolution": "resolution"}
DM_BREACH = re.compile(r"^:rotating_light: \*SLA breached(?: \(([^)]+)\))?\*")
NOTE_WARNING = re.compile(r"^:hourglass_flowing_sand: (.+?) on T-\d+: ")
NOTE_BREACH = re.compile(r"^:rotating_light: T-\d+ breached its (.+?) deadline \(")
MAIL_BREACH = re.compile(r"^\[SLA breach(?:: ([^\]]+))?\] T-\d+ ")
FLAG = re.compile(r"BREACHED T-\d+ ")
RESOLVED = re.compile(r"^\*Status:\* Resolved\b", re.M)
STEPS = {"warning": "warning", "next_warning": "warning", "breach": "breach",
         "next_breach": "breach"}


@dataclass(frozen=True)
class Seen:
    """A delivery that is a warning or breach notification, as the checker reads it."""

    at: float
    ticket: str
    clock: str
    step: str
    medium: str
    to: str
    deadline: float | None
    """The deadline it names, when it names one (to tell generations apart)."""

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return self.ticket, self.clock, self.step, self.medium, self.to


def ticket_of(text: str, keys: dict[int, str]) -> str | None:
    number = NUMBER.search(text)
    if number and int(number.group(1)) in keys:
        return keys[int(number.group(1))]
    key = KEY.search(text)
    return key.group(1) if key else (f"T-{number.group(1)}" if number else None)


def slack_kind(d: Delivery, triage: str) -> tuple[str, str, str, float | None] | None:
    """(clock, step, medium, deadline) of a Slack post that is a warning or a breach."""
    text, date = d.text, DATE.search(d.text)
    deadline = float(date.group(1)) if date else None
    if d.method != "chat.postMessage":
        return None
    if d.to[:1] in ("U", "W") and not d.thread_ts:
        if text.startswith(":hourglass_flowing_sand: "):
            clock = next((c for phrase, c in WAITING.items() if f"\n{phrase}: " in text), "?")
            return clock, "warning", "dm", deadline
        if breach := DM_BREACH.match(text):
            return CLOCKS.get(breach.group(1) or "first response", "?"), "breach", "dm", deadline
    elif d.to == triage and d.thread_ts:
        if warning := NOTE_WARNING.match(text):
            return WAITING.get(warning.group(1), "?"), "warning", "note", deadline
        if breach := NOTE_BREACH.match(text):
            return CLOCKS.get(breach.group(1), "?"), "breach", "note", deadline
    return None


def hook_kind(d: Delivery) -> tuple[str, str, str | None, float | None] | None:
    """(clock, step, ticket, deadline) of a hook's warning or breach event."""
    try:
        body: dict[str, Any] = json.loads(d.text)
    except ValueError:
        return None
    payload = body.get("payload") or {}
    event = body.get("event") or payload.get("class") or d.method
    data = body.get("data") or payload.get("custom_details") or {}
    if event not in ("warning", "breach", "escalation"):
        return None
    step = STEPS.get(str(data.get("step")), str(data.get("step")))
    due = data.get("due")
    deadline = float(due) if step == "breach" and isinstance(due, int | float) else None
    ticket = body.get("ticket") or body.get("dedup_key")
    return (CLOCKS.get(str(data.get("clock")), "?"), step,
            str(ticket) if ticket else None, deadline)


def classify(d: Delivery, config: Config, keys: dict[int, str]) -> Seen | None:
    """The notification ``d`` is, or None when it is none (``keys``: number -> key)."""
    if d.channel == "slack":
        found = slack_kind(d, config.triage)
        ticket = ticket_of(d.text, keys)
        if found is None or ticket is None:
            return None
        clock, step, medium, deadline = found
        return Seen(d.at, ticket, clock, step, medium, d.to if medium == "dm" else "",
                    deadline)
    if d.channel == "mail":
        subject = d.text.split("\n", 1)[0]
        breach, ticket = MAIL_BREACH.match(subject), ticket_of(subject, keys)
        if breach is None or ticket is None:
            return None
        when = MAIL_DEADLINE.search(d.text)
        deadline = (datetime.strptime(when.group(1), "%Y-%m-%d %H:%M:%S").replace(
            tzinfo=UTC).timestamp() if when else None)
        to = config.lead_email if config.lead_email in d.to.split(",") else d.to
        return Seen(d.at, ticket, CLOCKS.get(breach.group(1) or "first response", "?"),
                    "breach", "email", to, deadline)
    event = hook_kind(d)
    if event is None:
        return None
    clock, step, named, deadline = event
    ticket = ticket_of(named or "", keys) or named or "?"
    return Seen(d.at, ticket, clock, step, d.channel, d.to, deadline)


def flagged_posts(deliveries: Iterable[Delivery], config: Config, keys: dict[int, str]
                  ) -> tuple[list[Seen], dict[str, Delivery]]:
    """The first version of each triage post that says BREACHED, and each post's last
    version (by ticket)."""
    versions: dict[str, list[Delivery]] = {}
    for d in sorted(deliveries, key=lambda d: d.at):
        if d.channel == "slack" and d.to == config.triage and not d.thread_ts and d.ts and (
                d.method in ("chat.postMessage", "chat.update")):
            versions.setdefault(d.ts, []).append(d)
    flags, last = [], {}
    for posts in versions.values():
        ticket = ticket_of(posts[0].text.split("\n", 1)[0], keys)
        if ticket is None:
            continue
        last[ticket] = posts[-1]
        first = next((p for p in posts if FLAG.match(p.text)), None)
        if first is not None:
            flags.append(Seen(first.at, ticket, "initial", "breach", "post", "", None))
    return flags, last
