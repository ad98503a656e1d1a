"""What operators watch: /metrics moving as a ticket opens, warns and breaches; /metrics on
METRICS_PORT for a worker; JSON logs."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.sandbox.standin import SlackStandIn
from tests.support.cli import ROOT, bot_env
from tests.support.desk import RunningApp, advance, drained, register_client
from tests.support.flows import open_ticket
from tests.support.servers import SmtpSink, free_port

PLANS = {"standard": {"critical": 40}}


@pytest.fixture
def settings_extra(smtp_sink: SmtpSink) -> dict[str, Any]:
    return {"plans": json.dumps(PLANS), "smtp_url": f"smtp://127.0.0.1:{smtp_sink.port}"}


async def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with aiohttp.ClientSession() as session, session.get(url) as r:
        assert r.status == 200 and r.content_type == "text/plain"
        text = await r.text()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str,
          **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


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


async def test_a_worker_serves_metrics_on_its_port_and_logs_json(
        slack: SlackStandIn, redis_url: str) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "worker", cwd=ROOT,
        env=bot_env(slack, redis_url, METRICS_PORT=str(port), LOG_FORMAT="json"),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        for _ in range(100):
            try:
                samples = await scrape(f"http://127.0.0.1:{port}/metrics")
                break
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
        assert ("desk_dead_letters", ()) in samples
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 15)
    lines = [json.loads(line) for line in err.decode().splitlines() if line.strip()]
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert any(line["message"] == "worker started" for line in lines)
    assert "xoxb-test-token" not in err.decode()
