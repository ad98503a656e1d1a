"""A ticket as Redis hash fields and back; jobs as the scripts take them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, fields
from typing import Any

from bot.domain.jobs import Armed, FireTimer, JobKind, RefreshHomes, TicketEvent
from bot.domain.reports import Outcome
from bot.domain.sla import SlaClock, Step, Timer, rung_suffix
from bot.domain.tickets import (
    Assignment,
    MailThread,
    Rating,
    Severity,
    SeverityChange,
    Status,
    StatusChange,
    Ticket,
)

_TICKET_FIELDS = tuple(f.name for f in fields(Ticket) if f.name != "sent")
WRITE_ONCE = frozenset({"client_ts", "triage_ts", "engineering_ts", "card_ts"})
"""Message timestamps, set with HSETNX by whoever posted: a save never deletes them."""


def encode_ticket(ticket: Ticket) -> tuple[dict[str, str], list[str]]:
    """A ticket as hash fields to set, and the names of the unset ones to delete."""
    values: dict[str, str] = {}
    unset: list[str] = []
    for name in _TICKET_FIELDS:
        value = getattr(ticket, name)
        if value is None:
            if name not in WRITE_ONCE:
                unset.append(name)
        elif name in ("severity_changes", "status_changes", "ratings", "assignments"):
            if value or name not in ("ratings", "assignments"):
                values[name] = json.dumps([asdict(c) for c in value])
            else:
                unset.append(name)
        elif name == "mail":
            values[name] = json.dumps(asdict(value))
        else:
            values[name] = str(value.value if isinstance(value, Severity | Status) else value)
    return values, unset


_SEVERITIES = {s.value: s for s in Severity}
_STATUSES = {s.value: s for s in Status}


def decode_ticket(raw: dict[str, str], done: set[str] | frozenset[str] = frozenset()) -> Ticket:
    """A ticket back from its hash (the hot path of every read, the sweep's first: plain
    lookups, no enum calls, no JSON to read for the changes a ticket has not had)."""
    get = raw.get
    floats = {name: None if (value := get(name)) is None else float(value)
              for name in _OPTIONAL_FLOATS}
    severity_changes = get("severity_changes")
    status_changes = get("status_changes")
    ratings = get("ratings")
    assignments = get("assignments")
    return _built({
        "number": int(raw["number"]),
        "channel": raw["channel"],
        "reporter": raw["reporter"],
        "title": raw["title"],
        "description": raw["description"],
        "severity": _SEVERITIES[raw["severity"]],
        "created_at": float(raw["created_at"]),
        "status": _STATUSES[raw["status"]],
        "assignee": get("assignee"),
        "client_ts": get("client_ts"),
        "triage_ts": get("triage_ts"),
        "severity_changes": tuple(
            SeverityChange(c["at"], c["by"], _SEVERITIES[c["old"]], _SEVERITIES[c["new"]])
            for c in json.loads(severity_changes)
        ) if severity_changes and severity_changes != "[]" else (),
        "status_changes": tuple(
            StatusChange(c["at"], c["by"], _STATUSES[c["old"]], _STATUSES[c["new"]])
            for c in json.loads(status_changes)
        ) if status_changes and status_changes != "[]" else (),
        "resolution": get("resolution"),
        "engineering_ts": get("engineering_ts"),
        "source_link": get("source_link"),
        "previous_resolution": get("previous_resolution"),
        "sent": frozenset(done),
        "ratings": tuple(Rating(**r) for r in json.loads(ratings))
        if ratings and ratings != "[]" else (),
        "staff_ts": get("staff_ts"),
        "awaiting_ts": get("awaiting_ts"),
        "assignments": tuple(Assignment(**a) for a in json.loads(assignments))
        if assignments and assignments != "[]" else (),
        "message_ts": get("message_ts"),
        "card_ts": get("card_ts"),
        "mail": _mail(get("mail")),
        **floats,
    })


def _mail(raw: str | None) -> MailThread | None:
    if not raw:
        return None
    found = json.loads(raw)
    return MailThread(found["sender"], tuple(found["refs"]), found["subject"],
                      tuple(found.get("cc", ())), found.get("name", ""))


_OPTIONAL_FLOATS = ("claimed_at", "first_response_at", "resolved_at", "reopened_at",
                    "last_update_at", "awaiting_since", "not_request_at")
if hasattr(Ticket, "__post_init__") or hasattr(Ticket, "__slots__"):
    raise TypeError("decode_ticket builds a Ticket without its __init__: keep it a plain "
                    "dataclass, or build it with Ticket(**values)")


def _built(values: dict[str, Any]) -> Ticket:
    """``Ticket(**values)`` without the generated ``__init__``, which sets each of a frozen
    dataclass's fields through ``object.__setattr__`` (half the cost of reading a ticket).
    ``values`` names every field (``tests/unit/test_codec.py``)."""
    ticket = object.__new__(Ticket)
    ticket.__dict__.update(values)
    return ticket


def encode_outcome(o: Outcome) -> str:
    """A resolved ticket's outcome, compact (its number is the hash field): channel,
    severity, created and resolved (s), clock -> business seconds, breached clocks, CSAT,
    a 1 after them when it was closed as not a request, and last whom it counts for (when
    anyone; outcomes kept before had no such item)."""
    if o.resolved_at is None:
        raise ValueError(f"T-{o.number} is not resolved: only a resolved ticket's outcome "
                         "is kept")
    return json.dumps([o.channel, o.severity.value, round(o.created_at, 3),
                       round(o.resolved_at, 3),
                       {c.value: round(s, 3) for c, s in o.durations.items()},
                       sorted(c.value for c in o.breached), list(o.scores),
                       *([1] if o.not_request else []), *([o.holder] if o.holder else [])],
                      separators=(",", ":"))


def outcome_prefix(channel: str) -> str:
    """How every encoded outcome of ``channel``'s tickets begins (up to its first comma)."""
    return json.dumps([channel], separators=(",", ":"))[:-1] + ","


