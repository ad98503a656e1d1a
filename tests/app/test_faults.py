"""Ordinary faults: each promised effect of a warning or a breach arrives once, except the
one to the person who cannot be reached, which is shown in the ticket's triage thread.

The desk's clock is moved forward (``advance``) instead of waiting through SLA windows;
Critical is 40 s here: the warning is due at 30 s, the breach at 40 s.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.domain.tickets import Severity
from bot.sandbox.records import dm_channel
from bot.sandbox.standin import Message, SlackStandIn
from bot.services.staff import Actor
from tests.support.desk import RunningApp, advance, drained, register_client
from tests.support.flows import buttons, click, find_post, open_ticket, text_of, triage_post
from tests.support.once import BREACH_AT, MINUTE_PLANS, WARNING_AT
from tests.support.servers import SmtpSink
from tests.support.workspace import AM, CLIENT_CHANNEL, LEAD, STAFF, STAFF_2, TRIAGE

PLANS = MINUTE_PLANS


@pytest.fixture
def settings_extra(smtp_sink: SmtpSink) -> dict[str, Any]:
    return {"plans": json.dumps(PLANS), "smtp_url": f"smtp://127.0.0.1:{smtp_sink.port}",
            "email_from": "desk@vendor.example"}


def dms(slack: SlackStandIn, user: str) -> list[Message]:
    return slack.posts(dm_channel(user))


def triage_thread(app: RunningApp, post: Message) -> list[str]:
    return [m.text for m in sorted(app.slack.posts(TRIAGE, post.ts), key=lambda m: m.ts)]


async def critical_ticket(app: RunningApp, claim_by: str | None = None) -> Message:
    await register_client(app.runtime)
    number = await open_ticket(app, "Payments down", "Critical", "Every checkout fails.")
    post = await triage_post(app, number)
    if claim_by:
        await click(app, post, "Claim", user=claim_by)
    await drained(app.runtime)
    return post


async def pass_time(app: RunningApp, seconds: float) -> None:
    await advance(app.runtime, seconds)
    await asyncio.sleep(0.05)
    await drained(app.runtime)


async def test_a_departed_account_manager_does_not_stop_the_warning(app: RunningApp,
                                                                     smtp_sink: SmtpSink) -> None:
    post = await critical_ticket(app, claim_by=STAFF_2)
    app.slack.users[AM]["deleted"] = True  # left the company: Slack answers user_disabled
    await pass_time(app, WARNING_AT)
    assert len(dms(app.slack, STAFF_2)) == 1  # the assignee is warned all the same
    notes = triage_thread(app, post)
    assert any("No response yet" in n and f"<@{STAFF_2}>" in n for n in notes)
    problems = [n for n in notes if "Could not DM" in n]
    assert len(problems) == 1
    assert f"<@{AM}>" in problems[0] and "user_disabled" in problems[0]
    assert "clients set" in problems[0]
    await pass_time(app, BREACH_AT - WARNING_AT)
    assert len(dms(app.slack, LEAD)) == 1 and len(smtp_sink.messages) == 1
    await app.slack.wait_for(lambda: "BREACHED" in text_of(post))
    # One cause, one note; no retry of the DM that cannot be delivered.
    assert len([n for n in triage_thread(app, post) if "Could not DM" in n]) == 1
    assert len(app.slack.calls_to("chat.postMessage", channel=AM)) == 1


async def test_a_departed_head_of_support_still_gets_the_email_and_the_mark(
        app: RunningApp, smtp_sink: SmtpSink) -> None:
    post = await critical_ticket(app)
    app.slack.users[LEAD]["deleted"] = True
    await pass_time(app, BREACH_AT)
    assert len(smtp_sink.messages) == 1
    await app.slack.wait_for(lambda: "BREACHED" in text_of(post))
    notes = triage_thread(app, post)
    assert any("breached its response deadline" in n for n in notes)
    assert [n for n in notes if "Could not DM" in n and f"<@{LEAD}>" in n
            and "head of support" in n and "user_disabled" in n]
    dead = await app.runtime.queue.dead_letters()
    assert [k for k in dead if k.startswith("dm:")] == [
        next(k for k in dead if k.startswith("dm:1001:breach:") and k.endswith(LEAD))]
    # The sweep does not bring the failed DM back: it is not retried forever.
    attempts = len(app.slack.calls_to("chat.postMessage", channel=LEAD))
    await app.runtime.worker.sweeper.sweep()
    await pass_time(app, 5)
    assert len(app.slack.calls_to("chat.postMessage", channel=LEAD)) == attempts == 1
    assert len(smtp_sink.messages) == 1


async def test_a_deactivated_assignee_does_not_stop_the_account_manager(
        app: RunningApp) -> None:
    post = await critical_ticket(app, claim_by=STAFF_2)
    app.slack.users[STAFF_2]["deleted"] = True
    await pass_time(app, WARNING_AT)
    assert len(dms(app.slack, AM)) == 1
    notes = triage_thread(app, post)
    assert any("No response yet" in n for n in notes)
    assert [n for n in notes if "Could not DM" in n and f"<@{STAFF_2}>" in n
            and "assignee" in n]


async def test_smtp_refusing_the_recipient_is_shown_and_not_retried(
        app: RunningApp, smtp_sink: SmtpSink) -> None:
    post = await critical_ticket(app)
    smtp_sink.refuse_rcpt.append("550 5.1.1 no such user")
    await pass_time(app, BREACH_AT)
    assert len(dms(app.slack, LEAD)) == 1
    await app.slack.wait_for(lambda: "BREACHED" in text_of(post))
    # The note is a job of its own, after the email's dead letter.
    await app.slack.wait_for(lambda: [
        n for n in triage_thread(app, post)
        if "Could not email the breach to lead@vendor.example" in n])
    assert smtp_sink.messages == [] and smtp_sink.sessions == 1


async def test_a_change_during_a_held_triage_update_ends_on_the_latest_state(
        app: RunningApp) -> None:
    await register_client(app.runtime)
    number = await open_ticket(app, "Slow reports", "Low", "Takes a minute.")
    post = await triage_post(app, number)
    gate = app.slack.gates[("chat.update", TRIAGE)] = asyncio.Event()
    await click(app, post, "Claim", user=STAFF)
    await app.slack.wait_for(lambda: app.slack.held)  # Slack has the update, no answer yet
    await app.runtime.desk.tickets.change_severity(number, Severity.CRITICAL, Actor(STAFF))
    del app.slack.gates[("chat.update", TRIAGE)]
    gate.set()
    await drained(app.runtime)
    assert "*Severity:* Critical" in text_of(post)
    assert "Claim" not in buttons(post) and "Waiting on client" in buttons(post)
    menu = next(e for b in post.blocks if b["type"] == "actions" for e in b["elements"]
                if e["type"] == "static_select")
    assert "Critical" not in [o["text"]["text"] for o in menu["options"]]


async def test_a_burst_of_changes_on_one_ticket_ends_on_the_latest_state(
        app: RunningApp) -> None:
    number = await open_ticket(app, "Exports", "Low", "CSV empty.")
    post = await triage_post(app, number)
    app.slack.delay = 0.05
    await click(app, post, "Claim", user=STAFF)
    for severity in (Severity.HIGH, Severity.MEDIUM, Severity.CRITICAL, Severity.HIGH):
        await app.runtime.desk.tickets.change_severity(number, severity, Actor(STAFF))
    await drained(app.runtime)
    assert "*Severity:* High" in text_of(post) and "Claimed by" in text_of(post)


async def test_a_worker_cut_off_from_redis_right_after_a_breach_fired_still_redraws_the_card(
        app: RunningApp) -> None:
    await critical_ticket(app)
    card = find_post(app, CLIENT_CHANNEL, "T-1001")
    assert card is not None and "BREACHED" not in text_of(card)
    store = app.runtime.worker.deps.store
    commit, arm = store.commit_effects, store.enqueue_many
    fired = asyncio.Event()

    async def commit_then_lose_redis(*args: Any, **options: Any) -> bool | None:
        done = await commit(*args, **options)
        if options.get("fired") is not None and done:
            fired.set()
        return done

    async def unreachable_once_fired(armed: Any) -> None:
        if fired.is_set():
            raise RedisConnectionError("Redis went away")
        await arm(armed)

    store.commit_effects = commit_then_lose_redis  # type: ignore[method-assign]
    store.enqueue_many = unreachable_once_fired  # type: ignore[method-assign]
    try:
        await pass_time(app, BREACH_AT)
        assert fired.is_set()
        await app.slack.wait_for(lambda: dms(app.slack, LEAD))
        await asyncio.sleep(1.5)  # past the backoff of a job that failed
        await drained(app.runtime)
    finally:
        del store.commit_effects, store.enqueue_many
    assert "BREACHED" in text_of(card)


async def test_a_worker_cut_off_from_redis_right_after_a_dm_failed_for_good_still_tells_triage(
        app: RunningApp) -> None:
    post = await critical_ticket(app, claim_by=STAFF_2)
    app.slack.users[AM]["deleted"] = True  # the DM to the account manager fails for good
    store = app.runtime.worker.deps.store
    arm = store.enqueue_many

    async def unreachable_once_dead(armed: Any) -> None:
        if await app.runtime.queue.dead_letters():
            raise RedisConnectionError("Redis went away")
        await arm(armed)

    store.enqueue_many = unreachable_once_dead  # type: ignore[method-assign]
    try:
        await pass_time(app, WARNING_AT)
        await app.slack.wait_for(lambda: dms(app.slack, STAFF_2))
        await asyncio.sleep(0.5)
        await drained(app.runtime)
    finally:
        del store.enqueue_many
    problems = [n for n in triage_thread(app, post) if "Could not DM" in n]
    assert len(problems) == 1 and f"<@{AM}>" in problems[0]
