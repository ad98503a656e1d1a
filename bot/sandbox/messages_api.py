"""The stand-in's Web API methods for messages, threads, pins, reactions and people.

Each takes the call's arguments and returns Slack's answer (``ok: false`` with Slack's
error code where Slack would refuse). Named after Slack's methods.
"""

from __future__ import annotations

import base64
import math
from typing import Any

from bot.sandbox.limits import message_error
from bot.sandbox.records import BOT_USER, Ephemeral, Message, Records, dm_channel

Answer = dict[str, Any]


class MessageMethods(Records):
    def _chat_postMessage(self, args: dict[str, Any]) -> Answer:
        channel = str(args.get("channel", ""))
        if channel in self.channels and not self.channels[channel]["is_member"]:
            return {"ok": False, "error": "not_in_channel"}
        if self.users.get(channel, {}).get("deleted"):
            return {"ok": False, "error": "user_disabled"}
        refused = message_error(args)
        if refused:
            return refused
        if channel.startswith(("U", "W")):
            channel = dm_channel(channel)
        ts = self.next_ts()
        self.messages[(channel, ts)] = Message(
            channel, ts, args.get("text", ""), args.get("blocks") or [], args.get("thread_ts"),
            args.get("metadata"), username=args.get("username"))
        return {"channel": channel, "ts": ts, "message": {"text": args.get("text", "")}}

    def post_as_app(self, channel: str, text: str, blocks: list[dict[str, Any]]) -> Answer:
        """A message from the app that did not come through the Web API (a response_url)."""
        return self._chat_postMessage({"channel": channel, "text": text, "blocks": blocks})

    def _chat_update(self, args: dict[str, Any]) -> Answer:
        message = self.messages.get((args.get("channel", ""), args.get("ts", "")))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        if message.user != BOT_USER:
            return {"ok": False, "error": "cant_update_message"}
        refused = message_error({"text": args.get("text", message.text),
                                 "blocks": args.get("blocks")})
        if refused:
            return refused
        message.text = args.get("text", message.text)
        message.blocks = args.get("blocks") or message.blocks
        message.updates += 1
        return {"channel": args["channel"], "ts": args["ts"]}

    def _chat_delete(self, args: dict[str, Any]) -> Answer:
        key = (str(args.get("channel", "")), str(args.get("ts", "")))
        message = self.messages.get(key)
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        if message.user != BOT_USER:
            return {"ok": False, "error": "cant_delete_message"}
        del self.messages[key]
        return {"channel": key[0], "ts": key[1]}

    def _chat_postEphemeral(self, args: dict[str, Any]) -> Answer:
        refused = message_error(args)
        if refused:
            return refused
        ts = self.next_ts()
        self.ephemerals.append(Ephemeral(
            str(args.get("channel", "")), str(args.get("user", "")), ts, args.get("text", ""),
            args.get("blocks") or [], args.get("thread_ts")))
        return {"message_ts": ts}

    def _pins_add(self, args: dict[str, Any]) -> Answer:
        pinned = self.pins.setdefault(args["channel"], set())
        if args["timestamp"] in pinned:
            return {"ok": False, "error": "already_pinned"}
        pinned.add(args["timestamp"])
        return {}

    def _pins_list(self, args: dict[str, Any]) -> Answer:
        channel = args["channel"]
        if channel not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        return {"items": [{"type": "message", "channel": channel, "created": 0,
                           "message": {"ts": ts, "text": self.messages[(channel, ts)].text
                                       if (channel, ts) in self.messages else ""}}
                          for ts in sorted(self.pins.get(channel, set()))]}

    def react(self, channel: str, ts: str, user: str, name: str) -> Answer:
        """``user`` adds the reaction ``name`` to a message (the app, or a person)."""
        message = self.messages.get((channel, ts))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        who = message.reactions.setdefault(name, [])
        if user in who:
            return {"ok": False, "error": "already_reacted"}
        who.append(user)
        return {}

    def _reactions_add(self, args: dict[str, Any]) -> Answer:
        return self.react(str(args.get("channel", "")), str(args.get("timestamp", "")),
                          BOT_USER, str(args.get("name", "")))

    def _reactions_get(self, args: dict[str, Any]) -> Answer:
        message = self.messages.get((args.get("channel", ""), args.get("timestamp", "")))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        return {"type": "message", "channel": message.channel, "message": message.as_api()}

    def _users_info(self, args: dict[str, Any]) -> Answer:
        user = self.users.get(args["user"])
        return {"user": user} if user else {"ok": False, "error": "user_not_found"}

    def _usergroups_users_list(self, args: dict[str, Any]) -> Answer:
        return {"users": self.usergroups.get(args["usergroup"], [])}

    def _conversations_info(self, args: dict[str, Any]) -> Answer:
        channel = self.channels.get(args["channel"])
        return {"channel": channel} if channel else {"ok": False, "error": "channel_not_found"}

    def _users_conversations(self, args: dict[str, Any]) -> Answer:
        """The channels the app is in, ``limit`` a page (Slack's default 100)."""
        found = [c for c in self.channels.values() if c["is_member"]]
        start = int(base64.b64decode(args["cursor"]).decode()) if args.get("cursor") else 0
        end = start + min(int(args.get("limit") or 100), 1000)
        more = end < len(found)
        return {"channels": found[start:end], "response_metadata": {
            "next_cursor": base64.b64encode(str(end).encode()).decode() if more else ""}}

    def _history(self, args: dict[str, Any], thread: str | None) -> Answer:
        """A channel's messages newest first, or a thread's oldest first (its parent first),
        between ``oldest`` and ``latest`` (themselves only if ``inclusive``), ``limit`` a
        page (Slack's default 100), the next page's cursor as Slack gives it."""
        oldest = float(args.get("oldest") or 0)
        latest = float(args["latest"]) if args.get("latest") else math.inf
        inclusive = str(args.get("inclusive", "")).lower() in ("true", "1")

        def within(ts: str) -> bool:
            t = float(ts)
            return oldest <= t <= latest if inclusive else oldest < t < latest

        found = [m for m in self.messages.values()
                 if m.channel == args["channel"] and within(m.ts)
                 and (m.thread_ts is None if thread is None else thread in (m.thread_ts, m.ts))]
        found.sort(key=lambda m: float(m.ts), reverse=thread is None)
        start = int(base64.b64decode(args["cursor"]).decode()) if args.get("cursor") else 0
        end = start + min(int(args.get("limit") or 100), 1000)
        more = end < len(found)
        return {"messages": [m.as_api() for m in found[start:end]], "has_more": more,
                "response_metadata": {"next_cursor": base64.b64encode(str(end).encode()).decode()
                                      if more else ""}}

    def _conversations_open(self, args: dict[str, Any]) -> Answer:
        user = str(args.get("users", ""))
        if self.users.get(user, {}).get("deleted"):
            return {"ok": False, "error": "user_disabled"}
        return {"channel": {"id": dm_channel(user)}}

    def _conversations_history(self, args: dict[str, Any]) -> Answer:
        return self._history(args, None)

    def _conversations_replies(self, args: dict[str, Any]) -> Answer:
        return self._history(args, args["ts"])