_CLOCKS = {c.value: c for c in SlaClock}
_NONE: frozenset[SlaClock] = frozenset()


def decode_outcome(number: int, raw: str) -> Outcome:
    """An outcome back (the hot path of every report: plain lookups, no enum calls)."""
    channel, severity, created, resolved, durations, breached, scores, *marks = json.loads(
        raw)
    holder = marks[-1] if marks and isinstance(marks[-1], str) else None
    return Outcome(number, channel, _SEVERITIES[severity], created, resolved,
                   {_CLOCKS[c]: s for c, s in durations.items()},
                   frozenset(_CLOCKS[c] for c in breached) if breached else _NONE,
                   tuple(scores), not_request=1 in marks, holder=holder)


def job_spec(armed: Armed, number: int | None = None) -> dict[str, Any]:
    """An armed job as the scripts take it (``number``: of the ticket being created, which
    its jobs were made without); a ticket event goes to its sinks' outboxes instead."""
    job = armed.job.model_copy(update={"ticket": number}) if number else armed.job
    if isinstance(job, TicketEvent):
        return {"event": job.model_dump_json(), "sinks": [s.value for s in job.sinks]}
    spec: dict[str, Any] = {"id": job.id, "payload": job.model_dump_json(),
                            "due": round(armed.due * 1000), "timer": isinstance(job, FireTimer)}
    if isinstance(job, RefreshHomes):
        spec["homes"] = True  # armed only if someone keeps App Home open (when known)
    return spec


_FIRE_TIMER = JobKind.FIRE_TIMER.value
_STEPS = {s: s.value for s in Step}


def timer_specs(number: int, timers: Sequence[Timer]) -> list[dict[str, Any]]:
    """``job_spec`` of each timer's ``FireTimer`` job, written as that job writes itself
    without making one (the sweep's hot path: a model per timer was most of its cost)."""
    specs = []
    for t in timers:
        step = _STEPS[t.step]
        specs.append({
            "id": f"timer:{number}:{step}:{t.generation}{rung_suffix(t.rung, t.repeat)}",
            "payload": f'{{"ticket":{number},"kind":"{_FIRE_TIMER}","step":"{step}",'
                       f'"generation":{t.generation},"rung":{t.rung},"repeat":{t.repeat}}}',
            "due": round(t.due * 1000), "timer": True})
    return specs


def timer_jobs(number: int, timers: Sequence[Timer]) -> list[Armed]:
    return [Armed(FireTimer(ticket=number, step=t.step, generation=t.generation, rung=t.rung,
                            repeat=t.repeat), t.due) for t in timers]
