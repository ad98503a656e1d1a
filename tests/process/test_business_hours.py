"""Business hours, end to end: on the real process, a ticket opened while the office is
closed warns and breaches only after the office opens."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.sandbox.standin import SlackStandIn
from tests.support.cli import register_acme
from tests.support.flows import dm_times, open_modal, submit, text_of, triage_post
from tests.support.processes import serve
from tests.support.workspace import AM, LEAD

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def opening_in(seconds: float) -> tuple[float, dict[str, Any]]:
    """A UTC calendar that opens ``seconds`` from now, for an hour (or until midnight)."""
    opens = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds)
    start = opens.hour * 3600 + opens.minute * 60 + opens.second
    end = min(86_400, start + 3600)
    def hhmmss(s: int) -> str:
        return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"
    return opens.timestamp(), {"soon": {
        "timezone": "UTC", "hours": {DAYS[opens.weekday()]: [f"{hhmmss(start)}-{hhmmss(end)}"]}}}


async def test_a_ticket_opened_while_closed_warns_and_breaches_after_opening(
        slack: SlackStandIn, redis_url: str) -> None:
    opens, calendars = opening_in(6)
    async with serve(slack, redis_url, CALENDARS=json.dumps(calendars),
                     PLANS=json.dumps({"standard": {"critical": 4, "calendar": "soon"}})
                     ) as served:
        await register_acme(slack, redis_url)
        view = await open_modal(served)
        status, _ = await submit(served, view, title="Payments down", severity="Critical",
                                 description="Since the office closed.")
        assert status == 200
        triage = await triage_post(served, 1001)
        assert "*Hours:* " in text_of(triage) and "(UTC)" in text_of(triage)
        warning = (await slack.wait_for(lambda: dm_times(slack, AM), timeout=20))[0]
        breach = (await slack.wait_for(lambda: dm_times(slack, LEAD), timeout=10))[0]
    # 4 s of business time: warned at 3 s, breached at 4 s, counted from the opening.
    assert 0 <= warning - (opens + 3) < 1.0
    assert 0 <= breach - (opens + 4) < 1.0
