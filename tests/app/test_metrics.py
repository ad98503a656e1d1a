"""What operators watch: /metrics moving as a ticket opens, warns and breaches."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.support.desk import RunningApp, advance, drained, register_client
from tests.support.flows import open_ticket
from tests.support.metrics import scrape, value
from tests.support.servers import SmtpSink

PLANS = {"standard": {"critical": 40}}


@pytest.fixture
def settings_extra(smtp_sink: SmtpSink) -> dict[str, Any]:
    return {"plans": json.dumps(PLANS), "smtp_url": f"smtp://127.0.0.1:{smtp_sink.port}"}


async def test_metrics_move_as_a_ticket_opens_warns_and_breaches(
        app: RunningApp, smtp_sink: SmtpSink) -> None:
    before = await scrape(f"{app.url}/metrics")
    await register_client(app.runtime)
    await open_ticket(app, "Payments down", "Critical", "All of them.")
    await advance(app.runtime, 31)
    await drained(app.runtime)
    await advance(app.runtime, 10)
    await app.slack.wait_for(lambda: smtp_sink.messages)
    await drained(app.runtime)
    await asyncio.sleep(5.5)  # the worker reads the queue for its gauges every 5 s
    after = await scrape(f"{app.url}/metrics")

    def grew(name: str, **labels: str) -> bool:
        return value(after, name, **labels) > value(before, name, **labels)

    assert grew("desk_tickets_opened_total", severity="critical")
    assert grew("desk_reminders_total", clock="first response", step="warning")
    assert grew("desk_reminders_total", clock="first response", step="breach")
    assert grew("desk_timer_lag_seconds_count", step="breach")
    assert grew("desk_http_answer_seconds_count", kind="command")
    assert grew("desk_http_answer_seconds_count", kind="view_submission")
    assert grew("desk_slack_calls_total", method="chat.postMessage", outcome="ok")
    assert grew("desk_smtp_results_total", result="sent")
    assert ("desk_queue_due_jobs", ()) in after and ("desk_dead_letters", ()) in after
    assert value(after, "desk_queue_oldest_due_seconds") == 0.0  # nothing waits
