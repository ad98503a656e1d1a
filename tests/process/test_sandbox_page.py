"""The sandbox's page server: only its own page may use it, and a person does only what
they could in Slack, every field checked before anything is kept."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from bot.sandbox.records import dm_channel
from bot.sandbox.workspace import (
    CLIENT,
    CLIENT_CHANNEL,
    ENGINEER,
    FIRST_MESSAGE,
    ROSSI,
    TRIAGE,
)
from bot.slack_ui.ids import ActionId
from tests.support.sandbox import Sandbox, do, seen, state_of


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
        for elsewhere in (f"U0NOBODY01/{CLIENT_CHANNEL}", f"{CLIENT.id}/{TRIAGE}"):
            async with http.post(f"{sandbox.url}slack/respond/{elsewhere}",
                                 json={"text": "hi"}) as r:
                assert r.status == 404, elsewhere


async def test_a_person_acts_only_where_they_could_and_nothing_malformed_is_kept(
        sandbox: Sandbox) -> None:
    async with aiohttp.ClientSession() as http:
        async def status(who: str, **body: Any) -> int:
            return (await do(http, sandbox, **{"as": who}, **body))[0]

        first = messages(await state_of(http, sandbox, ENGINEER.id), CLIENT_CHANNEL)[1]
        assert first["text"] == FIRST_MESSAGE
        assert await status(ENGINEER.id, kind="write", channel=CLIENT_CHANNEL,
                            text="a reply", thread_ts=first["ts"]) == 200
        reply = next(m for m in messages(await state_of(http, sandbox, ENGINEER.id),
                                         CLIENT_CHANNEL) if m["text"] == "a reply")
        for thread_ts, refused in ((["a"], 400), (5, 400), ({"ts": first["ts"]}, 400),
                                   ("1.000001", 409), (reply["ts"], 409)):
            assert await status(ENGINEER.id, kind="write", channel=CLIENT_CHANNEL,
                                text=f"reply to {thread_ts}", thread_ts=thread_ts) == refused
        assert await status(ENGINEER.id, kind="write", channel=CLIENT_CHANNEL, text=" \n") == 400
        assert await status(CLIENT.id, kind="react", channel=CLIENT_CHANNEL, ts=first["ts"],
                            name="not an emoji") == 400
        for who in (CLIENT.id, ENGINEER.id):
            state = await state_of(http, sandbox, who)
            assert not [t for t in texts(state, CLIENT_CHANNEL) if t.startswith("reply to")]
            assert messages(state, CLIENT_CHANNEL)[1]["reactions"] == []

        # The client is in the shared channel only: not in triage, not in Sam's messages.
        assert await status(ENGINEER.id, kind="write", channel=TRIAGE, text="a note") == 200
        note = messages(await state_of(http, sandbox, ENGINEER.id), TRIAGE)[-1]
        for body in ({"kind": "write", "channel": TRIAGE, "text": "let me in"},
                     {"kind": "command", "channel": TRIAGE, "text": "/ticket let me in"},
                     {"kind": "react", "channel": TRIAGE, "ts": note["ts"], "name": "eyes"},
                     {"kind": "click", "channel": TRIAGE, "ts": note["ts"], "block": 0,
                      "action_id": ActionId.CLAIM},
                     {"kind": "write", "channel": dm_channel(ENGINEER.id), "text": "hi Sam"}):
            assert await status(CLIENT.id, **body) == 403, body
        engineer = await state_of(http, sandbox, ENGINEER.id)
        assert "a note" in texts(engineer, TRIAGE)
        assert not [t for t in texts(engineer, TRIAGE) if "let me in" in t]
        assert messages(engineer, TRIAGE)[-1]["reactions"] == []
        assert "hi Sam" not in texts(engineer, dm_channel(ENGINEER.id))

        # A form on the client's screen is hers alone; Sam's App Home is his.
        welcome = messages(await state_of(http, sandbox, CLIENT.id), CLIENT_CHANNEL)[0]
        block = next(i for i, b in enumerate(welcome["blocks"])
                     if any(e.get("action_id") == ActionId.OPEN_TICKET
                            for e in b.get("elements", [])))
        assert await status(CLIENT.id, kind="click", channel=CLIENT_CHANNEL, ts=welcome["ts"],
                            block=block, action_id=ActionId.OPEN_TICKET) == 200
        modal = await seen(lambda: client_modal(http, sandbox))
        assert await status(ENGINEER.id, kind="view_click", view_id=modal["id"], block=0,
                            action_id="anything") == 403
        assert await status(CLIENT.id, kind="view_click", view_id=f"H{ENGINEER.id}", block=0,
                            action_id="anything") == 403
        assert await status(CLIENT.id, kind="submit", view_id=modal["id"],
                            values={"title": "Videos do not play"}) == 400
        assert await client_modal(http, sandbox) == modal, "the form stays as it was"


async def client_modal(http: aiohttp.ClientSession, sandbox: Sandbox) -> Any:
    return (await state_of(http, sandbox, CLIENT.id))["modal"]


async def test_only_a_client_emails_the_support_address_and_from_her_own_address(
        sandbox: Sandbox) -> None:
    async with aiohttp.ClientSession() as http:
        async def status(who: str, **body: Any) -> int:
            return (await do(http, sandbox, **{"as": who}, kind="email", **body))[0]

        good = {"subject": "[Critical] Player down", "text": "No video plays."}
        assert await status(ENGINEER.id, **good) == 403
        assert await status(CLIENT.id, **good, **{"from": ROSSI.email}) == 403
        for body in ({**good, "subject": ""}, {**good, "text": 5},
                     {**good, "subject": "a\r\nBcc: x@acme-media.example"},
                     {**good, "to": "someone@elsewhere.example"}, {**good, "in_reply_to": 1}):
            assert await status(CLIENT.id, **body) == 400, body
        assert await status(CLIENT.id, **good, in_reply_to="<T-1001.ack@desk-demo.example>"
                            ) == 409
        assert (await state_of(http, sandbox, CLIENT.id))["mail"]["mails"] == []
        assert (await state_of(http, sandbox, ENGINEER.id))["mail"] is None

        assert await status(ROSSI.id, **good) == 200

        async def in_triage() -> list[str]:
            return [t for t in texts(await state_of(http, sandbox, ENGINEER.id), TRIAGE)
                    if t.startswith("T-1003 · Critical")]

        assert await seen(in_triage)
        sent = (await state_of(http, sandbox, ROSSI.id))["mail"]["mails"][0]
        assert (sent["subject"], sent["to"]) == (good["subject"], ["support@desk-demo.example"])
