"""What the sandbox's people do, done as Slack does it for them.

Slack keeps what a person writes or reacts with, then tells the app with a signed
request to ``/slack/events`` (an event, a slash command, an interaction), exactly as it
would in production; the app's answer to a modal submission (field errors, an updated
view, or none: closed) is applied to the person's screen as Slack applies it. Slack's own
refusals (a slash command in a Slack Connect channel, say) come from Slackbot.
"""

from __future__ import annotations

import itertools
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.limits import view_error
from bot.sandbox.records import (
    APP_ID,
    BOT_ID,
    TEAM_ID,
    Ephemeral,
    Message,
    OpenView,
    dm_channel,
)
from bot.sandbox.slack_side import SlackClientSide
from bot.sandbox.standin import SlackStandIn
from bot.sandbox.workspace import WORKSPACE_NAME, Persona, visible_channels
from bot.slack_ui.ids import CallbackId

SLACKBOT = "USLACKBOT"
COMMANDS = ("/ticket",)
"""The app's slash commands, as manifest.yml declares them."""
SHORTCUTS = {CallbackId.OPEN_SUPPORT_TICKET.value: "Open support ticket"}
"""The app's message shortcuts (callback id -> name), as manifest.yml declares them."""
EMOJI = re.compile(r"[a-z0-9_+'-]{1,100}(::skin-tone-[2-6])?")
"""An emoji's name as Slack writes it (``white_check_mark``, ``+1::skin-tone-3``)."""


class NotAnswered(Exception):
    """The app did not answer as Slack needs (an HTTP error): Slack shows it as failed."""


class NotAllowed(Exception):
    """Slack would not let this person do it: a channel they are not in, someone else's form."""


def may_see(who: Persona, channel: str) -> bool:
    """Whether ``channel`` is one of ``who``'s: a channel they are in, or their DM with the app."""
    return channel == dm_channel(who.id) or any(c[0] == channel for c in visible_channels(who))


