"""A soak ticket's history as the checker's rules read it: when it was opened and what was
done to it, each instant uncertain (``Span``: the desk took an action between when it was
sent and when its answer came back)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from bench.soak.record import Action


class Span(NamedTuple):
    lo: float
    hi: float


@dataclass
class History:
    """One ticket's opening and the actions that changed it, as the SLA reads them."""

    ticket: str
    client: str
    severity: str
    opened: Span
    number: int | None = None
    actions: list[Action] = field(default_factory=list)
    certain: bool = True
    """False: its opening failed as far as the runner knows, but may have been taken."""


def took(action: Action) -> Span:
    """When the desk took ``action``: what stops, pauses and resumes a clock acts then."""
    return Span(action.sent, action.answered)


def stamped(action: Action) -> Span:
    """The time the desk records for ``action``: a message's is Slack's ``ts`` (the
    earlier of it and the desk's clock), which starts the next-response clock."""
    ts = action.detail.get("ts")
    if ts is None:
        return took(action)
    return Span(min(float(ts), action.sent), min(float(ts), action.answered))


def opened_at(action: Action) -> Span:
    if "ts" in action.detail:
        return Span(float(action.detail["ts"]), float(action.detail["ts"]))
    if "arrived" in action.detail:  # the mailbox's time, in whole seconds, of the delivery
        arrived = float(action.detail["arrived"])
        return Span(arrived, max(arrived, float(math.floor(action.answered))))
    return Span(action.sent, action.answered)


def histories(actions: Iterable[Action]) -> dict[str, History]:
    found: dict[str, History] = {}
    for action in sorted(actions, key=lambda a: a.sent):
        if action.kind == "open":
            found[action.ticket] = History(action.ticket, str(action.detail["client"]),
                                           str(action.detail["severity"]), opened_at(action),
                                           certain=action.ok)
        elif not action.ok:
            continue
        elif action.ticket in found:
            history = found[action.ticket]
            if action.kind == "numbered":
                history.number = int(action.detail["number"])
            else:
                history.actions.append(action)
    return found
