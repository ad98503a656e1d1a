"""What the tests send as Slack: the signing secret they share with the app, and modal
state filled in by the inputs' visible labels."""

from __future__ import annotations

from typing import Any

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
