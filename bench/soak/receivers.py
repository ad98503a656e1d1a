"""What the desk sends, received and written down for the soak's checker: the Slack
stand-in's posts and updates (``slack.jsonl``), the SMTP server's emails (``mail.jsonl``),
the webhook's events (``hooks.jsonl``), each with when it arrived. The stand-in also keeps
where each ticket lives, for the generator: its number, its triage post, its thread."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller

from bench.soak.record import Delivery, write_line
from bot.sandbox.standin import SlackStandIn
from tests.support.hooks_standin import Receiver
from tests.support.servers import free_port

KEY = re.compile(r"\[(k\d+)\]")
NUMBER = re.compile(r"\bT-(\d+)\b")


class Sink:
    """The SMTP server: keeps each email with when it arrived; can refuse for a while."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.refusing = False
        self.count = 0
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any,  # noqa: N802
                          address: str, rcpt_options: list[str]) -> str:
        if self.refusing:  # as a server short of resources says it: no recipient for now
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.refusing:
            return "451 4.3.0 try again later"
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        body = message.get_body(preferencelist=("plain",))
        text = f"{message.get('Subject', '')}\n\n{body.get_content() if body else ''}"
        write_line(self.folder / "mail.jsonl", Delivery(
            "mail", time.time(), ",".join(envelope.rcpt_tos), text, "smtp",
            ts=str(message.get("Message-ID", "")), thread_ts=str(message.get("In-Reply-To", ""))))
        self.count += 1
        return "250 OK"

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


class Hooks(Receiver):
    """The webhook receiver, writing down each event it accepts with when it came."""

    folder: Path = Path()

    async def handle(self, request: web.Request) -> web.Response:
        before = len(self.events)
        response = await super().handle(request)
        for event in self.events[before:]:
            write_line(self.folder / "hooks.jsonl", Delivery(
                "webhook", time.time(), "webhook", json.dumps(event),
                str(event.get("event", ""))))
        return response


def slack_text(args: dict[str, Any]) -> str:
    """A message's text and its blocks' texts, a line each."""
    parts = [str(args.get("text") or "")]
    blocks = args.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict):
            parts.append(str(text.get("text", "")))
        for item in (block.get("elements") or []) + (block.get("fields") or []):
            if isinstance(item, dict) and isinstance(item.get("text"), str):
                parts.append(item["text"])
            elif isinstance(item, dict) and isinstance(item.get("text"), dict):
                parts.append(str(item["text"].get("text", "")))
    return "\n".join(p for p in parts if p)


@dataclass
class RecordingSlack(SlackStandIn):
    """The stand-in, writing down each post and update it took (``slack.jsonl``) as it
    takes it; ``drop``: the text of one notification to lose on purpose (Slack said ok, and
    nobody ever saw it), to show that the checker notices."""

    folder: Path = Path()
    triage_channel: str = ""
    client_channels: frozenset[str] = frozenset()
    drop: str | None = None
    dropped: int = 0
    numbers: dict[str, int] = field(default_factory=dict)
    """The generator's key of a ticket (``k17``, in its title) -> the desk's number."""
    triage: dict[int, str] = field(default_factory=dict)
    """A ticket's number -> its triage post's ts."""
    threads: dict[int, tuple[str, str]] = field(default_factory=dict)
    """A ticket's number -> its client thread (channel, thread ts)."""
    opened: dict[str, dict[str, Any]] = field(default_factory=dict)
    """A trigger ID -> the modal the app opened with it."""

    def _record(self, method: str, args: dict[str, Any], body: dict[str, Any]) -> None:
        if body.get("ok") is False:
            return
        text = slack_text(args)
        if self.drop and self.drop in text and not self.dropped:
            self.dropped += 1
            return
        channel = str(args.get("channel", ""))
        to = "U" + channel[1:] if channel.startswith("D") else channel  # a direct message
        write_line(self.folder / "slack.jsonl", Delivery(
            "slack", time.time(), to, text, method,
            str(body.get("ts") or args.get("ts") or ""), str(args.get("thread_ts") or "")))

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        body = super()._chat_postMessage(args)
        self._record("chat.postMessage", args, body)
        if body.get("ok") is not False:
            self._index(args, str(body["channel"]), str(body["ts"]))
        return body

    def _index(self, args: dict[str, Any], channel: str, ts: str) -> None:
        """Where each ticket lives, as the posts show it: its number (the triage post names
        the title's key), its triage post, and its client thread (the first post of the
        desk's in a client channel naming it)."""
        text = slack_text(args)
        numbers = [int(n) for n in NUMBER.findall(text)]
        thread = args.get("thread_ts")
        if channel == self.triage_channel and thread is None and numbers:
            self.triage.setdefault(numbers[0], ts)
            for key in KEY.findall(text):
                self.numbers.setdefault(key, numbers[0])
        elif channel in self.client_channels and numbers:
            self.threads.setdefault(numbers[0], (channel, str(thread or ts)))

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        body = super()._views_open(args)
        view = args.get("view")
        if body.get("ok") is not False and isinstance(view, dict):
            self.opened[str(args.get("trigger_id"))] = view
        return body

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        body = super()._chat_update(args)
        self._record("chat.update", args, body)
        return body
