"""End to end: ``python -m bot serve`` as a real process, driven as Slack drives it."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest

from bot.bootstrap import open_runtime
from bot.sandbox.standin import SlackStandIn
from tests.support.cli import bot_env, register_acme
from tests.support.desk import armed, drained, settings_for, ticket
from tests.support.flows import buttons, click, find_post, open_modal, submit, text_of, triage_post
from tests.support.processes import SECONDS_PLANS, Served, bot_process, open_critical, serve
from tests.support.servers import SmtpSink, start_redis
from tests.support.workspace import AM, CLIENT_CHANNEL, LEAD, STAFF, STAFF_2


async def settled(slack: SlackStandIn, redis_url: str, number: int = 1001) -> list[str]:
    """Wait until the desk has nothing due or running; the jobs of ticket ``number`` still
    armed for later (a reminder, a retry: not the clients' monthly statements)."""
    async with open_runtime(settings_for(slack, redis_url), redis_url) as runtime:
        await drained(runtime)
        return await armed(runtime, number)


async def test_ticket_to_claim_against_the_running_process(served: Served,
                                                           redis_url: str) -> None:
    await register_acme(served.slack, redis_url, "--phone", "+1 555 0100")

    view = await open_modal(served, "Videos do not play")
    bad = await submit(served, view, title="", severity=None, description="",
                       view_id="V0BADFORM1")
    assert bad[1] is not None and set(bad[1]["errors"]) == {"title", "severity", "description"}
    status, body = await submit(served, view, title="Videos do not play", severity="Critical",
                                description="Every video shows a black frame.")
    assert status == 200 and body is not None and body["response_action"] == "update"

    triage = await triage_post(served, 1001)
    client_post = find_post(served, CLIENT_CHANNEL, "T-1001")
    assert client_post is not None and "+1 555 0100" in text_of(client_post)
    assert "Acme Media" in text_of(triage)

    claim = buttons(triage)["Claim"]
    await click(served, triage, "Claim", user=STAFF)
    await served.slack.wait_for(lambda: "Claim" not in buttons(triage))
    assert triage.updates >= 1 and f"<@{STAFF}>" in text_of(triage)
    ack = await served.slack.wait_for(lambda: served.slack.posts(CLIENT_CHANNEL, client_post.ts))
    assert f"<@{STAFF}>" in ack[0].text

    # A second engineer clicking the (now stale) button is told who has it.
    await served.client.click(claim["action_id"], claim["value"], user=STAFF_2,
                              channel=triage.channel)
    refusal = await served.slack.wait_for(lambda: served.slack.calls_to("chat.postEphemeral"))
    assert f"already claimed by <@{STAFF}>" in refusal[0].args["text"]


async def test_healthz_is_503_while_redis_is_down(slack: SlackStandIn, tmp_path: Path) -> None:
    server = start_redis(tmp_path / "redis")
    async with serve(slack, server.url) as served:
        server.kill()
        async with aiohttp.ClientSession() as session, \
                session.get(f"{served.url}/healthz") as r:
            assert r.status == 503


async def test_socket_mode_serves_commands_through_slack_api_url(slack: SlackStandIn,
                                                                 redis_url: str) -> None:
    env = bot_env(slack, redis_url, SLACK_APP_TOKEN="xapp-1-test")
    del env["SLACK_SIGNING_SECRET"]
    async with bot_process("serve", env=env):
        await slack.wait_for(lambda: slack.calls_to("apps.connections.open"))
        await slack.send_over_socket({
            "envelope_id": "env-1", "type": "slash_commands", "accepts_response_payload": True,
            "payload": {"command": "/ticket", "text": "Uploads fail", "user_id": STAFF,
                        "team_id": "T0DESK0001", "channel_id": CLIENT_CHANNEL,
                        "trigger_id": "1.socket", "api_app_id": "A0APP00001"}})
        opened = await slack.wait_for(lambda: slack.calls_to("views.open"))
        assert opened[0].args["view"]["blocks"][0]["element"]["initial_value"] == "Uploads fail"
        assert any(a.get("envelope_id") == "env-1" for a in slack.socket_acks)


@pytest.fixture
def smtp_env(smtp_sink: SmtpSink) -> dict[str, str]:
    return {**SECONDS_PLANS, "SMTP_URL": f"smtp://127.0.0.1:{smtp_sink.port}"}


async def test_unclaimed_critical_warns_and_breaches_once_each_on_time(
        slack: SlackStandIn, redis_url: str, smtp_sink: SmtpSink,
        smtp_env: dict[str, str]) -> None:
    async with serve(slack, redis_url, **smtp_env) as served:
        _, created = await open_critical(served, redis_url)
        triage = await triage_post(served, 1001)
        warning = (await slack.wait_for(
            lambda: slack.calls_to("chat.postMessage", channel=AM), timeout=6))[0]
        breach = (await slack.wait_for(
            lambda: slack.calls_to("chat.postMessage", channel=LEAD), timeout=6))[0]
        await slack.wait_for(lambda: smtp_sink.messages and "BREACHED" in text_of(triage))
        received = time.time()
        # Nothing is left to run, now or later: no second warning, breach or email.
        assert await settled(slack, redis_url) == []
    assert 0 <= warning.at - (created + 3) <= 1
    assert 0 <= breach.at - (created + 4) <= 1
    assert received - (created + 4) <= 1.5
    assert len(slack.calls_to("chat.postMessage", channel=AM)) == 1
    assert len(slack.calls_to("chat.postMessage", channel=LEAD)) == 1
    assert len(smtp_sink.messages) == 1


@pytest.mark.parametrize("serve_env", [SECONDS_PLANS])
async def test_a_staff_reply_before_the_warning_produces_neither(
        served: Served, redis_url: str) -> None:
    _, created = await open_critical(served, redis_url)
    thread = find_post(served, CLIENT_CHANNEL, "T-1001")
    assert thread is not None
    response = await served.client.event(
        {"type": "message", "channel": CLIENT_CHANNEL, "user": STAFF, "text": "Looking now",
         "ts": f"{time.time():.6f}", "thread_ts": thread.ts}, event_id="EvE2eReply1")
    assert response.status == 200
    async with open_runtime(settings_for(served.slack, redis_url), redis_url) as runtime:
        assert (await ticket(runtime, 1001)).first_response_at is not None
        await drained(runtime)
        # The reply disarmed both reminders: nothing is armed for later.
        assert await armed(runtime, 1001) == []
    # And past the breach deadline (4 s after opening), neither was sent.
    await asyncio.sleep(max(0.0, created + 4.5 - time.time()))
    assert await settled(served.slack, redis_url) == []
    assert served.slack.calls_to("chat.postMessage", channel=AM) == []
    assert served.slack.calls_to("chat.postMessage", channel=LEAD) == []
