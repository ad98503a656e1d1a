"""Slack's Web API in memory, for the fast tier: the ``AsyncWebClient`` calls the desk's
listeners and effect handlers make, each recorded and answered as Slack answers it (or
refused with the error it is told to give, or carried out with its answer lost)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, cast

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from tests.support.fakes import T0

TEAM = "T0VENDOR01"
BOT = "U0BOT00001"


@dataclass
class Call:
    method: str
    args: dict[str, Any]


@dataclass
class Post:
    """A message as Slack keeps it."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    metadata: dict[str, Any] | None = None
    user: str | None = None
    """Who sees it, for an ephemeral message (it is kept nowhere else)."""


class FakeSlack:
    """Records every call (``calls``) and every message (``posts``); a message to a user ID
    goes to the app's DM with them (``D`` and the rest of the ID, as the stand-in files it).

    ``refuse``: method -> the error Slack answers it with (``channel_not_found``);
    ``lost``: methods Slack carries out but whose answer never arrives (the connection
    drops), as a worker that crashed meanwhile saw it."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.posts: list[Post] = []
        self.refuse: dict[str, str] = {}
        self.lost: set[str] = set()
        self._ts = itertools.count(1)

    def client(self) -> AsyncWebClient:
        """This, as the desk's code takes it."""
        return cast(AsyncWebClient, self)

    def to(self, channel: str, method: str = "chat.postMessage") -> list[Call]:
        """The calls of ``method`` to ``channel`` (a user ID names their DM)."""
        where = _dm(channel)
        return [c for c in self.calls if c.method == method
                and _dm(str(c.args.get("channel", ""))) == where]

    def _answer(self, method: str, args: dict[str, Any], **data: Any) -> AsyncSlackResponse:
        error = self.refuse.get(method)
        answer = {"ok": False, "error": error} if error else {"ok": True, **data}
        response = AsyncSlackResponse(client=self, http_verb="POST",
                                      api_url=f"https://slack.com/api/{method}", req_args=args,
                                      data=answer, headers={}, status_code=200)
        if error:  # as the SDK raises Slack's "ok": false
            raise SlackApiError(  # type: ignore[no-untyped-call]
                f"The request to the Slack API failed: {error}", response)
        return response

    def _call(self, method: str, args: dict[str, Any]) -> bool:
        """Record the call; whether Slack carries it out."""
        self.calls.append(Call(method, args))
        return method not in self.refuse

    def _sent(self, method: str) -> None:
        if method in self.lost:
            raise aiohttp.ServerDisconnectedError()

    async def auth_test(self) -> AsyncSlackResponse:
        self._call("auth.test", {})
        return self._answer("auth.test", {}, team_id=TEAM, user_id=BOT,
                            url="https://vendor.slack.com/")

    async def chat_postMessage(self, **args: Any) -> AsyncSlackResponse:  # noqa: N802
        ts = f"{T0 + next(self._ts):.6f}"
        if self._call("chat.postMessage", args):
            self.posts.append(Post(_dm(args["channel"]), ts, args.get("text") or "",
                                   list(args.get("blocks") or []), args.get("thread_ts"),
                                   args.get("metadata")))
            self._sent("chat.postMessage")
        return self._answer("chat.postMessage", args, channel=_dm(args["channel"]), ts=ts)

    async def chat_postEphemeral(self, **args: Any) -> AsyncSlackResponse:  # noqa: N802
        ts = f"{T0 + next(self._ts):.6f}"
        if self._call("chat.postEphemeral", args):
            self.posts.append(Post(args["channel"], ts, args.get("text") or "",
                                   user=args["user"]))
        return self._answer("chat.postEphemeral", args, message_ts=ts)

    async def chat_update(self, **args: Any) -> AsyncSlackResponse:
        if self._call("chat.update", args):
            for post in self.posts:
                if post.channel == args["channel"] and post.ts == args["ts"]:
                    post.text, post.blocks = args.get("text") or "", list(args.get("blocks") or [])
        return self._answer("chat.update", args, channel=args["channel"], ts=args["ts"])

    async def views_open(self, **args: Any) -> AsyncSlackResponse:
        self._call("views.open", args)
        return self._answer("views.open", args, view={"id": f"V{next(self._ts):09d}"})

    async def views_publish(self, **args: Any) -> AsyncSlackResponse:
        self._call("views.publish", args)
        return self._answer("views.publish", args, view={"id": f"V{next(self._ts):09d}"})

    async def conversations_open(self, **args: Any) -> AsyncSlackResponse:
        self._call("conversations.open", args)
        return self._answer("conversations.open", args, channel={"id": _dm(args["users"])})

    async def conversations_history(self, **args: Any) -> AsyncSlackResponse:
        self._call("conversations.history", args)
        oldest = float(args.get("oldest") or 0)
        found = [p for p in self.posts if p.channel == args["channel"] and p.user is None
                 and p.thread_ts is None and float(p.ts) >= oldest]
        return self._answer("conversations.history", args, messages=_messages(found),
                            has_more=False)

    async def conversations_replies(self, **args: Any) -> AsyncSlackResponse:
        self._call("conversations.replies", args)
        found = [p for p in self.posts if p.channel == args["channel"] and p.user is None
                 and args["ts"] in (p.ts, p.thread_ts)]
        return self._answer("conversations.replies", args, messages=_messages(found),
                            has_more=False)


def _dm(channel: str) -> str:
    return "D" + channel[1:] if channel.startswith(("U", "W")) else channel


def _messages(posts: list[Post]) -> list[dict[str, Any]]:
    """Newest first, as Slack lists them."""
    return [{"type": "message", "ts": p.ts, "text": p.text, "blocks": p.blocks,
             **({"thread_ts": p.thread_ts} if p.thread_ts else {}),
             **({"metadata": p.metadata} if p.metadata else {})}
            for p in sorted(posts, key=lambda p: float(p.ts), reverse=True)]
