"""A ticket's life after the claim: statuses, engineering, updates, resolution, reopen."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from bot.domain.tickets import Status
from bot.sandbox.standin import Message
from tests.support.desk import RunningApp, advance, drained, register_client, ticket
from tests.support.flows import (
    buttons,
    click,
    find_post,
    open_ticket,
    submit_modal,
    text_of,
    triage_post,
)
from tests.support.workspace import (
    AM,
    CLIENT_CHANNEL,
    CLIENT_USER,
    EXTERNAL,
    GUEST,
    LEAD,
    STAFF,
    STAFF_2,
    TRIAGE,
)

ENGINEERING = "C0ENGINE01"
OTHER_CLIENT = "C0GLOBEX01"
OTHER_ORG = "T0OTHER001"
HOUR = 3600


@pytest.fixture
def settings_extra() -> dict[str, Any]:
    return {"engineering_channel": ENGINEERING}


@pytest.fixture(autouse=True)
def channels(slack: Any) -> None:
    slack.add_channel(ENGINEERING, "engineering")
    slack.add_channel(OTHER_CLIENT, "globex-support")


async def register(app: RunningApp) -> None:
    await register_client(app.runtime, channel=CLIENT_CHANNEL, name="Acme")
    await register_client(app.runtime, channel=OTHER_CLIENT, name="Globex")


def client_lines(app: RunningApp, thread: Message) -> list[Message]:
    return [m for m in app.slack.posts(CLIENT_CHANNEL) if m.thread_ts == thread.ts]


async def status_of(app: RunningApp, number: int) -> Status:
    return (await ticket(app.runtime, number)).status


def sla_alerts(app: RunningApp, triage: Message) -> list[str]:
    """Every initial-response warning or breach the desk sent: DMs to the account manager
    and the head of support, notes in the triage thread, the triage post's flag."""
    dms = [c.args.get("text", "") for user in (AM, LEAD)
           for c in app.slack.calls_to("chat.postMessage", channel=user)]
    notes = [m.text for m in app.slack.posts(TRIAGE, triage.ts)
             if "No response yet" in m.text or "breached" in m.text]
    flag = ["BREACHED"] if "BREACHED" in text_of(triage) else []
    return dms + notes + flag


async def press(app: RunningApp, post: Message, label: str, user: str = STAFF) -> None:
    updates = post.updates
    status, _ = await click(app, post, label, user=user)
    assert status == 200
    await app.slack.wait_for(lambda: post.updates > updates)


async def test_a_ticket_walked_from_opening_to_resolution_and_back(app: RunningApp) -> None:
    await register(app)
    number = await open_ticket(app, "Encoding fails", "High", "Every upload stops at 99%.")
    post = await triage_post(app, number)
    thread = find_post(app, CLIENT_CHANNEL, f"T-{number}")
    assert thread is not None

    await press(app, post, "Claim")
    assert set(buttons(post)) == {"Waiting on client", "Send to engineering",
                                  "Post update to client", "Resolve"}
    await press(app, post, "Waiting on client")
    assert "Waiting on client" in text_of(post)
    await app.slack.wait_for(lambda: any("reply from you" in m.text
                                         for m in client_lines(app, thread)))

    await press(app, post, "Send to engineering")
    handoff = await app.slack.wait_for(lambda: app.slack.posts(ENGINEERING))
    assert f"T-{number}" in handoff[0].text and f"<@{STAFF}>" in handoff[0].text
    assert "https://desk-test.slack.com/archives/" + TRIAGE in handoff[0].text
    await app.slack.wait_for(lambda: "hand-off thread" in text_of(post))
    await app.slack.wait_for(lambda: any("engineering team" in m.text
                                         for m in client_lines(app, thread)))

    # Engineers talk in the hand-off thread: none of it reaches the client.
    before = len(app.slack.posts(CLIENT_CHANNEL))
    await app.client.event({"type": "message", "channel": ENGINEERING, "user": STAFF_2,
                            "text": "root cause: the transcoder OOMs", "ts": "9.000001",
                            "thread_ts": handoff[0].ts}, event_id="EvEng0001")
    body = await submit_modal(app, post, "Post update to client", "Update",
                              "We found the cause and are deploying a fix.")
    assert body is None or "errors" not in body
    relayed = await app.slack.wait_for(lambda: [m for m in client_lines(app, thread)
                                                if "deploying a fix" in m.text])
    update_call = next(c for c in app.slack.calls_to("chat.postMessage")
                       if "deploying a fix" in c.args.get("text", ""))
    assert update_call.args["username"] == "u0staff001 (support)"
    assert not any("transcoder" in m.text for m in app.slack.posts(CLIENT_CHANNEL))
    assert len(app.slack.posts(CLIENT_CHANNEL)) == before + 1  # the update, nothing else
    assert relayed

    await press(app, post, "Back to support")
    await app.slack.wait_for(lambda: any("back with our support team" in m.text
                                         for m in client_lines(app, thread)))

    body = await submit_modal(app, post, "Resolve", "Resolution",
                              "Fixed in release 4.2: uploads complete again.",
                              view_id="V0RESOLVE1")
    await app.slack.wait_for(lambda: "Reopen" in buttons(post))
    resolution = await app.slack.wait_for(lambda: [m for m in client_lines(app, thread)
                                                   if "is resolved" in m.text])
    assert "release 4.2" in resolution[0].text
    assert await status_of(app, number) is Status.RESOLVED

    # The client (a member of the other organisation) reopens it from the thread.
    reopen = buttons(resolution[0])["Reopen"]
    await app.client.click(reopen["action_id"], reopen["value"], user=EXTERNAL,
                           channel=CLIENT_CHANNEL, team="T0OTHER001")
    await app.slack.wait_for(lambda: any("reopened" in m.text for m in client_lines(app, thread)))
    reopened = await ticket(app.runtime, number)
    assert reopened.status is Status.CLAIMED and reopened.assignee == STAFF
    assert reopened.resolution is None
    history = [(c.old, c.new, c.by) for c in reopened.status_changes]
    assert history == [
        (Status.OPEN, Status.CLAIMED, STAFF), (Status.CLAIMED, Status.WAITING_ON_CLIENT, STAFF),
        (Status.WAITING_ON_CLIENT, Status.WITH_ENGINEERING, STAFF),
        (Status.WITH_ENGINEERING, Status.CLAIMED, STAFF),
        (Status.CLAIMED, Status.RESOLVED, STAFF), (Status.RESOLVED, Status.CLAIMED, EXTERNAL)]
    # Reopened, it never warns or breaches: past its (High: 4 h) deadline nothing comes.
    await app.slack.wait_for(lambda: "Reopen" not in buttons(post))
    await advance(app.runtime, 5 * HOUR)
    await drained(app.runtime)
    assert sla_alerts(app, post) == []
    # Internal steps never showed in the client channel.
    assert not any(ENGINEERING in m.text or "hand-off" in m.text
                   for m in app.slack.posts(CLIENT_CHANNEL))


