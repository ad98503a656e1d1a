"""A stand-in for the Slack Web API over HTTP on loopback: the tests' Slack and the sandbox's.

It records every call with its arguments, keeps what Slack keeps (messages with their
metadata, threads, pins, reactions, ephemeral messages, modals and App Home views) and
enforces the rules of Slack that matter to the app: single-use ``trigger_id``s, Block Kit's
limits, ``ok: false`` errors. It can be scripted to answer 429 (with Retry-After), 500 or
``ok: false`` for a method, a number of times.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.sandbox.files_api import FileMethods
from bot.sandbox.messages_api import MessageMethods
from bot.sandbox.records import (
    BOT_ID,
    BOT_USER,
    MANIFEST_SCOPES,
    TEAM_ID,
    TEAM_URL,
    Call,
    InjectedFailure,
    Message,
)
from bot.sandbox.views_api import ViewMethods

__all__ = ["BOT_USER", "MANIFEST_SCOPES", "TEAM_ID", "Call", "Message", "SlackStandIn"]

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-1-test"
READ_ONLY = frozenset({"auth.test", "users.info", "usergroups.users.list", "conversations.info",
                       "conversations.history", "conversations.replies", "conversations.open",
                       "pins.list", "reactions.get", "apps.connections.open",
                       "users.conversations"})
"""Methods that change nothing: watchers are not told of them."""


@dataclass
class SlackStandIn(MessageMethods, ViewMethods, FileMethods):
    delay: float = 0.0
    enterprise_id: str | None = None
    """The Enterprise Grid org the installing workspace belongs to, if any."""
    delays: dict[str, float] = field(default_factory=dict)
    """Method -> seconds to take before answering (on top of ``delay``)."""
    failures: dict[str, list[InjectedFailure]] = field(default_factory=dict)
    url: str = ""
    bot_token: str = BOT_TOKEN
    """The token the app must present (the sandbox makes its own)."""
    team_name: str = "Desk Test"
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    gates: dict[tuple[str, str], asyncio.Event] = field(default_factory=dict)
    """(method, channel) -> a gate: such calls take effect, then wait for it to answer."""
    held: list[Call] = field(default_factory=list)
    scopes: list[str] | None = field(default_factory=lambda: list(MANIFEST_SCOPES))
    """Granted, as every answer's ``x-oauth-scopes`` header says; None: no such header."""
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _runner: web.AppRunner | None = None

    # -- scripting -------------------------------------------------------------------

    def fail(self, method: str, *, status: int = 200, error: str | None = None,
             retry_after: int | None = None, times: int = 1, after_effect: bool = False,
             channel: str | None = None) -> None:
        self.failures.setdefault(method, []).append(InjectedFailure(
            status=status, error=error, retry_after=retry_after, times=times,
            after_effect=after_effect, channel=channel))

    def add_message(self, channel: str, user: str, text: str,
                    thread_ts: str | None = None) -> str:
        """A message someone wrote in Slack (not through the app); its ts."""
        ts = self.next_ts()
        message = Message(channel, ts, text, [], thread_ts, None)
        message.user = user
        self.messages[(channel, ts)] = message
        self.changed()
        return ts

    # -- reading ---------------------------------------------------------------------

    def calls_to(self, method: str, **match: Any) -> list[Call]:
        return [c for c in self.calls if c.method == method
                and all(c.args.get(k) == v for k, v in match.items())]

    def posts(self, channel: str | None = None, thread_ts: str | None = None) -> list[Message]:
        return [m for m in self.messages.values()
                if (channel is None or m.channel == channel)
                and (thread_ts is None or m.thread_ts == thread_ts)]

    async def wait_for(self, check: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Poll ``check`` until it returns something truthy; fail the test after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            result = check()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"not seen within {timeout} s; calls: "
                                     f"{[c.method for c in self.calls]}")
            await asyncio.sleep(0.02)

    # -- serving ---------------------------------------------------------------------

    async def start(self, port: int = 0) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_get("/socket", self._socket)
        app.router.add_post("/upload/{file_id}", self._upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/api/"

    def upload_url(self, file_id: str) -> str:
        return self.url.replace("/api/", f"/upload/{file_id}")

    async def _upload(self, request: web.Request) -> web.Response:
        """An upload URL of ``files.getUploadURLExternal``: Slack answers 200 ``OK``."""
        if not self.receive_upload(request.match_info["file_id"], await request.read()):
            return web.Response(status=404, text="no such upload")
        self.changed()
        return web.Response(text=f"OK - {request.content_length or 0}")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: say hello, then record the app's acknowledgements."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1})
        async for message in ws:
            if message.type == web.WSMsgType.TEXT:
                self.socket_acks.append(json.loads(message.data))
        return ws

    async def send_over_socket(self, envelope: dict[str, Any]) -> None:
        await self.wait_for(lambda: self._sockets)
        await self._sockets[-1].send_json(envelope)

    async def stop(self) -> None:
        for ws in self._sockets:
            await ws.close()
        if self._runner:
            await self._runner.cleanup()

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                form = await request.post()
                for key, value in form.items():
                    text = str(value)
                    try:
                        args[key] = json.loads(text) if key in (
                            "blocks", "metadata", "view") else text
                    except json.JSONDecodeError:
                        args[key] = text
        return args

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        self.calls.append(Call(method, args, time.time()))
        if self.delay or method in self.delays:
            await asyncio.sleep(self.delay + self.delays.get(method, 0.0))
        expected = APP_TOKEN if method == "apps.connections.open" else self.bot_token
        if request.headers.get("Authorization", "") != f"Bearer {expected}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        scripted = self.failures.get(method)
        if scripted and scripted[0].channel not in (None, args.get("channel")):
            scripted = None
        if scripted:
            failure = scripted[0]
            failure.times -= 1
            if failure.times <= 0:
                scripted.pop(0)
            if failure.after_effect and handler:
                handler(args)
                self._told(method)
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
            if failure.status == 429:
                return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                         headers=headers)
            if failure.status >= 500:
                return web.Response(status=failure.status, text="upstream trouble")
            return web.json_response({"ok": False, "error": failure.error})
        body = handler(args) if handler else {}
        if body.get("ok") is not False:
            self._told(method)
        gate = self.gates.get((method, str(args.get("channel", ""))))
        if gate is not None:
            self.held.append(self.calls[-1])
            await gate.wait()
        if body.get("ok") is False:
            return web.json_response(body)
        scopes = {"x-oauth-scopes": ",".join(self.scopes)} if self.scopes is not None else {}
        return web.json_response({"ok": True, **body}, headers=scopes)

    def _told(self, method: str) -> None:
        if method not in READ_ONLY:
            self.changed()

    # -- methods of the app's own (the rest: messages_api, views_api) ------------------

    def _auth_test(self, _: dict[str, Any]) -> dict[str, Any]:
        grid = {"enterprise_id": self.enterprise_id} if self.enterprise_id else {}
        return {"team_id": TEAM_ID, "user_id": BOT_USER, "bot_id": BOT_ID,
                "url": TEAM_URL, "team": self.team_name, "user": "desk", **grid}

    def _apps_connections_open(self, _: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.url.replace("http://", "ws://").replace("/api/", "/socket")}
