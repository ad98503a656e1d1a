"""The next-response and the resolution clocks in the app: a client's follow-up starts the
next-response clock and a resolution target breaches to the assignee and the head of
support. (Business hours on the real process: ``tests/process/test_business_hours.py``.)
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.desk import RunningApp, advance, drained, register_client
from tests.support.flows import click, find_post, open_ticket, text_of, triage_post
from tests.support.servers import SmtpSink
from tests.support.workspace import AM, CLIENT_CHANNEL, CLIENT_USER, LEAD, STAFF, STAFF_2, TRIAGE

PLANS = {"standard": {"critical": 40, "next_response": {"critical": 20},
                      "resolve_within": {"critical": 100}, "update_every": {"critical": None}}}


@pytest.fixture
def settings_extra(smtp_sink: SmtpSink) -> dict[str, Any]:
    return {"plans": json.dumps(PLANS), "smtp_url": f"smtp://127.0.0.1:{smtp_sink.port}"}


async def thread_message(app: RunningApp, user: str, thread_ts: str, event_id: str,
                         **extra: Any) -> None:
    response = await app.client.event({
        "type": "message", "channel": CLIENT_CHANNEL, "user": user,
        "text": "Any news? The export still comes out empty.",
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
