"""What a ticket's timers and jobs are worked out from, besides the ticket: its plan (with
its calendar), the warning share, the settings of automatic assignment and the rules
themselves, as a short digest. The sweep records it with the timers it arms, and leaves
to Redis the tickets whose record still holds (``bot.adapters.sweep_scripts``): a plan, a
calendar, the warning share, the assignment settings or the rules (a new release)
changed since, and the digest differs, so the ticket is worked out again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import date
from enum import Enum
from pathlib import Path

from bot.domain import assignment, calendar, plans, sla, tickets, transitions, urgency
from bot.domain.plans import Plan
from bot.domain.sla import Timer

_RULES = hashlib.sha256(b"".join(
    Path(module.__file__ or "").read_bytes()
    for module in (assignment, calendar, plans, sla, tickets, transitions, urgency))
).hexdigest()
"""The source of the modules that work out a ticket's timers, urgency and assignment jobs."""


def _plain(value: object) -> object:
    """``value`` as JSON the same in every process (sets and mappings in order)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return sorted([str(_plain(k)), _plain(v)] for k, v in value.items())
    if isinstance(value, frozenset | set):
        return sorted(str(_plain(v)) for v in value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


Swept = tuple[str, float | None]
"""What a ticket's timers were worked out from: the digest of its plan and rules
(``rules_stamp``), and the due of its first timer after the moment they were worked out
(None: none), past which the timers it should have may differ."""


def next_due(timers: Sequence[Timer], now: float) -> float | None:
    """The due of the first of ``timers`` after ``now`` (``Swept``'s second half)."""
    return min((t.due for t in timers if t.due > now), default=None)


def rules_stamp(plan: Plan, warn_at: float,
                assigning: tuple[bool, float | None] = (False, None)) -> str:
    """The digest of what a ticket on ``plan`` has its timers and jobs worked out from;
    ``assigning``: whether the desk assigns (``ASSIGNMENT``) and ``REASSIGN_AFTER``, which
    decide the assignment jobs it should have."""
    text = json.dumps([_RULES, warn_at, _plain(plan), _plain(assigning)],
                      separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
