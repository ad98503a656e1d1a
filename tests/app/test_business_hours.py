"""Business hours, the next-response and the resolution clocks, end to end.

On the real process, a ticket opened while the office is closed warns and breaches only
after the office opens; in the app, a client's follow-up starts the next-response clock
and a resolution target breaches to the assignee and the head of support.
"""

from __future__ import annotations

import asyncio
import json
import signal
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from bot.sandbox.slack_side import SlackClientSide
from bot.sandbox.standin import SlackStandIn
from tests.process.test_e2e import Served, register_acme, serve_process
from tests.support.desk import RunningApp, advance, drained, register_client
from tests.support.flows import (
    click,
    find_post,
    open_modal,
    open_ticket,
    submit,
    text_of,
    triage_post,
)
from tests.support.servers import SmtpSink, free_port
from tests.support.slackreq import SIGNING_SECRET
from tests.support.workspace import AM, CLIENT_CHANNEL, CLIENT_USER, LEAD, STAFF, STAFF_2, TRIAGE

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


def dm_times(slack: SlackStandIn, user: str) -> list[float]:
    return [c.at for c in slack.calls_to("chat.postMessage", channel=user)]


async def test_a_ticket_opened_while_closed_warns_and_breaches_after_opening(
        slack: SlackStandIn, redis_url: str) -> None:
    opens, calendars = opening_in(6)
    port = free_port()
    process = await serve_process(
        slack, redis_url, port, CALENDARS=json.dumps(calendars),
        PLANS=json.dumps({"standard": {"critical": 4, "calendar": "soon"}}))
    try:
        async with aiohttp.ClientSession() as session:
            served = Served(f"http://127.0.0.1:{port}", slack,
                            SlackClientSide(f"http://127.0.0.1:{port}", session,
                                            secret=SIGNING_SECRET), process)
            await register_acme(slack, redis_url)
            view = await open_modal(served)
            status, _ = await submit(served, view, title="Payments down", severity="Critical",
                                     description="Since the office closed.")
            assert status == 200
            triage = await triage_post(served, 1001)
            assert "*Hours:* " in text_of(triage) and "(UTC)" in text_of(triage)
            warning = (await slack.wait_for(lambda: dm_times(slack, AM), timeout=20))[0]
            breach = (await slack.wait_for(lambda: dm_times(slack, LEAD), timeout=10))[0]
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 15) == 0
    # 4 s of business time: warned at 3 s, breached at 4 s, counted from the opening.
    assert 0 <= warning - (opens + 3) < 1.0
    assert 0 <= breach - (opens + 4) < 1.0


PLANS = {"standard": {"critical": 40, "next_response": {"critical": 20},
                      "resolve_within": {"critical": 100}, "update_every": {"critical": None}}}


@pytest.fixture
def settings_extra(smtp_sink: SmtpSink) -> dict[str, Any]:
    return {"plans": json.dumps(PLANS), "smtp_url": f"smtp://127.0.0.1:{smtp_sink.port}"}


async def thread_message(app: RunningApp, user: str, thread_ts: str, event_id: str,
                         **extra: Any) -> None:
    response = await app.client.event({
        "type": "message", "channel": CLIENT_CHANNEL, "user": user, "text": "…",
        "ts": f"{app.runtime.clock.now():.6f}", "thread_ts": thread_ts, **extra},
        event_id=event_id)
    assert response.status == 200


async def test_a_client_follow_up_left_unanswered_breaches_the_next_response(
        app: RunningApp, smtp_sink: SmtpSink) -> None:
    await register_client(app.runtime)
    number = await open_ticket(app, "Exports fail", "Critical", "CSV empty.")
    post = await app.slack.wait_for(lambda: find_post(app, CLIENT_CHANNEL, f"T-{number}"))
    triage = await triage_post(app, number)
    await thread_message(app, STAFF, post.ts, "EvNext0001")  # the first response
    await advance(app.runtime, 5)
    await thread_message(app, CLIENT_USER, post.ts, "EvNext0002", user_team="T0OTHER001")
    await drained(app.runtime)
    assert "*Next response:* due" in text_of(triage)
    await advance(app.runtime, 16)  # 80 % of 20 s: the warning
    await drained(app.runtime)
    warned = app.slack.calls_to("chat.postMessage", channel=AM)
    assert len(warned) == 1 and "waiting for an answer" in warned[0].args["text"]
    await advance(app.runtime, 5)
    await app.slack.wait_for(lambda: app.slack.calls_to("chat.postMessage", channel=LEAD))
    await drained(app.runtime)
    breach = app.slack.calls_to("chat.postMessage", channel=LEAD)[0].args["text"]
    assert "SLA breached (next response)" in breach
    await app.slack.wait_for(lambda: smtp_sink.messages)
    assert "next response" in smtp_sink.messages[0]["Subject"]
    assert "BREACHED (next response)" in triage.text
    # Kept on the ticket for reports: which clock, due when, fired when.
    events = await app.runtime.store.sla_events(number)
    assert [(e.clock, e.step) for e in events] == [
        ("next response", "next_warning"), ("next response", "next_breach")]
    assert events[1].due - events[0].due == pytest.approx(5, abs=0.01)  # 75 % of 20 s
    assert all(0 <= e.late_by < 2 for e in events)  # the clock jumped a second past each
    # A staff answer stops it: nothing more comes, however long we wait.
    await thread_message(app, STAFF_2, post.ts, "EvNext0003")
    await advance(app.runtime, 30)
    await drained(app.runtime)
    assert len(app.slack.calls_to("chat.postMessage", channel=LEAD)) == 1


async def test_waiting_on_the_client_pauses_and_resolution_breaches_to_the_right_people(
        app: RunningApp) -> None:
    await register_client(app.runtime)
    number = await open_ticket(app, "Player", "Critical", "Black.")
    triage = await triage_post(app, number)
    await click(app, triage, "Claim", user=STAFF_2)
    post = await app.slack.wait_for(lambda: find_post(app, CLIENT_CHANNEL, f"T-{number}"))
    await thread_message(app, STAFF_2, post.ts, "EvRes00001")
    await drained(app.runtime)
    await click(app, triage, "Waiting on client", user=STAFF_2)
    await drained(app.runtime)
    assert "*Resolution:* paused while waiting on the client" in text_of(triage)
    await advance(app.runtime, 500)  # paused: the resolution clock stands still
    await drained(app.runtime)
    assert app.slack.calls_to("chat.postMessage", channel=LEAD) == []
    await click(app, triage, "Back to support", user=STAFF_2)
    await drained(app.runtime)
    assert "*Resolution:* due" in text_of(triage)
    # Under a second ran before the pause: 100 s in all, so no breach 80 s after it, and
    # one 25 s later (the 500 s paused did not count).
    await advance(app.runtime, 80)
    await drained(app.runtime)
    assert app.slack.calls_to("chat.postMessage", channel=LEAD) == []
    await advance(app.runtime, 25)
    await app.slack.wait_for(lambda: app.slack.calls_to("chat.postMessage", channel=LEAD))
    await drained(app.runtime)
    to_lead = app.slack.calls_to("chat.postMessage", channel=LEAD)[0].args["text"]
    assert "SLA breached (resolution)" in to_lead
    to_assignee = [c.args["text"] for c in app.slack.calls_to("chat.postMessage",
                                                              channel=STAFF_2)]
    assert any("SLA breached (resolution)" in t for t in to_assignee)
    notes = [m.text for m in app.slack.posts(TRIAGE, triage.ts)]
    assert any("breached its resolution deadline" in n for n in notes)
