"""Claiming a ticket from the triage post: staff only, atomic, visible to the client."""

from __future__ import annotations

import asyncio

import pytest

from bot.domain.tickets import Status
from bot.sandbox.standin import BOT_USER
from tests.support.desk import RunningApp, drained, ticket
from tests.support.flows import buttons, click, find_post, open_ticket, text_of, triage_post
from tests.support.workspace import (
    CLIENT_CHANNEL,
    CLIENT_USER,
    EXTERNAL,
    GUEST,
    STAFF,
    STAFF_2,
    TRIAGE,
)


async def test_claim_updates_the_triage_post_and_tells_the_client(app: RunningApp) -> None:
    number = await open_ticket(app)
    post = await triage_post(app, number)
    status, _ = await click(app, post, "Claim", user=STAFF_2)
    assert status == 200
    await app.slack.wait_for(lambda: post.updates >= 1)
    assert "Claim" not in buttons(post)
    assert f"Claimed by <@{STAFF_2}>" in text_of(post)
    client_post = find_post(app, CLIENT_CHANNEL, "T-1001")
    assert client_post is not None
    ack = await app.slack.wait_for(lambda: app.slack.posts(CLIENT_CHANNEL, client_post.ts))
    assert f"<@{STAFF_2}>" in ack[0].text
    assert len([m for m in app.slack.posts(TRIAGE) if m.thread_ts is None]) == 1
    stored = await ticket(app.runtime, number)
    assert stored.status is Status.CLAIMED and stored.assignee == STAFF_2


async def test_two_engineers_click_claim_together_one_wins(app: RunningApp) -> None:
    number = await open_ticket(app)
    post = await triage_post(app, number)
    results = await asyncio.gather(click(app, post, "Claim", user=STAFF),
                                   click(app, post, "Claim", user=STAFF_2))
    assert [s for s, _ in results] == [200, 200]
    refusals = await app.slack.wait_for(lambda: app.slack.calls_to("chat.postEphemeral"))
    assert len(refusals) == 1
    stored = await ticket(app.runtime, number)
    assert stored.status is Status.CLAIMED and stored.assignee in (STAFF, STAFF_2)
    winner = stored.assignee
    loser = STAFF_2 if winner == STAFF else STAFF
    assert refusals[0].args["user"] == loser
    assert f"already claimed by <@{winner}>" in refusals[0].args["text"]
    client_post = find_post(app, CLIENT_CHANNEL, "T-1001")
    assert client_post is not None
    await app.slack.wait_for(lambda: app.slack.posts(CLIENT_CHANNEL, client_post.ts))
    await drained(app.runtime)
    assert len(app.slack.posts(CLIENT_CHANNEL, client_post.ts)) == 1


async def test_double_click_by_the_same_engineer_acknowledges_once(app: RunningApp) -> None:
    number = await open_ticket(app)
    post = await triage_post(app, number)
    claim = buttons(post)["Claim"]
    for _ in range(2):
        await app.client.click(claim["action_id"], claim["value"], user=STAFF, channel=TRIAGE)
    client_post = find_post(app, CLIENT_CHANNEL, "T-1001")
    assert client_post is not None
    await app.slack.wait_for(lambda: app.slack.posts(CLIENT_CHANNEL, client_post.ts))
    await drained(app.runtime)
    assert len(app.slack.posts(CLIENT_CHANNEL, client_post.ts)) == 1
    assert app.slack.calls_to("chat.postEphemeral") == []


@pytest.mark.parametrize("user", [EXTERNAL, CLIENT_USER, GUEST, BOT_USER])
async def test_only_staff_may_claim(app: RunningApp, user: str) -> None:
    number = await open_ticket(app)
    post = await triage_post(app, number)
    team = "T0OTHER001" if user in (EXTERNAL, CLIENT_USER) else None
    element = buttons(post)["Claim"]
    kwargs = {"team": team} if team else {}
    status, _ = await app.client.click(element["action_id"], element["value"], user=user,
                                       channel=TRIAGE, message_ts=post.ts, **kwargs)
    assert status == 200
    refusal = await app.slack.wait_for(lambda: app.slack.calls_to("chat.postEphemeral"))
    assert refusal[0].args["user"] == user
    assert "Only the support team" in refusal[0].args["text"]
    stored = await ticket(app.runtime, number)
    assert stored.status is Status.OPEN and stored.assignee is None
    await drained(app.runtime)
    assert post.updates == 0


@pytest.mark.parametrize("settings_extra", [{"support_team": STAFF}], indirect=False)
async def test_support_team_list_narrows_who_may_claim(app: RunningApp) -> None:
    number = await open_ticket(app)
    post = await triage_post(app, number)
    await click(app, post, "Claim", user=STAFF_2)
    refusal = await app.slack.wait_for(lambda: app.slack.calls_to("chat.postEphemeral"))
    assert "Only the support team" in refusal[0].args["text"]
    assert (await ticket(app.runtime, number)).assignee is None
    await click(app, post, "Claim", user=STAFF)
    await app.slack.wait_for(lambda: post.updates >= 1)
    assert f"<@{STAFF}>" in text_of(post)


@pytest.mark.parametrize("settings_extra", [{"support_team": "S0SUPPORT1"}])
async def test_support_team_user_group_narrows_who_may_claim(app: RunningApp) -> None:
    app.slack.usergroups["S0SUPPORT1"] = [STAFF_2]
    number = await open_ticket(app)
    post = await triage_post(app, number)
    await click(app, post, "Claim", user=STAFF)
    refusal = await app.slack.wait_for(lambda: app.slack.calls_to("chat.postEphemeral"))
    assert "Only the support team" in refusal[0].args["text"]
    assert (await ticket(app.runtime, number)).assignee is None
    await click(app, post, "Claim", user=STAFF_2)
    await app.slack.wait_for(lambda: post.updates >= 1)
    assert f"<@{STAFF_2}>" in text_of(post)


async def test_a_refusal_slack_rate_limits_still_reaches_the_clicker(
        app: RunningApp, caplog: pytest.LogCaptureFixture) -> None:
    number = await open_ticket(app)
    post = await triage_post(app, number)
    claim = buttons(post)["Claim"]  # as the second clicker's screen still shows it

    async def late_claim() -> None:
        status, _ = await app.client.click(claim["action_id"], claim["value"], user=STAFF,
                                           channel=TRIAGE, message_ts=post.ts)
        assert status == 200

    await click(app, post, "Claim", user=STAFF_2)
    app.slack.fail("chat.postEphemeral", status=429, retry_after=1)
    await late_claim()
    told = await app.slack.wait_for(lambda: app.slack.ephemerals, timeout=5)
    assert told[0].user == STAFF and f"already claimed by <@{STAFF_2}>" in told[0].text
    # Refused for good (the app left the channel), it comes as a direct message, and the
    # log names the ticket.
    app.slack.fail("chat.postEphemeral", error="channel_not_found")
    await late_claim()
    dm = await app.slack.wait_for(lambda: app.slack.calls_to("chat.postMessage", channel=STAFF))
    assert f"already claimed by <@{STAFF_2}>" in dm[0].args["text"]
    assert [r for r in caplog.records if f"T-{number}" in r.getMessage()
            and "channel_not_found" in r.getMessage()]
