"""What the tests send as Slack: the signing secret they share with the app, modal state
filled in by the inputs' visible labels, and the message shortcut's payload."""

from __future__ import annotations

from typing import Any

from tests.support.workspace import CLIENT_CHANNEL, CLIENT_USER

SIGNING_SECRET = "test-signing-secret"


def values_by_label(view: dict[str, Any], answers: dict[str, str | None]
                    ) -> dict[str, dict[str, Any]]:
    """Modal state as Slack sends it, each input found by its visible label.

    ``answers``: label -> typed text, or for radio buttons the visible option text.
    """
    state: dict[str, dict[str, Any]] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        label = block["label"]["text"]
        element = block["element"]
        answer = answers.get(label)
        if element["type"] == "radio_buttons":
            chosen = next((o for o in element["options"] if o["text"]["text"] == answer), None)
            value: dict[str, Any] = {"type": "radio_buttons", "selected_option": chosen}
        else:
            value = {"type": element["type"], "value": answer}
        state[block["block_id"]] = {element["action_id"]: value}
    return state


def shortcut(message_ts: str, text: str, user: str) -> dict[str, Any]:
    """The message shortcut (**Open a support ticket**) used by ``user`` on a message of the
    client's in their channel."""
    return {"type": "message_action", "callback_id": "open_support_ticket",
            "team": {"id": "T0DESK0001"}, "user": {"id": user, "team_id": "T0DESK0001"},
            "channel": {"id": CLIENT_CHANNEL}, "trigger_id": "1.shortcut",
            "message_ts": message_ts, "response_url": "https://hooks.example/s",
            "message": {"type": "message", "user": CLIENT_USER, "ts": message_ts,
                        "text": text}}
