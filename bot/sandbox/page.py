"""The sandbox's web page: a static client, the state it shows, and what visitors do.

``GET /`` is the page (static HTML, CSS and JavaScript: no build step); it reads
``GET /api/state?as=U...`` (what that person sees, ``bot.sandbox.screen``), listens to
``GET /api/stream`` (server-sent events: a new version after every change, so messages
appear without a reload) and posts what the visitor does to ``POST /api/do``, which
``bot.sandbox.people`` turns into the signed requests Slack would send the app (or, for a
client's email, ``bot.sandbox.mailbox`` into an email in the support mailbox). A first
visit (no ``as``) is the client's. Only the page itself may use this server (``guard``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from bot.sandbox.mailbox import Mailboxes
from bot.sandbox.people import NotAllowed, NotAnswered, People, may_see
from bot.sandbox.records import Ephemeral
from bot.sandbox.screen import screen, upcoming
from bot.sandbox.workspace import BY_ID, FIRST_VISIT, Persona
from bot.services.changes import Changes

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
KEEPALIVE = 15.0

Doing = Callable[[People, Persona, dict[str, Any]], Awaitable[object]]


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise ValueError(f"{name} is missing")
    return value


def _thread(body: dict[str, Any]) -> str | None:
    value = body.get("thread_ts")
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError("thread_ts must be a message's ts")
    return value


def _block(body: dict[str, Any]) -> int:
    value = body.get("block")
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("block must be a block's index")
    return value


def _values(body: dict[str, Any]) -> dict[str, Any]:
    """A form's values as Slack sends them: block_id -> action_id -> the element's value."""
    values = body.get("values") or {}
    if not (isinstance(values, dict) and all(
            isinstance(actions, dict) and all(isinstance(v, dict) for v in actions.values())
            for actions in values.values())):
        raise ValueError("values must be block_id -> action_id -> value")
    return values


def _chosen(body: dict[str, Any]) -> str | None:
    chosen = body.get("chosen")
    if chosen is not None and not isinstance(chosen, str):
        raise ValueError("chosen must be an option's value")
    return chosen


DOINGS: dict[str, Doing] = {
    "command": lambda p, w, b: p.command(w, _text(b, "channel"), _text(b, "text")),
    "write": lambda p, w, b: p.write(w, _text(b, "channel"), _text(b, "text"), _thread(b)),
    "react": lambda p, w, b: p.react(w, _text(b, "channel"), _text(b, "ts"), _text(b, "name")),
    "shortcut": lambda p, w, b: p.shortcut(w, _text(b, "channel"), _text(b, "ts"),
                                           _text(b, "callback_id")),
    "click": lambda p, w, b: p.act_on_message(w, _text(b, "channel"), _text(b, "ts"),
                                              _block(b), _text(b, "action_id"), _chosen(b)),
    "view_click": lambda p, w, b: p.act_in_view(w, _text(b, "view_id"), _block(b),
                                                _text(b, "action_id"), _chosen(b), _values(b)),
    "submit": lambda p, w, b: p.submit(w, _text(b, "view_id"), _values(b)),
    "close": lambda p, w, b: p.close(w, _text(b, "view_id"), _values(b)),
    "home": lambda p, w, b: p.open_home(w),
}


def guard(port: int) -> Middleware:
    """Only the page itself may use the page's server: requests addressed to it (``Host``),
    from it (``Origin``, when the browser sends one), and, for posts, JSON (which no other
    site can send here without the browser asking first). Another site open in the same
    browser can neither act in the sandbox nor read it, even through a DNS name of its own
    that points to 127.0.0.1."""
    hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
    origins = {f"http://{host}" for host in hosts}

    @web.middleware
    async def checked(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.headers.get("Host", "").lower() not in hosts:
            return web.Response(status=421, text=f"Open the sandbox at http://127.0.0.1:{port}/")
        origin = request.headers.get("Origin")
        if origin is not None and origin.lower() not in origins:
            return web.Response(status=403, text="Only the sandbox's own page may do that.")
        if request.method == "POST" and request.content_type != "application/json":
            return web.json_response({"error": "send application/json"}, status=415)
        return await handler(request)

    return checked


class Page:
    def __init__(self, people: People, mail: Mailboxes, changes: Changes, port: int) -> None:
        self.people = people
        self.port = port
        self.mail = mail
        self.changes = changes
        self.version = 0
        self.closing = False
        self._tick = asyncio.Event()
        people.slack.watchers.append(self.bump)
        mail.inbox.watchers.append(self.bump)
        mail.mailbox.watchers.append(self.bump)

    def bump(self) -> None:
        """Something changed: every open page fetches its state again."""
        self.version += 1
        self._tick.set()
        self._tick = asyncio.Event()

    def close(self) -> None:
        """End the event streams, so the server stops at once."""
        self.closing = True
        self.bump()

    def app(self) -> web.Application:
        app = web.Application(middlewares=[guard(self.port)])
        app.add_routes([
            web.get("/", self.index), web.get("/api/state", self.state),
            web.get("/api/stream", self.stream), web.post("/api/do", self.do),
            web.post("/slack/respond/{user}/{channel}", self.respond),
            web.static("/static", STATIC),
        ])
        return app

    async def index(self, _: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html")

    @staticmethod
    def persona(query: Any) -> Persona:
        found = BY_ID.get(str(query))
        if found is None:
            raise web.HTTPBadRequest(text=f"no such person: {query}")
        return found

    async def state(self, request: web.Request) -> web.Response:
        viewer = self.persona(request.query.get("as") or FIRST_VISIT.id)
        reminders = await upcoming(self.changes)
        shown = screen(self.people.slack, self.mail, viewer, reminders)
        return web.json_response({"version": self.version, **shown})

    async def stream(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                               "Cache-Control": "no-cache"})
        await response.prepare(request)
        seen = -1
        with contextlib.suppress(ConnectionResetError):
            while not self.closing:
                if seen != self.version:
                    seen = self.version
                    await response.write(f"data: {json.dumps({'version': seen})}\n\n".encode())
                tick = self._tick
                try:
                    await asyncio.wait_for(tick.wait(), KEEPALIVE)
                except TimeoutError:
                    await response.write(b": still here\n\n")
        return response

    async def do(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("send a JSON object")
            kind = str(body.get("kind"))
            if kind == "email":  # not Slack: an email to the support address
                self.mail.write(self.persona(body.get("as")), body)
            elif (doing := DOINGS.get(kind)) is not None:
                await doing(self.people, self.persona(body.get("as")), body)
            else:
                raise ValueError(f"unknown kind: {body.get('kind')}")
        except (ValueError, TypeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        except NotAllowed as exc:
            return web.json_response({"error": str(exc)}, status=403)
        except LookupError as exc:
            return web.json_response({"error": str(exc).strip("'")}, status=409)
        except NotAnswered as exc:
            log.warning("the app did not answer: %s", exc)
            return web.json_response({"error": str(exc)}, status=502)
        return web.json_response({"ok": True})

    async def respond(self, request: web.Request) -> web.Response:
        """A ``response_url`` post from the app: shown to that person, or in the channel."""
        who = BY_ID.get(request.match_info["user"])
        channel = request.match_info["channel"]
        if who is None or not may_see(who, channel):
            return web.json_response({"error": "no such response_url"}, status=404)
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return web.json_response({"error": "send a JSON object"}, status=400)
        text, blocks = body.get("text", ""), body.get("blocks") or []
        if not isinstance(text, str) or not (isinstance(blocks, list)
                                             and all(isinstance(b, dict) for b in blocks)):
            return web.json_response({"error": "text must be a string, blocks a list of "
                                               "blocks"}, status=400)
        slack = self.people.slack
        if body.get("response_type") == "in_channel":
            posted = slack.post_as_app(channel, text, blocks)
            if posted.get("ok") is False:
                return web.json_response(posted, status=400)
        else:
            slack.ephemerals.append(Ephemeral(channel, who.id, slack.next_ts(), text, blocks))
        slack.changed()
        return web.json_response({"ok": True})
