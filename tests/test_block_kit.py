"""Block Kit that Slack and slack-sdk take, with lengths counted as Slack may count them.

Each message or view is checked by slack-sdk's models (``to_dict()`` validates) and by the
stand-in's rules (``bot.sandbox.limits``: 50 blocks a message, 100 a modal or Home, 3,000 a
section or a text object, 150 a header, 40,000 a message's text...), lengths counted in
UTF-16 code units as Slack may count them (an emoji is two); an input's initial_value is
within its max_length. No control character reaches Slack, and what a person wrote is shown
whole.
"""

from __future__ import annotations

import html
import json
import unicodedata
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.config.plans import parse_calendars
from bot.sandbox.limits import message_error, view_error
from bot.slack_ui.text import escape
from tests.conftest import CLIENT_CHANNEL, RunningApp, register_client
from tests.flows import find_post, open_ticket, triage_post
from tests.test_hostile_input import prefilled_by_reaction


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


LONG_PLAN = "&" * 200
SHIFTS = {"shifts": {"timezone": "America/Argentina/ComodRivadavia", "hours": {
    day: [f"{h:02d}:0{d}:1{d}-{h:02d}:5{d}:5{d}" for h in range(0, 24, 2)]
    for d, day in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))}}}
"""Twelve intervals a day, to the second, each day its own: the longest hours to write out."""
TARGETS = {"critical": 40, "high": 60, "medium": 80, "low": 120}


def within_block_kit(blocks: list[dict[str, Any]]) -> None:
    assert message_error({"text": "t", "blocks": blocks}) is None
    for block in blocks:
        Block.parse(block).to_dict()  # type: ignore[union-attr]


@pytest.mark.parametrize("settings_extra", [{
    "calendars": json.dumps(SHIFTS),
    "plans": json.dumps({"standard": TARGETS, LONG_PLAN: {**TARGETS, "calendar": "shifts"}})}])
async def test_a_long_plan_name_and_shift_hours_still_post_in_full(app: RunningApp) -> None:
    await register_client(app.runtime, name="&" * 100, plan=LONG_PLAN, phone="&" * 40)
    number = await open_ticket(app, "&" * 150, "Critical", "Everything & more is down.")
    post = await triage_post(app, number)
    card = await app.slack.wait_for(lambda: find_post(app, CLIENT_CHANNEL, f"T-{number}"))
    hours = parse_calendars(json.dumps(SHIFTS))["shifts"].describe()
    for message in (post, card):
        within_block_kit(message.blocks)
        shown = html.unescape(json.dumps([b.get("text") for b in message.blocks]))
        assert hours in shown and "&" * 150 in shown
    sections = "\n".join(b["text"]["text"] for b in post.blocks if b["type"] == "section")
    assert f"({LONG_PLAN})" in html.unescape(sections)


async def test_a_description_of_emoji_is_cut_as_slack_counts(app: RunningApp) -> None:
    await register_client(app.runtime)
    description = "\U0001f3ab" * 3000  # 3,000 characters, 6,000 UTF-16 code units
    number = await open_ticket(app, "Tickets", "Low", description)
    post = await triage_post(app, number)
    card = await app.slack.wait_for(lambda: find_post(app, CLIENT_CHANNEL, f"T-{number}"))
    for message in (post, card):
        within_block_kit(message.blocks)
        whole(message.blocks, description)


async def test_a_reaction_on_a_message_of_emoji_prefills_within_the_fields(
        app: RunningApp) -> None:
    await register_client(app.runtime)
    _, modal = await prefilled_by_reaction(
        app, "\U0001f525" * 200 + "\n" + "\U0001f3ab" * 4000, "EvEmoji1")
    opened(modal)
    fields = {b["label"]["text"]: b["element"] for b in modal["blocks"] if b["type"] == "input"}
    assert "more characters in the original" in fields["Description"]["initial_value"]


async def test_a_stack_trace_split_across_blocks_keeps_its_indentation(
        app: RunningApp) -> None:
    await register_client(app.runtime)
    frames = "".join(f'  File "<app>/jobs/step_{i}.py", line {i}, in <module>\n'
                     f"    run(<payload {i}>)\n" for i in range(36))
    description = "Traceback (most recent call last):\n" + frames + "ValueError: <bad>"
    assert len(description) <= 3000 < len(escape(description))
    number = await open_ticket(app, "Job crashes", "High", description)
    post = await triage_post(app, number)
    quoted = [e["text"] for b in post.blocks if b["type"] == "context" for e in b["elements"]]
    assert len(quoted) > 1  # the description continues in a second block
    lines = html.unescape("\n".join(quoted)).split("\n")
    assert lines == description.split("\n")
