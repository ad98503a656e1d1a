"""The sandbox as a process: it starts offline and shows its page, refuses real-looking
Slack tokens unless --force, and leaves no process behind on Ctrl-C. (Its settings and
the stand-in's Slack rules it relies on: ``tests/unit/test_sandbox.py``.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.sandbox.workspace import (
    CLIENT,
    CLIENT_CHANNEL,
    ENGINEER,
    FIRST_MESSAGE,
    ROSSI,
    ROSSI_CHANNEL,
    ROSSI_MESSAGE,
    TRIAGE,
)
from tests.support.cli import bot_env, run_bot
from tests.support.sandbox import Sandbox, do, sandbox_in, seen, state_of, stop_sandbox
from tests.support.servers import free_port, redis_processes


@pytest.fixture
def sandbox_env() -> dict[str, str]:
    return {"WEBHOOK_URL": "http://192.0.2.1/hooks",
            "WEBHOOK_SECRET": "a-secret-of-sixteen-chars",
            "PAGERDUTY_ROUTING_KEY": "R0UTINGKEY0123456789",
            "PAGERDUTY_URL": "http://192.0.2.1/enqueue"}


async def test_the_page_shows_the_demo_workspace_and_ctrl_c_leaves_nothing_behind(
        sandbox: Sandbox) -> None:
    data = sandbox.dir / "data"
    assert redis_processes(data), "the sandbox runs its own Redis in its folder"
    async with aiohttp.ClientSession() as http:
        async with http.get(sandbox.url) as page:
            assert page.status == 200 and "Support Desk" in await page.text()
        state = await state_of(http, sandbox)
    assert state["me"]["id"] == CLIENT.id, "a first visit is the client's"
    assert len(state["personas"]) == 6
    assert [c["name"] for c in state["channels"]] == ["acme-support", "Support Desk"]
    welcome = state["conversations"][CLIENT_CHANNEL]["messages"][0]
    assert "Welcome, Acme Media!" in welcome["blocks"][0]["text"]["text"]
    async with aiohttp.ClientSession() as http:
        italian = await state_of(http, sandbox, ROSSI.id)
    # The Italian client sees its own channel alone, in Italian.
    assert [c["name"] for c in italian["channels"]] == ["rossi-support", "Support Desk"]
    welcome = italian["conversations"][ROSSI_CHANNEL]["messages"][0]
    assert "Benvenuti, Rossi Media!" in welcome["blocks"][0]["text"]["text"]
    assert await stop_sandbox(sandbox) == 0
    assert redis_processes(data) == [], "a redis-server outlived the sandbox"


async def test_the_client_cannot_run_slash_commands_in_the_shared_channel(
        sandbox: Sandbox) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{sandbox.url}api/do", json={
                "kind": "command", "as": CLIENT.id, "channel": CLIENT_CHANNEL,
                "text": "/ticket Videos do not play"}) as r:
            assert r.status == 200
        async with http.get(f"{sandbox.url}api/state?as={CLIENT.id}") as r:
            state = await r.json()
    said = state["conversations"][CLIENT_CHANNEL]["messages"][-1]
    assert said["ephemeral"] and said["user"] == "USLACKBOT"
    assert "not shared with people of other organisations" in said["text"]
    assert state["modal"] is None


async def test_it_refuses_real_looking_tokens_unless_forced(tmp_path: Path) -> None:
    token = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp"
    result = await run_bot("sandbox", "--port", str(free_port()), "--dir", str(tmp_path / "s"),
                           env=bot_env(None, None, SLACK_BOT_TOKEN=token))
    assert result.code == 2
    assert "SLACK_BOT_TOKEN" in result.err and "--force" in result.err
    assert token not in result.err + result.out
    assert not (tmp_path / "s").exists()
    async with sandbox_in(tmp_path / "f", "--force", SLACK_BOT_TOKEN=token):
        pass  # it starts; and stops with Ctrl-C, exiting 0


async def test_the_clients_first_messages_have_opened_their_tickets(sandbox: Sandbox) -> None:
    async with aiohttp.ClientSession() as http:
        async def cards(who: str, channel: str) -> list[dict[str, Any]]:
            shown = (await state_of(http, sandbox, who))["conversations"][channel]["messages"]
            first = next(m for m in shown if m["user"] == who)
            return [m for m in shown if m["thread_ts"] == first["ts"] and m["ts"] != first["ts"]
                    and "T-100" in m["text"]]

        async def in_triage() -> list[str]:
            shown = (await state_of(http, sandbox, ENGINEER.id))["conversations"][TRIAGE]
            found = [m["text"] for m in shown["messages"] if "T-100" in m["text"]]
            return found if len(found) == 2 else []

        dana = (await state_of(http, sandbox, CLIENT.id))["conversations"][CLIENT_CHANNEL]
        assert dana["messages"][1]["text"] == FIRST_MESSAGE
        card = (await seen(lambda: cards(CLIENT.id, CLIENT_CHANNEL)))[0]
        assert "T-1001" in card["text"] and "Medium" in card["text"]
        italian = (await seen(lambda: cards(ROSSI.id, ROSSI_CHANNEL)))[0]
        assert "T-1002 · Medio · aperto" in italian["text"]
        triage = await seen(in_triage)
        assert sorted(triage) == [f"T-1001 · Medium: {FIRST_MESSAGE}",
                                  f"T-1002 · Medium: {ROSSI_MESSAGE}"]
        reminders = (await state_of(http, sandbox, ENGINEER.id))["reminders"]
        assert {r["ticket"] for r in reminders} >= {"T-1001", "T-1002"}, "their clocks run"


async def test_a_ticket_reaction_and_the_message_shortcut_reach_the_bot(
        sandbox: Sandbox) -> None:
    async with aiohttp.ClientSession() as http:
        async def act(**body: Any) -> None:
            status, answer = await do(http, sandbox, **body)
            assert status == 200, answer

        async def prompt() -> list[dict[str, Any]]:
            shown = (await state_of(http, sandbox, CLIENT.id))["conversations"][CLIENT_CHANNEL]
            return [m for m in shown["messages"] if m["thread_ts"] == note["ts"]]

        async def modal_of(who: str) -> Any:
            return (await state_of(http, sandbox, who))["modal"]

        # A message that opened no ticket (staff write in the shared channel too): the
        # client's :ticket: reaction offers to open one from it.
        said = "Tonight at 22:00 we upgrade the player: expect a minute without video."
        await act(kind="write", **{"as": ENGINEER.id}, channel=CLIENT_CHANNEL, text=said)
        note = (await state_of(http, sandbox, CLIENT.id)
                )["conversations"][CLIENT_CHANNEL]["messages"][-1]
        assert note["text"] == said
        await act(kind="react", **{"as": CLIENT.id}, channel=CLIENT_CHANNEL, ts=note["ts"],
                  name="ticket")
        asked = await seen(prompt)
        assert "Open a support ticket from this message?" in asked[0]["text"]
        await act(kind="click", **{"as": CLIENT.id}, channel=CLIENT_CHANNEL, ts=asked[0]["ts"],
                  block=1, action_id="open_ticket")
        modal = await seen(lambda: modal_of(CLIENT.id))
        assert modal["view"]["title"]["text"] == "Open a support ticket"
        description = modal["view"]["blocks"][2]["element"]["initial_value"]
        assert description.startswith("Tonight at 22:00")

        await act(kind="shortcut", **{"as": ENGINEER.id}, channel=CLIENT_CHANNEL,
                  ts=note["ts"], callback_id="open_support_ticket")
        opened = await seen(lambda: modal_of(ENGINEER.id))
        assert opened["view"]["blocks"][2]["element"]["initial_value"] == said


async def test_the_client_writes_in_the_channel_and_the_ticket_appears_in_triage(
        sandbox: Sandbox) -> None:
    async with aiohttp.ClientSession() as http:
        # Her first ticket is answered: what she writes next is not a follow-up of it.
        first = (await state_of(http, sandbox, CLIENT.id)
                 )["conversations"][CLIENT_CHANNEL]["messages"][1]
        status, answer = await do(http, sandbox, kind="write", **{"as": ENGINEER.id},
                                  channel=CLIENT_CHANNEL, thread_ts=first["ts"],
                                  text="Looking into it: which browser?")
        assert status == 200, answer
        status, answer = await do(http, sandbox, kind="write", **{"as": CLIENT.id},
                                  channel=CLIENT_CHANNEL,
                                  text="Our live stream stopped for every viewer in Europe")
        assert status == 200, answer

        async def in_triage() -> list[dict[str, Any]]:
            shown = (await state_of(http, sandbox, ENGINEER.id))["conversations"][TRIAGE]
            return [m for m in shown["messages"] if "T-1003" in m["text"]]

        posted = (await seen(in_triage))[0]
        assert "Our live stream stopped for every viewer in Europe" in posted["text"]

        async def card() -> list[dict[str, Any]]:
            shown = (await state_of(http, sandbox, CLIENT.id))["conversations"][CLIENT_CHANNEL]
            return [m for m in shown["messages"] if m["thread_ts"] and "T-1003" in m["text"]]

        assert await seen(card)
