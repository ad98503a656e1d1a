"""Cases found by the rendering properties (``tests/unit/test_block_kit.py``), end to end
through the app: long plan names and shift hours, descriptions of emoji, a reaction on a
message of emoji, a stack trace split across blocks; each posts Block Kit that Slack and
slack-sdk take, with what a person wrote shown whole."""

from __future__ import annotations

import html
import json

import pytest

from bot.config.plans import parse_calendars
from bot.slack_ui.text import escape
from tests.support.block_kit import opened, whole, within_block_kit
from tests.support.desk import RunningApp, register_client
from tests.support.flows import find_post, open_ticket, prefilled_by_reaction, triage_post
from tests.support.workspace import CLIENT_CHANNEL

LONG_PLAN = "&" * 200
SHIFTS = {"shifts": {"timezone": "America/Argentina/ComodRivadavia", "hours": {
    day: [f"{h:02d}:0{d}:1{d}-{h:02d}:5{d}:5{d}" for h in range(0, 24, 2)]
    for d, day in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))}}}
"""Twelve intervals a day, to the second, each day its own: the longest hours to write out."""
TARGETS = {"critical": 40, "high": 60, "medium": 80, "low": 120}



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
