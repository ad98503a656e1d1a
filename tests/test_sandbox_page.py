"""The sandbox's page server: only its own page may use it, and a person does only what
they could in Slack, every field checked before anything is kept."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.sandbox.workspace import CLIENT, CLIENT_CHANNEL, ENGINEER
from tests.test_sandbox import Sandbox, sandbox_in, state_of


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    async with sandbox_in(tmp_path / "sandbox") as running:
        yield running


def messages(state: dict[str, Any], channel: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = state["conversations"][channel]["messages"]
    return found


def texts(state: dict[str, Any], channel: str) -> list[str]:
    return [m["text"] for m in messages(state, channel)]


async def test_only_the_sandboxs_own_page_may_use_it(sandbox: Sandbox) -> None:
    port = sandbox.url.rstrip("/").rsplit(":", 1)[1]
    write = {"kind": "write", "as": CLIENT.id, "channel": CLIENT_CHANNEL}
    async with aiohttp.ClientSession() as http:
        # Another site's page posting into the sandbox: refused, nothing kept.
        async with http.post(f"{sandbox.url}api/do", json={**write, "text": "from a site"},
                             headers={"Origin": "http://pages.example"}) as r:
            assert r.status == 403
        async with http.post(f"{sandbox.url}api/do", data=json.dumps(
                {**write, "text": "as a form"}), headers={"Content-Type": "text/plain"}) as r:
            assert r.status == 415
        # A DNS name of another site that points to 127.0.0.1 reads nothing and does nothing.
        rebound = {"Host": f"pages.example:{port}"}
        for path in ("", "api/state", f"api/state?as={ENGINEER.id}", "static/app.js"):
            async with http.get(f"{sandbox.url}{path}", headers=rebound) as r:
                assert r.status == 421, path
        async with http.post(f"{sandbox.url}api/do", json={**write, "text": "rebound"},
                             headers=rebound) as r:
            assert r.status == 421
        # The page itself, opened as 127.0.0.1 or as localhost, works.
        local = {"Host": f"localhost:{port}", "Origin": f"http://localhost:{port}"}
        async with http.post(f"{sandbox.url}api/do", json={**write, "text": "from the page"},
                             headers=local) as r:
            assert r.status == 200, await r.text()
        async with http.get(f"{sandbox.url}api/state", headers=local) as r:
            assert r.status == 200
        shown = texts(await state_of(http, sandbox, CLIENT.id), CLIENT_CHANNEL)
        assert "from the page" in shown
        assert not {"from a site", "as a form", "rebound"} & set(shown)

        # A response_url post that is not a message is refused as such, not with a 500.
        respond = f"{sandbox.url}slack/respond/{CLIENT.id}/{CLIENT_CHANNEL}"
        for body in ([{"text": "hi"}], "hi", {"text": 5}, {"text": "x", "blocks": "x"}):
            async with http.post(respond, json=body) as r:
                assert r.status == 400, body
        async with http.post(f"{sandbox.url}slack/respond/U0NOBODY01/{CLIENT_CHANNEL}",
                             json={"text": "hi"}) as r:
            assert r.status == 404