async def test_refused_transitions_change_nothing(app: RunningApp) -> None:
    number = await open_ticket(app)
    post = await triage_post(app, number)
    assert set(buttons(post)) == {"Claim", "Resolve"}
    ref = json.dumps({"ticket": number})
    # Forged clicks on buttons that are not shown for an open ticket.
    await app.client.click("status_waiting", ref, user=STAFF, channel=TRIAGE)
    await app.client.click("send_to_engineering", ref, user=STAFF, channel=TRIAGE)
    await app.client.click("reopen_ticket", ref, user=STAFF, channel=TRIAGE)
    refusals = await app.slack.wait_for(
        lambda: len(app.slack.calls_to("chat.postEphemeral")) == 3
        and app.slack.calls_to("chat.postEphemeral"))
    texts = [c.args["text"] for c in refusals]
    assert "must be claimed first" in texts[0] and "must be claimed first" in texts[1]
    assert "not resolved" in texts[2]
    assert await status_of(app, number) is Status.OPEN
    await drained(app.runtime)
    assert app.slack.posts(ENGINEERING) == []
    assert set(buttons(post)) == {"Claim", "Resolve"}


async def test_only_staff_change_statuses(app: RunningApp) -> None:
    number = await open_ticket(app)
    post = await triage_post(app, number)
    await press(app, post, "Claim")
    await click(app, post, "Send to engineering", user=GUEST)
    # A member of the client's organisation (in the shared channel), from their own team.
    engineering = buttons(post)["Send to engineering"]
    await app.client.click(engineering["action_id"], engineering["value"], user=CLIENT_USER,
                           channel=post.channel, message_ts=post.ts, team=OTHER_ORG)
    refusals = await app.slack.wait_for(
        lambda: len(app.slack.calls_to("chat.postEphemeral")) == 2
        and app.slack.calls_to("chat.postEphemeral"))
    assert all("Only the support team" in c.args["text"] for c in refusals)
    assert {c.args["user"] for c in refusals} == {GUEST, CLIENT_USER}
    assert await status_of(app, number) is Status.CLAIMED
    await drained(app.runtime)
    assert app.slack.posts(ENGINEERING) == []
    body = await submit_modal(app, post, "Post update to client", "Update", "hi", user=GUEST)
    assert body is not None and "Only the support team" in body["errors"]["update"]


async def test_resolution_needs_a_note(app: RunningApp) -> None:
    number = await open_ticket(app)
    post = await triage_post(app, number)
    body = await submit_modal(app, post, "Resolve", "Resolution", "   ")
    assert body is not None and body["response_action"] == "errors"
    assert "resolution" in body["errors"]
    assert await status_of(app, number) is Status.OPEN


