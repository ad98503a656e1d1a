"""Slack's Web API as the desk uses it: posts, updates and DMs, each findable again.

Failures come out as one of two exceptions, so the worker can decide: ``Retryable``
(429 with its Retry-After, 5xx, connection errors: try again later) or
``Undeliverable`` (Slack said no for good, e.g. ``user_disabled``: retrying will not
help, so the job is dead-lettered at once and the failure shown to people).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.adapters.metrics import SLACK_CALLS
from bot.domain.identity import Identity

log = logging.getLogger(__name__)

MARKER_EVENT: Final = "support_desk"
"""``event_type`` of the metadata on every message the desk posts, to find it again."""
CARD: Final = "client_thread"
"""The marker's ``notification`` on a ticket's card: the message that starts its thread."""
HISTORY_PAGE: Final = 200
"""Messages a page when looking for one the app posted (Slack allows up to 999)."""

_TRANSIENT_ERRORS = frozenset({
    "ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout",
})


class Retryable(Exception):
    """Slack (or ``service``: ``smtp``, a receiver of events) could not take the call now;
    ``retry_after`` is its own wait, when it gave one."""

    def __init__(self, message: str, retry_after: float | None = None,
                 service: str = "slack") -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.service = service

    @property
    def rate_limited(self) -> bool:
        return self.retry_after is not None


class Undeliverable(Exception):
    """The call was refused for good (the error code, e.g. ``user_disabled``, is the message)."""

    @property
    def error(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Author:
    """Who a message is shown as written by (``chat:write.customize``)."""

    name: str
    icon_url: str | None = None


def _method(response: AsyncSlackResponse) -> str:
    return str(response.api_url).rstrip("/").rsplit("/", 1)[-1] or "unknown"


async def slack_call(call: Awaitable[AsyncSlackResponse]) -> AsyncSlackResponse:
    """Await a Slack Web API call, mapping each failure to Retryable or Undeliverable."""
    try:
        response = await call
        SLACK_CALLS.labels(_method(response), "ok").inc()
        return response
    except SlackApiError as exc:
        response = exc.response
        error = str(response.get("error", "")) if isinstance(response.data, dict) else ""
        SLACK_CALLS.labels(_method(response), error or f"http_{response.status_code}").inc()
        if response.status_code == 429 or error == "ratelimited":
            wait = response.headers.get("Retry-After") or response.headers.get("retry-after")
            raise Retryable("rate limited", float(wait) if wait else 1.0) from exc
        if response.status_code >= 500 or error in _TRANSIENT_ERRORS:
            raise Retryable(f"Slack answered {response.status_code} {error}".strip()) from exc
        raise Undeliverable(error or f"http_{response.status_code}") from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        SLACK_CALLS.labels("unknown", "unreachable").inc()
        raise Retryable(f"cannot reach Slack: {type(exc).__name__}") from exc


async def retried(call: Callable[[], Awaitable[AsyncSlackResponse]], patience: float
                  ) -> AsyncSlackResponse:
    """A call made again on 429 (after its Retry-After) and 5xx for up to ``patience``
    seconds; then its last Retryable. (For a person waiting on it: the worker reschedules.)"""
    deadline = time.monotonic() + patience
    while True:
        try:
            return await slack_call(call())
        except Retryable as exc:
            wait = exc.retry_after or 0.5
            if time.monotonic() + wait > deadline:
                raise
            await asyncio.sleep(wait)


def sdk_logger() -> logging.Logger:
    """The logger for the desk's Web API clients: slack_sdk's, with a level of its own (info,
    or debug if slack_sdk logs at debug now). slack_sdk writes out each request and answer
    for a debug line whenever its logger has no level of its own, even when nothing is
    logged at debug: a share of every call's CPU."""
    sdk = logging.getLogger("slack_sdk.web.async_client")
    desk = sdk.getChild("desk")
    desk.setLevel(min(sdk.getEffectiveLevel(), logging.INFO))
    return desk


def marker(ticket: str, notification: str) -> dict[str, Any]:
    return {"event_type": MARKER_EVENT,
            "event_payload": {"ticket": ticket, "notification": notification}}


