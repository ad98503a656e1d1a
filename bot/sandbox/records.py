"""What the Slack stand-in keeps: the workspace's people, channels, messages and views.

The Web API methods (``bot.sandbox.messages_api``, ``bot.sandbox.views_api``) and the
people of the sandbox (``bot.sandbox.people``) read and change these records; whoever
watches (the sandbox's page) is told after each change.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TEAM_ID = "T0DESK0001"
BOT_USER = "U0BOT00001"
BOT_ID = "B0BOT00001"
APP_ID = "A0APP00001"
TEAM_URL = "https://desk-test.slack.com/"
MANIFEST_SCOPES = ("commands", "chat:write", "chat:write.customize", "im:write", "im:history",
                   "users:read", "usergroups:read", "channels:read", "groups:read",
                   "channels:history", "groups:history", "reactions:read", "pins:write",
                   "pins:read", "files:write")
"""The bot scopes manifest.yml asks for: the stand-in grants them all unless told otherwise."""
TRIGGER_TTL = 3.0
"""Seconds a ``trigger_id`` can be exchanged for a modal, once (as Slack allows)."""


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    at: float


@dataclass
class InjectedFailure:
    """How the stand-in answers a Web API method instead of doing it (injected on purpose)."""

    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    times: int = 1
    after_effect: bool = False
    """Do the call's work, then answer with the failure (the answer was lost on the way)."""
    channel: str | None = None
    """Only calls about this channel fail (others go through)."""


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
    username: str | None = None
    """The name it is shown under, when the app posted it for a person."""
    reactions: dict[str, list[str]] = field(default_factory=dict)
    """Emoji name -> who reacted, in order."""
    files: list[dict[str, Any]] = field(default_factory=list)
    """The files shared with the message (``files.completeUploadExternal``)."""

    def as_api(self) -> dict[str, Any]:
        """The message as ``conversations.history`` and ``replies`` return it."""
        found: dict[str, Any] = {"type": "message", "ts": self.ts, "text": self.text,
                                 "metadata": self.metadata, "user": self.user,
                                 "thread_ts": self.thread_ts, "blocks": self.blocks}
        if self.user == BOT_USER:
            found["bot_id"] = BOT_ID
        if self.files:
            found["files"] = self.files
        if self.reactions:
            found["reactions"] = [{"name": n, "users": u, "count": len(u)}
                                  for n, u in self.reactions.items()]
        return found


@dataclass
class Ephemeral:
    """A message only ``user`` sees, until they reload (``chat.postEphemeral``)."""

    channel: str
    user: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    by: str = BOT_USER
    """Who it is from: the app, or Slack itself (Slackbot)."""


@dataclass
class OpenView:
    """A modal on someone's screen (``views.open``/``push``/``update``)."""

    id: str
    user: str | None
    view: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    """Field errors the app answered a submission with: block_id -> message."""


@dataclass
class Trigger:
    user: str
    at: float


def user_record(uid: str, **extra: Any) -> dict[str, Any]:
    """A member as ``users.info`` returns one (a staff member of the app's workspace)."""
    profile = {"email": f"{uid.lower()}@vendor.example", **extra.pop("profile", {})}
    return {"id": uid, "team_id": TEAM_ID, "name": uid.lower(), "is_bot": False,
            "deleted": False, "is_restricted": False, "is_ultra_restricted": False,
            "tz": "UTC", "profile": profile, **extra}


def dm_channel(user: str) -> str:
    """The app's direct-message channel with ``user``."""
    return "D" + user[1:]


@dataclass
class Records:
    """The workspace as the stand-in keeps it."""

    calls: list[Call] = field(default_factory=list)
    messages: dict[tuple[str, str], Message] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    pins: dict[str, set[str]] = field(default_factory=dict)
    ephemerals: list[Ephemeral] = field(default_factory=list)
    views: dict[str, OpenView] = field(default_factory=dict)
    modals: dict[str, list[str]] = field(default_factory=dict)
    """User -> the ids of the modals on their screen, the top one last."""
    homes: dict[str, dict[str, Any]] = field(default_factory=dict)
    """User -> their App Home, as the app last published it (``views.publish``)."""
    files: dict[str, Any] = field(default_factory=dict)
    """File ID -> the file uploaded (``bot.sandbox.files_api.File``)."""
    triggers: dict[str, Trigger] = field(default_factory=dict)
    exchanged: set[str] = field(default_factory=set)
    strict_triggers: bool = False
    """Refuse a ``trigger_id`` the stand-in did not issue (the sandbox issues every one)."""
    watchers: list[Callable[[], None]] = field(default_factory=list)
    """Called after every change (the page refreshes what its visitors see)."""
    _ts: int = 0

    def next_ts(self) -> str:
        self._ts += 1
        return f"{int(time.time())}.{self._ts:06d}"

    def changed(self) -> None:
        for watcher in self.watchers:
            watcher()

    def add_user(self, uid: str, **extra: Any) -> None:
        self.users[uid] = user_record(uid, **extra)

    def add_channel(self, cid: str, name: str, *, is_member: bool = True,
                    shared: bool = False) -> None:
        self.channels[cid] = {"id": cid, "name": name, "is_member": is_member,
                              "is_channel": True, "is_ext_shared": shared}

    def change_channel_id(self, old: str, new: str) -> None:
        """What Slack does when a channel gets a new ID (it became shared): the channel, its
        messages and its pins are under ``new`` from now on."""
        self.channels[new] = {**self.channels.pop(old), "id": new}
        for key in [key for key in self.messages if key[0] == old]:
            message = self.messages.pop(key)
            message.channel = new
            self.messages[(new, message.ts)] = message
        if old in self.pins:
            self.pins[new] = self.pins.pop(old)
        self.changed()

    def issue_trigger(self, user: str) -> str:
        """A fresh ``trigger_id`` for what ``user`` just did (a command, a click)."""
        trigger = f"{self.next_ts()}.{user.lower()}"
        self.triggers[trigger] = Trigger(user, time.time())
        return trigger

    def exchange(self, trigger_id: str) -> tuple[str | None, str | None]:
        """Use up ``trigger_id``: whose it was, or Slack's error for it."""
        if trigger_id in self.exchanged:
            return None, "exchanged_trigger_id"
        issued = self.triggers.pop(trigger_id, None)
        if issued is None and self.strict_triggers:
            return None, "invalid_trigger_id"
        self.exchanged.add(trigger_id)
        if issued is not None and time.time() - issued.at > TRIGGER_TTL:
            return None, "expired_trigger_id"
        return (issued.user if issued else None), None
