"""The escalation ladder on the services over the in-memory fakes: steps that come due
together after an outage. (On the app: ``tests/app/test_ladder.py``; on the real process:
``tests/process/test_ladder.py``.)"""

from __future__ import annotations

import json

from bot.domain.jobs import TicketEvent
from bot.domain.sla import Step
from tests.support.hooks_standin import WEBHOOK_SECRET
from tests.support.services import CRITICAL_TARGET, make_world, open_ticket, with_client


async def test_two_breach_steps_firing_at_once_make_one_breach_event() -> None:
    # After an outage both steps are due; the second commits while the first decides.
    w = make_world(plans=json.dumps({"standard": {"escalation": {"critical": [
        {"at": "breach", "notify": ["head_of_support"]},
        {"at": "breach+PT10M", "notify": ["assignee"]}]}}}),
        webhook_url="https://hooks.example/desk", webhook_secret=WEBHOOK_SECRET)
    await with_client(w)
    n = await open_ticket(w)
    first, later = [t for t in w.store.timers(n) if t.step is Step.BREACH]
    w.clock.advance(CRITICAL_TARGET + 11 * 60)

    async def later_fires() -> None:
        assert await w.reminders.fire(later, w.clock()) is not None

    w.store.before("commit_effects", later_fires)
    assert await w.reminders.fire(first, w.clock()) is not None
    events = [q.job.event for q in w.store.armed if isinstance(q.job, TicketEvent)]
    assert sorted(events) == ["breach", "escalation", "opened"]  # one breach per deadline
