"""The sandbox as a process: it starts offline and shows its page, refuses real-looking
Slack tokens unless --force, and leaves no process behind on Ctrl-C. (Its settings and
the stand-in's Slack rules it relies on: ``tests/unit/test_sandbox.py``.)"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.sandbox.workspace import CLIENT, CLIENT_CHANNEL, ENGINEER, FIRST_MESSAGE
from tests.process.test_embedded_redis import redis_processes
from tests.support.cli import ROOT, bot_env, run_bot
from tests.support.servers import free_port
from tests.support.waiting import until

READY = "The sandbox is ready: open "


@dataclass
class Sandbox:
    url: str
    dir: Path
    process: asyncio.subprocess.Process


async def start_sandbox(folder: Path, *args: str, **env: str) -> Sandbox:
    """``python -m bot sandbox`` as a person runs it; returns once it printed its URL."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sandbox", "--port", str(port), "--dir", str(folder),
        *args, env=bot_env(None, None, **env), cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert process.stdout is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(30):
            while not any(READY in line for line in lines):
                line = (await process.stdout.readline()).decode()
                if not line:
                    raise AssertionError(f"the sandbox exited: {lines}")
                lines.append(line)
    except TimeoutError:
        process.kill()
        raise
    url = next(line for line in lines if READY in line).split(READY)[1].split()[0]
    assert url == f"http://127.0.0.1:{port}/"
    return Sandbox(url, folder, process)


async def stop_sandbox(sandbox: Sandbox) -> int:
    sandbox.process.send_signal(signal.SIGINT)
    return await asyncio.wait_for(sandbox.process.wait(), 30)


@contextlib.asynccontextmanager
async def sandbox_in(folder: Path, **env: str) -> AsyncIterator[Sandbox]:
    """A sandbox for one test: stopped after it, if the test did not, its Redis too."""
    running = await start_sandbox(folder, **env)
    try:
        yield running
    finally:
        if running.process.returncode is None:
            await stop_sandbox(running)
        for pid in redis_processes(running.dir / "data"):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    async with sandbox_in(tmp_path / "sandbox", WEBHOOK_URL="http://192.0.2.1/hooks",
                          WEBHOOK_SECRET="a-secret-of-sixteen-chars",
                          PAGERDUTY_ROUTING_KEY="R0UTINGKEY0123456789",
                          PAGERDUTY_URL="http://192.0.2.1/enqueue") as running:
        yield running


async def state_of(http: aiohttp.ClientSession, sandbox: Sandbox,
                   who: str | None = None) -> dict[str, Any]:
    """What ``who`` sees (the page's ``/api/state``); no one: a first visit."""
    query = f"?as={who}" if who else ""
    async with http.get(f"{sandbox.url}api/state{query}") as r:
        assert r.status == 200, await r.text()
        found: dict[str, Any] = await r.json()
        return found


async def do(http: aiohttp.ClientSession, sandbox: Sandbox,
             **body: Any) -> tuple[int, dict[str, Any]]:
    """What a person does, posted as the page posts it: the status and the answer."""
    async with http.post(f"{sandbox.url}api/do", json=body) as r:
        answer: dict[str, Any] = await r.json()
        return r.status, answer


async def seen(check: Callable[[], Awaitable[Any]]) -> Any:
    """What ``check`` returns once it is something (what the bot does takes a moment)."""
    return await until(check, timeout=10.0)


async def test_the_page_shows_the_demo_workspace_and_ctrl_c_leaves_nothing_behind(
        sandbox: Sandbox) -> None:
    data = sandbox.dir / "data"
    assert redis_processes(data), "the sandbox runs its own Redis in its folder"
    async with aiohttp.ClientSession() as http:
        async with http.get(sandbox.url) as page:
            assert page.status == 200 and "Support Desk" in await page.text()
        state = await state_of(http, sandbox)
    assert state["me"]["id"] == CLIENT.id, "a first visit is the client's"
    assert len(state["personas"]) == 5
    assert [c["name"] for c in state["channels"]] == ["acme-support", "Support Desk"]
    welcome = state["conversations"][CLIENT_CHANNEL]["messages"][0]
    assert "Welcome, Acme Media!" in welcome["blocks"][0]["text"]["text"]
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
    forced = await start_sandbox(tmp_path / "f", "--force", SLACK_BOT_TOKEN=token)
    assert await stop_sandbox(forced) == 0


async def test_a_ticket_reaction_and_the_message_shortcut_reach_the_bot(
        sandbox: Sandbox) -> None:
    async with aiohttp.ClientSession() as http:
        async def act(**body: Any) -> None:
            status, answer = await do(http, sandbox, **body)
            assert status == 200, answer

        async def prompt() -> list[dict[str, Any]]:
            shown = (await state_of(http, sandbox, CLIENT.id))["conversations"][CLIENT_CHANNEL]
            return [m for m in shown["messages"] if m["thread_ts"] == first["ts"]]

        async def modal_of(who: str) -> Any:
            return (await state_of(http, sandbox, who))["modal"]

        first = (await state_of(http, sandbox, CLIENT.id)
                 )["conversations"][CLIENT_CHANNEL]["messages"][1]
        assert first["text"] == FIRST_MESSAGE
        await act(kind="react", **{"as": CLIENT.id}, channel=CLIENT_CHANNEL, ts=first["ts"],
                  name="ticket")
        asked = await seen(prompt)
        assert "Open a support ticket from this message?" in asked[0]["text"]
        await act(kind="click", **{"as": CLIENT.id}, channel=CLIENT_CHANNEL, ts=asked[0]["ts"],
                  block=1, action_id="open_ticket")
        modal = await seen(lambda: modal_of(CLIENT.id))
        assert modal["view"]["title"]["text"] == "Open a support ticket"
        description = modal["view"]["blocks"][2]["element"]["initial_value"]
        assert description.startswith("Hi team, since this morning")

        await act(kind="shortcut", **{"as": ENGINEER.id}, channel=CLIENT_CHANNEL,
                  ts=first["ts"], callback_id="open_support_ticket")
        opened = await seen(lambda: modal_of(ENGINEER.id))
        assert opened["view"]["blocks"][2]["element"]["initial_value"] == FIRST_MESSAGE