class Slack:
    """The Slack calls the desk makes; every message carries a marker to find it again."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._identity: Identity | None = None

    async def answers(self) -> None:
        """Whether Slack answers now (``auth.test``): Retryable while it does not."""
        await slack_call(self.client.auth_test())

    async def identity(self) -> Identity:
        if self._identity is None:
            r = await slack_call(self.client.auth_test())
            self._identity = Identity(str(r["team_id"]), str(r["user_id"]), str(r["url"]),
                                      str(r["enterprise_id"]) if r.get("enterprise_id")
                                      else None)
        return self._identity

    async def post(
        self,
        channel: str,
        text: str,
        blocks: Sequence[dict[str, Any]] | None = None,
        *,
        thread_ts: str | None = None,
        mark: dict[str, Any] | None = None,
        author: Author | None = None,
    ) -> str:
        """Post a message (to a channel, or a user ID for a DM); returns its ts.

        ``author``: shown as the sender's name and picture instead of the app's.
        """
        r = await slack_call(self.client.chat_postMessage(
            channel=channel, text=text, blocks=blocks, thread_ts=thread_ts, metadata=mark,
            unfurl_links=False, unfurl_media=False,
            username=author.name if author else None,
            icon_url=author.icon_url if author else None,
        ))
        return str(r["ts"])

    async def update(
        self, channel: str, ts: str, text: str, blocks: Sequence[dict[str, Any]]
    ) -> None:
        await slack_call(self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks))

    async def delete(self, channel: str, ts: str) -> None:
        """Take one of the app's messages away; one already gone is no error."""
        try:
            await slack_call(self.client.chat_delete(channel=channel, ts=ts))
        except Undeliverable as exc:
            if exc.error != "message_not_found":
                raise

    async def publish_home(self, user: str, view: dict[str, Any]) -> None:
        await slack_call(self.client.views_publish(user_id=user, view=view))

    async def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """One message by its ts: a top-level one, or else a reply in a thread."""
        r = await slack_call(self.client.conversations_history(
            channel=channel, latest=ts, oldest=ts, inclusive=True, limit=1))
        for message in r.get("messages") or []:
            if message.get("ts") == ts:
                return dict(message)
        r = await slack_call(self.client.conversations_replies(
            channel=channel, ts=ts, latest=ts, oldest=ts, inclusive=True, limit=1))
        for message in r.get("messages") or []:
            if message.get("ts") == ts:
                return dict(message)
        return None

    async def card_at(self, channel: str, ts: str) -> str | None:
        """The ticket whose card is message ``ts`` of ``channel``, as the card's marker names
        it (``T-1042``); None when that message is no card this app posted."""
        try:
            r = await slack_call(self.client.conversations_history(
                channel=channel, latest=ts, oldest=ts, inclusive=True, limit=1,
                include_all_metadata=True))
        except Undeliverable as exc:
            log.warning("cannot read message %s of %s (%s): taken for no ticket's card", ts,
                        channel, exc.error)
            return None
        me = (await self.identity()).bot_user_id
        for message in r.get("messages") or []:
            meta = message.get("metadata") or {}
            payload = meta.get("event_payload") or {}
            if (message.get("ts") == ts and message.get("user") == me
                    and meta.get("event_type") == MARKER_EVENT
                    and payload.get("notification") == CARD):
                return str(payload.get("ticket") or "") or None
        return None

    async def find_marked(
        self, channel: str, mark: dict[str, Any], *, oldest: float, thread_ts: str | None = None
    ) -> str | None:
        """The ts of a message this app already posted with ``mark``, if any.

        Asked only when a job runs again after a crash, so that a post which reached
        Slack just before the crash is not posted twice. Every message since ``oldest`` is
        looked at, however many pages they take.
        """
        async for message in self._messages(channel, oldest=oldest, thread_ts=thread_ts):
            meta = message.get("metadata") or {}
            if (meta.get("event_type") == mark["event_type"]
                    and meta.get("event_payload") == mark["event_payload"]):
                return str(message["ts"])
        return None

    async def _messages(self, channel: str, *, oldest: float | None = None,
                        thread_ts: str | None = None) -> AsyncIterator[dict[str, Any]]:
        """A thread's messages, or a channel's since ``oldest``, page after page (each page
        a call of its own, its failure mapped as any call's)."""
        args: dict[str, Any] = {"channel": channel, "limit": HISTORY_PAGE,
                                "include_all_metadata": True}
        if oldest is not None:
            args["oldest"] = f"{oldest:.6f}"
        cursor = None
        while True:
            page = {**args, "cursor": cursor} if cursor else args
            r = await slack_call(self.client.conversations_replies(ts=thread_ts, **page)
                                 if thread_ts else self.client.conversations_history(**page))
            for message in r.get("messages") or []:
                yield message
            cursor = (r.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return

    async def post_once(
        self,
        channel: str,
        text: str,
        blocks: Sequence[dict[str, Any]] | None,
        *,
        mark: dict[str, Any],
        again: bool,
        oldest: float,
        thread_ts: str | None = None,
        author: Author | None = None,
    ) -> str:
        """Post, unless ``again`` (a rerun) and Slack already has the marked message.

        ``channel`` may be a user ID: the message goes to the app's DM with that person.
        """
        if again:
            where = channel
            if channel.startswith(("U", "W")):
                opened = await slack_call(self.client.conversations_open(users=channel))
                where = str(opened["channel"]["id"])
            found = await self.find_marked(where, mark, oldest=oldest, thread_ts=thread_ts)
            if found:
                log.info("found %s already posted in %s, not posting it again",
                         mark["event_payload"], channel)
                return found
        return await self.post(channel, text, blocks, thread_ts=thread_ts, mark=mark,
                               author=author)

    async def dm_channel(self, user: str) -> str:
        """The ID of the app's direct-message channel with ``user``."""
        opened = await slack_call(self.client.conversations_open(users=user))
        return str(opened["channel"]["id"])

    async def upload_once(self, channel: str, filename: str, content: str | bytes, *, title: str,
                          thread_ts: str, again: bool) -> None:
        """Upload a file into a thread (``files_upload_v2``), unless ``again`` (a rerun)
        and the thread has a file of that name already."""
        if again:
            async for message in self._messages(channel, thread_ts=thread_ts):
                if any(f.get("name") == filename for f in message.get("files") or []):
                    log.info("found %s already uploaded in %s, not uploading it again",
                             filename, channel)
                    return
        await slack_call(self.client.files_upload_v2(
            channel=channel, thread_ts=thread_ts, filename=filename, title=title,
            content=content.encode() if isinstance(content, str) else content))
