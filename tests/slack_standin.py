"""A stand-in for the Slack Web API over HTTP on loopback.

It records every call with its arguments, keeps the messages posted (with their
metadata, for ``conversations.history``/``replies``), and can be scripted to answer
429 (with Retry-After), 500 or ``ok: false`` for a method, a number of times.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TEAM_ID = "T0DESK0001"
BOT_USER = "U0BOT00001"
TEAM_URL = "https://desk-test.slack.com/"
MANIFEST_SCOPES = ("commands", "chat:write", "chat:write.customize", "im:write", "im:history",
                   "users:read", "usergroups:read", "channels:read", "groups:read",
                   "channels:history", "groups:history", "reactions:read", "pins:write",
                   "pins:read")
"""The bot scopes manifest.yml asks for: the stand-in grants them all unless told otherwise."""


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    at: float


@dataclass
class Failure:
    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    times: int = 1
    after_effect: bool = False
    """Do the call's work, then answer with the failure (the answer was lost on the way)."""


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None
    metadata: dict[str, Any] | None
    updates: int = 0
    user: str = BOT_USER


def _user(uid: str, **extra: Any) -> dict[str, Any]:
    return {"id": uid, "team_id": TEAM_ID, "name": uid.lower(), "is_bot": False,
            "deleted": False, "is_restricted": False, "is_ultra_restricted": False,
            "profile": {"email": f"{uid.lower()}@vendor.example"}, **extra}