@pytest.mark.parametrize("settings_extra", [{"reopen_days": 0}])
async def test_a_ticket_resolved_too_long_ago_cannot_be_reopened(app: RunningApp) -> None:
    number = await open_ticket(app)
    post = await triage_post(app, number)
    await submit_modal(app, post, "Resolve", "Resolution", "Done.")
    thread = find_post(app, CLIENT_CHANNEL, f"T-{number}")
    assert thread is not None
    resolution = await app.slack.wait_for(lambda: [m for m in client_lines(app, thread)
                                                   if "is resolved" in m.text])
    await advance(app.runtime, 1)  # a second later is too late with REOPEN_DAYS=0
    reopen = buttons(resolution[0])["Reopen"]
    await app.client.click(reopen["action_id"], reopen["value"], user=CLIENT_USER,
                           channel=CLIENT_CHANNEL, team=OTHER_ORG)
    refusal = await app.slack.wait_for(lambda: app.slack.calls_to("chat.postEphemeral"))
    assert "too long ago" in refusal[0].args["text"]
    assert refusal[0].args["user"] == CLIENT_USER
    assert await status_of(app, number) is Status.RESOLVED


async def test_a_client_cannot_reopen_another_clients_ticket(app: RunningApp) -> None:
    number = await open_ticket(app)
    post = await triage_post(app, number)
    await submit_modal(app, post, "Resolve", "Resolution", "Done.")
    await app.slack.wait_for(lambda: "Reopen" in buttons(post))
    await app.client.click("reopen_ticket", json.dumps({"ticket": number}), user=CLIENT_USER,
                           channel=OTHER_CLIENT, team=OTHER_ORG)
    refusal = await app.slack.wait_for(lambda: app.slack.calls_to("chat.postEphemeral"))
    assert "Only the client or the support team" in refusal[0].args["text"]
    assert await status_of(app, number) is Status.RESOLVED
    assert "Reopen" in buttons(post)


@pytest.mark.parametrize("settings_extra", [{"plans": json.dumps(
    {"standard": {"critical": 60, "update_every": {"critical": 2}}}),
    "engineering_channel": ENGINEERING}])
async def test_an_overdue_update_reminds_the_assignee(app: RunningApp) -> None:
    await register(app)
    number = await open_ticket(app, "Checkout down", "Critical", "All payments fail.")
    post = await triage_post(app, number)
    thread = find_post(app, CLIENT_CHANNEL, f"T-{number}")
    assert thread is not None
    await press(app, post, "Claim", user=STAFF_2)
    await app.client.event({"type": "message", "channel": CLIENT_CHANNEL, "user": STAFF_2,
                            "text": "Looking", "ts": f"{time.time():.6f}",
                            "thread_ts": thread.ts},
                           event_id="EvCadence1")
    await press(app, post, "Send to engineering", user=STAFF_2)
    await drained(app.runtime)
    assert app.slack.calls_to("chat.postMessage", channel=STAFF_2) == []  # not owed yet
    await advance(app.runtime, 2)
    dm = (await app.slack.wait_for(
        lambda: app.slack.calls_to("chat.postMessage", channel=STAFF_2)))[0]
    assert "owed an update" in dm.args["text"] and f"T-{number}" in dm.args["text"]
    note = await app.slack.wait_for(lambda: [m for m in app.slack.posts(TRIAGE)
                                             if m.thread_ts == post.ts])
    assert "owed an update" in note[0].text
    # An update to the client restarts the cadence: one more reminder after 2 s, not before.
    await submit_modal(app, post, "Post update to client", "Update", "Still on it.",
                       user=STAFF_2)
    await advance(app.runtime, 1)
    await drained(app.runtime)
    assert len(app.slack.calls_to("chat.postMessage", channel=STAFF_2)) == 1
    await advance(app.runtime, 1.5)
    await app.slack.wait_for(
        lambda: len(app.slack.calls_to("chat.postMessage", channel=STAFF_2)) == 2)
    await drained(app.runtime)
    assert len(app.slack.calls_to("chat.postMessage", channel=STAFF_2)) == 2


async def test_a_ticket_resolved_before_any_response_and_reopened_never_breaches(
        app: RunningApp) -> None:
    await register(app)
    number = await open_ticket(app, "Uploads fail", "High", "Every upload stops at 99%.")
    post = await triage_post(app, number)
    await submit_modal(app, post, "Resolve", "Resolution", "Works again.")
    await app.slack.wait_for(lambda: "Reopen" in buttons(post))
    await press(app, post, "Reopen")
    assert "Claim" in buttons(post)
    reopened = await ticket(app.runtime, number)
    assert reopened.status is Status.OPEN and reopened.first_response_at is None
    # The initial-response clock stopped at the resolution: past the 4 h deadline, no
    # warning and no breach.
    await advance(app.runtime, 5 * HOUR)
    await drained(app.runtime)
    assert sla_alerts(app, post) == []