@dataclass
class People:
    slack: SlackStandIn
    side: SlackClientSide
    respond_base: str
    """Where the app's ``response_url`` posts go: the sandbox's page keeps them."""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _run: str = field(default_factory=lambda: secrets.token_hex(3).upper())

    # -- helpers ---------------------------------------------------------------------

    def _user(self, who: Persona) -> dict[str, Any]:
        return {"id": who.id, "username": who.name.split()[0].lower(), "name": who.name,
                "team_id": who.team}

    def _response_url(self, who: Persona, channel: str) -> str:
        return f"{self.respond_base}/{who.id}/{channel}"

    def slackbot(self, who: Persona, channel: str, text: str) -> None:
        """A note from Slack itself, that only ``who`` sees."""
        self.slack.ephemerals.append(Ephemeral(channel, who.id, self.slack.next_ts(), text, [],
                                               by=SLACKBOT))
        self.slack.changed()

    def _in(self, who: Persona, channel: str) -> None:
        if not may_see(who, channel):
            name = self.slack.channels.get(channel, {}).get("name")
            raise NotAllowed(f"{who.name} is not in {f'#{name}' if name else channel}")

    def _message(self, channel: str, ts: str) -> Message:
        message = self.slack.messages.get((channel, ts))
        if message is None:
            raise LookupError(f"no message {ts} in {channel}")
        return message

    async def _event(self, event: dict[str, Any]) -> None:
        response = await self.side.event(event, event_id=f"Ev{self._run}{next(self._ids):06d}")
        if response.status not in (200, 404):  # 404: the app has no listener for it
            raise NotAnswered(f"the app answered HTTP {response.status} to the event")

    async def _interaction(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        status, body = await self.side.interaction(payload)
        if status != 200:
            raise NotAnswered(f"the app answered HTTP {status}")
        return body

    # -- what people do ----------------------------------------------------------------

    async def command(self, who: Persona, channel: str, line: str) -> None:
        """``/ticket some text`` typed in ``channel``."""
        self._in(who, channel)
        command, _, text = line.strip().partition(" ")
        if command not in COMMANDS:
            self.slackbot(who, channel, f"`{command}` is not a valid command. In Slack, all "
                          "messages that start with the \"/\" character are interpreted as "
                          "commands.")
            return
        if who.external:
            self.slackbot(who, channel, f"`{command}` is an app of {WORKSPACE_NAME}: slash "
                          "commands are not shared with people of other organisations in "
                          "Slack Connect channels.")
            return
        name = self.slack.channels.get(channel, {}).get("name", "directmessage")
        response = await self.side.post_form({
            "token": "legacy", "team_id": TEAM_ID, "team_domain": "desk-demo",
            "channel_id": channel, "channel_name": name, "user_id": who.id,
            "user_name": self._user(who)["username"], "command": command, "text": text.strip(),
            "api_app_id": APP_ID, "is_enterprise_install": "false",
            "response_url": self._response_url(who, channel),
            "trigger_id": self.slack.issue_trigger(who.id)})
        if response.status != 200:
            self.slackbot(who, channel, f"{command} failed with the error \"dispatch_failed\"")

    async def write(self, who: Persona, channel: str, text: str,
                    thread_ts: str | None = None) -> str:
        """A message (or a reply in a thread); the app gets its ``message`` event."""
        self._in(who, channel)
        if not text.strip():
            raise ValueError("write something first")
        parent = self._message(channel, thread_ts) if thread_ts else None
        if parent is not None and parent.thread_ts not in (None, parent.ts):
            raise LookupError("a reply has no thread of its own: reply in its parent's thread")
        ts = self.slack.add_message(channel, who.id, text, thread_ts)
        event: dict[str, Any] = {
            "type": "message", "channel": channel, "user": who.id, "text": text, "ts": ts,
            "event_ts": ts, "team": who.team, "user_team": who.team, "source_team": who.team,
            "channel_type": "im" if channel.startswith("D") else "channel"}
        if parent is not None:
            event.update(thread_ts=thread_ts, parent_user_id=parent.user)
        await self._event(event)
        return ts

    async def react(self, who: Persona, channel: str, ts: str, name: str) -> None:
        self._in(who, channel)
        if not EMOJI.fullmatch(name):
            raise ValueError(f"no emoji is called {name!r}")
        message = self._message(channel, ts)
        if self.slack.react(channel, ts, who.id, name).get("ok") is False:
            return  # already there: Slack sends nothing
        self.slack.changed()
        await self._event({"type": "reaction_added", "user": who.id, "reaction": name,
                           "item_user": message.user, "event_ts": self.slack.next_ts(),
                           "item": {"type": "message", "channel": channel, "ts": ts}})

    async def shortcut(self, who: Persona, channel: str, ts: str, callback_id: str) -> None:
        if callback_id not in SHORTCUTS:
            raise LookupError(f"no shortcut {callback_id}")
        self._in(who, channel)
        if who.external:
            self.slackbot(who, channel, "Apps' shortcuts are not shared with people of other "
                          "organisations in Slack Connect channels.")
            return
        message = self._message(channel, ts)
        await self._interaction({
            "type": "message_action", "callback_id": callback_id, "token": "legacy",
            "trigger_id": self.slack.issue_trigger(who.id), "action_ts": str(time.time()),
            "team": {"id": TEAM_ID, "domain": "desk-demo"}, "user": self._user(who),
            "channel": {"id": channel, "name": self.slack.channels.get(channel, {}).get("name")},
            "message": message.as_api(), "message_ts": ts,
            "response_url": self._response_url(who, channel)})

    async def open_home(self, who: Persona) -> None:
        await self._event({"type": "app_home_opened", "user": who.id, "tab": "home",
                           "channel": dm_channel(who.id), "event_ts": self.slack.next_ts(),
                           "view": self.slack.homes.get(who.id)})

    # -- interactive components --------------------------------------------------------

    async def act_on_message(self, who: Persona, channel: str, ts: str, block: int,
                             action_id: str, chosen: str | None = None) -> None:
        """A button clicked (or an option chosen) in block ``block`` of a message."""
        self._in(who, channel)
        message = self._message(channel, ts)
        action = chosen_action(message.blocks, block, action_id, chosen)
        await self._interaction({
            "type": "block_actions", "token": "legacy", "api_app_id": APP_ID,
            "team": {"id": TEAM_ID, "domain": "desk-demo"}, "user": self._user(who),
            "trigger_id": self.slack.issue_trigger(who.id),
            "container": {"type": "message", "message_ts": ts, "channel_id": channel,
                          "is_ephemeral": False},
            "channel": {"id": channel, "name": self.slack.channels.get(channel, {}).get("name")},
            "message": message.as_api(), "state": {"values": {}},
            "response_url": self._response_url(who, channel), "actions": [action]})

    async def act_in_view(self, who: Persona, view_id: str, block: int, action_id: str,
                          chosen: str | None, values: dict[str, Any]) -> None:
        """A button clicked (or an option chosen) in a modal or in App Home."""
        view = self._view_of(who, view_id)
        action = chosen_action(view.get("blocks") or [], block, action_id, chosen)
        await self._interaction({
            "type": "block_actions", "token": "legacy", "api_app_id": APP_ID,
            "team": {"id": TEAM_ID, "domain": "desk-demo"}, "user": self._user(who),
            "trigger_id": self.slack.issue_trigger(who.id),
            "container": {"type": "view", "view_id": view_id},
            "view": self._as_submitted(view_id, view, values), "actions": [action]})

    def _view_of(self, who: Persona, view_id: str) -> dict[str, Any]:
        """A modal on ``who``'s screen, or their App Home (``H`` and their id)."""
        if view_id == "H" + who.id:
            home = self.slack.homes.get(who.id)
            if home is None:
                raise LookupError("App Home is not there yet")
            return home
        record = self.slack.views.get(view_id)
        if record is None and not view_id.startswith("H"):
            raise LookupError("that form is no longer open")
        if record is None or view_id not in self.slack.modals.get(who.id, []):
            raise NotAllowed(f"that is not on {who.name}'s screen")
        return record.view

    def _as_submitted(self, view_id: str, view: dict[str, Any],
                      values: dict[str, Any]) -> dict[str, Any]:
        stack = self.slack.modals.get(self.slack.views[view_id].user or "", []) \
            if view_id in self.slack.views else []
        return {**view, "id": view_id, "team_id": TEAM_ID, "app_installed_team_id": TEAM_ID,
                "state": {"values": values}, "hash": f"{view_id}.h", "app_id": APP_ID,
                "bot_id": BOT_ID, "root_view_id": stack[0] if stack else view_id}

    async def submit(self, who: Persona, view_id: str, values: dict[str, Any]) -> None:
        """The modal's submit button; the app's answer is applied to ``who``'s screen."""
        record = self.slack.top_modal(who.id)
        if record is None or record.id != view_id:
            raise LookupError("that modal is no longer open")
        answer = await self._interaction({
            "type": "view_submission", "token": "legacy", "api_app_id": APP_ID,
            "team": {"id": TEAM_ID, "domain": "desk-demo"}, "user": self._user(who),
            "trigger_id": self.slack.issue_trigger(who.id),
            "view": self._as_submitted(view_id, record.view, values), "response_urls": []})
        self.apply_answer(who, record, answer)

    def apply_answer(self, who: Persona, record: OpenView, answer: dict[str, Any] | None) -> None:
        """What Slack does with the app's answer to a submission."""
        action = (answer or {}).get("response_action")
        view = (answer or {}).get("view")
        if action == "errors":
            record.errors = dict((answer or {}).get("errors") or {})
        elif action in ("update", "push") and isinstance(view, dict) and not view_error(view):
            if action == "update":
                record.view, record.errors = view, {}
            else:
                pushed = OpenView("V" + self.slack.next_ts().replace(".", ""), who.id, view)
                self.slack.views[pushed.id] = pushed
                self.slack.modals[who.id] = [*self.slack.modals.get(who.id, []), pushed.id]
        elif action in ("update", "push"):
            record.errors = {"": "The app answered with a view Slack cannot show."}
        else:
            self.slack.close_modal(who.id, all_of_them=action == "clear")
        self.slack.changed()

    async def close(self, who: Persona, view_id: str, values: dict[str, Any]) -> None:
        """The modal's close button: ``view_closed`` goes to the app if it asked for it."""
        record = self.slack.top_modal(who.id)
        if record is None or record.id != view_id:
            return
        self.slack.close_modal(who.id)
        self.slack.changed()
        if record.view.get("notify_on_close"):
            await self._interaction({
                "type": "view_closed", "token": "legacy", "api_app_id": APP_ID,
                "team": {"id": TEAM_ID, "domain": "desk-demo"}, "user": self._user(who),
                "view": self._as_submitted(view_id, record.view, values), "is_cleared": False})


def chosen_action(blocks: list[dict[str, Any]], block: int, action_id: str,
                  chosen: str | None) -> dict[str, Any]:
    """The ``actions[0]`` Slack sends for the element ``action_id`` of ``blocks[block]``."""
    if not 0 <= block < len(blocks):
        raise LookupError("that control is no longer there")
    found = blocks[block]
    elements = found.get("elements") or []
    if "accessory" in found:
        elements = [*elements, found["accessory"]]
    element = next((e for e in elements if e.get("action_id") == action_id), None)
    if element is None:
        raise LookupError("that control is no longer there")
    action: dict[str, Any] = {"type": element.get("type"), "action_id": action_id,
                              "block_id": found.get("block_id") or f"b{block}",
                              "action_ts": str(time.time())}
    if element.get("type") == "button":
        action.update(text=element.get("text"), value=element.get("value"))
    elif element.get("type") == "users_select":
        if not chosen:
            raise LookupError("choose someone")
        action["selected_user"] = chosen
    else:
        options = element.get("options") or [
            o for g in element.get("option_groups") or [] for o in g.get("options", [])]
        option = next((o for o in options if o.get("value") == chosen), None)
        if option is None:
            raise LookupError("that option is no longer there")
        action["selected_option"] = option
    return action
