"""Whether what the desk renders is what Slack and slack-sdk take: slack-sdk's models
(``to_dict()`` validates) and the stand-in's rules (``bot.sandbox.limits``), lengths counted
in UTF-16 code units as Slack may count them, no control character, and what a person wrote
shown whole."""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Iterator
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.sandbox.limits import message_error, view_error


def slack_length(text: str) -> int:
    """UTF-16 code units: an emoji is two."""
    return len(text.encode("utf-16-le")) // 2


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def clean(payload: Any) -> None:
    for text in strings(payload):
        odd = [c for c in text if unicodedata.category(c) == "Cc" and c not in "\n\t"]
        assert not odd, f"control characters {odd!r} in {text[:200]!r}"


def sent(text: str, blocks: list[dict[str, Any]] | None = None) -> None:
    """A message Slack and slack-sdk take."""
    refused = message_error({"text": text, "blocks": blocks})
    assert refused is None, refused
    for block in blocks or []:
        Block.parse(block).to_dict()  # type: ignore[union-attr]
    clean([text, blocks])


def opened(view: dict[str, Any]) -> None:
    """A modal or Home Slack and slack-sdk take."""
    refused = view_error(view)
    assert refused is None, refused
    View(**view).to_dict()
    for block in view["blocks"]:
        element = block.get("element") or {}
        if "initial_value" in element:
            assert slack_length(element["initial_value"]) <= element["max_length"]
    clean(view)


def whole(blocks: list[dict[str, Any]], text: str) -> None:
    """``text`` is in the message, all of it (pieces are cut at spaces and line ends)."""
    shown = html.unescape("".join(e["text"] for b in blocks if b["type"] == "context"
                                  for e in b["elements"]))
    assert "".join(shown.split()) == "".join(text.split())


def within_block_kit(blocks: list[dict[str, Any]]) -> None:
    assert message_error({"text": "t", "blocks": blocks}) is None
    for block in blocks:
        Block.parse(block).to_dict()  # type: ignore[union-attr]