@dataclass
class SlackStandIn:
    delay: float = 0.0
    enterprise_id: str | None = None
    """The Enterprise Grid org the installing workspace belongs to, if any."""
    delays: dict[str, float] = field(default_factory=dict)
    """Method -> seconds to take before answering (on top of ``delay``)."""
    calls: list[Call] = field(default_factory=list)
    messages: dict[tuple[str, str], Message] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    pins: dict[str, set[str]] = field(default_factory=dict)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    url: str = ""
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    gates: dict[tuple[str, str], asyncio.Event] = field(default_factory=dict)
    """(method, channel) -> a gate: such calls take effect, then wait for it to answer."""
    held: list[Call] = field(default_factory=list)
    scopes: list[str] | None = field(default_factory=lambda: list(MANIFEST_SCOPES))
    """Granted, as every answer's ``x-oauth-scopes`` header says; None: no such header."""
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _ts: int = 0
    _runner: web.AppRunner | None = None

    # -- scripting -------------------------------------------------------------------

    def add_user(self, uid: str, **extra: Any) -> None:
        self.users[uid] = _user(uid, **extra)

    def add_channel(self, cid: str, name: str, *, is_member: bool = True) -> None:
        self.channels[cid] = {"id": cid, "name": name, "is_member": is_member,
                              "is_channel": True, "is_ext_shared": False}

    def fail(self, method: str, *, status: int = 200, error: str | None = None,
             retry_after: int | None = None, times: int = 1, after_effect: bool = False) -> None:
        self.failures.setdefault(method, []).append(Failure(
            status=status, error=error, retry_after=retry_after, times=times,
            after_effect=after_effect))

    def add_message(self, channel: str, user: str, text: str,
                    thread_ts: str | None = None) -> str:
        """A message someone wrote in Slack (not through the app); its ts."""
        ts = self._next_ts()
        message = Message(channel, ts, text, [], thread_ts, None)
        message.user = user
        self.messages[(channel, ts)] = message
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
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/api/"

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
        expected = "xapp-1-test" if method == "apps.connections.open" else "xoxb-test-token"
        if request.headers.get("Authorization", "") != f"Bearer {expected}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        scripted = self.failures.get(method)
        if scripted:
            failure = scripted[0]
            failure.times -= 1
            if failure.times <= 0:
                scripted.pop(0)
            if failure.after_effect and handler:
                handler(args)
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
            if failure.status == 429:
                return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                         headers=headers)
            if failure.status >= 500:
                return web.Response(status=failure.status, text="upstream trouble")
            return web.json_response({"ok": False, "error": failure.error})
        body = handler(args) if handler else {}
        gate = self.gates.get((method, str(args.get("channel", ""))))
        if gate is not None:
            self.held.append(self.calls[-1])
            await gate.wait()
        if body.get("ok") is False:
            return web.json_response(body)
        scopes = {"x-oauth-scopes": ",".join(self.scopes)} if self.scopes is not None else {}
        return web.json_response({"ok": True, **body}, headers=scopes)

    def _next_ts(self) -> str:
        self._ts += 1
        return f"{int(time.time())}.{self._ts:06d}"

    # -- methods ---------------------------------------------------------------------

    def _auth_test(self, _: dict[str, Any]) -> dict[str, Any]:
        grid = {"enterprise_id": self.enterprise_id} if self.enterprise_id else {}
        return {"team_id": TEAM_ID, "user_id": BOT_USER, "bot_id": "B0BOT00001",
                "url": TEAM_URL, "team": "Desk Test", "user": "desk", **grid}

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = args["channel"]
        if channel in self.channels and not self.channels[channel]["is_member"]:
            return {"ok": False, "error": "not_in_channel"}
        if self.users.get(channel, {}).get("deleted"):
            return {"ok": False, "error": "user_disabled"}
        if channel.startswith(("U", "W")):
            channel = "D" + channel[1:]
        ts = self._next_ts()
        self.messages[(channel, ts)] = Message(
            channel, ts, args.get("text", ""), args.get("blocks") or [],
            args.get("thread_ts"), args.get("metadata"))
        return {"channel": channel, "ts": ts, "message": {"text": args.get("text", "")}}

    def _apps_connections_open(self, _: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.url.replace("http://", "ws://").replace("/api/", "/socket")}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        message = self.messages.get((args["channel"], args["ts"]))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        message.text = args.get("text", message.text)
        message.blocks = args.get("blocks") or message.blocks
        message.updates += 1
        return {"channel": args["channel"], "ts": args["ts"]}

    def _chat_postEphemeral(self, _: dict[str, Any]) -> dict[str, Any]:
        return {"message_ts": self._next_ts()}

    def _pins_add(self, args: dict[str, Any]) -> dict[str, Any]:
        pinned = self.pins.setdefault(args["channel"], set())
        if args["timestamp"] in pinned:
            return {"ok": False, "error": "already_pinned"}
        pinned.add(args["timestamp"])
        return {}

    def _pins_list(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = args["channel"]
        if channel not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        return {"items": [{"type": "message", "channel": channel, "created": 0,
                           "message": {"ts": ts, "text": self.messages[(channel, ts)].text
                                       if (channel, ts) in self.messages else ""}}
                          for ts in sorted(self.pins.get(channel, set()))]}

    def _views_open(self, _: dict[str, Any]) -> dict[str, Any]:
        return {"view": {"id": "V" + self._next_ts().replace(".", "")}}

    def _views_update(self, _: dict[str, Any]) -> dict[str, Any]:
        return {}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(args["user"])
        return {"user": user} if user else {"ok": False, "error": "user_not_found"}

    def _usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"users": self.usergroups.get(args["usergroup"], [])}

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.channels.get(args["channel"])
        return {"channel": channel} if channel else {"ok": False, "error": "channel_not_found"}

    def _history(self, args: dict[str, Any], thread: str | None) -> dict[str, Any]:
        oldest = float(args.get("oldest") or 0)
        found = [m for m in self.messages.values()
                 if m.channel == args["channel"] and float(m.ts) >= oldest
                 and (m.thread_ts is None if thread is None else thread in (m.thread_ts, m.ts))]
        return {"messages": [{"ts": m.ts, "text": m.text, "metadata": m.metadata, "user": m.user,
                              "thread_ts": m.thread_ts}
                             for m in sorted(found, key=lambda m: m.ts, reverse=True)]}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("users", ""))
        if self.users.get(user, {}).get("deleted"):
            return {"ok": False, "error": "user_disabled"}
        return {"channel": {"id": "D" + user[1:]}}

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._history(args, None)

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._history(args, args["ts"])
