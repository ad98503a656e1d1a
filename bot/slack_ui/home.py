"""The App Home view: a person's queue, a section at a time, within Home's 100 blocks."""

from __future__ import annotations

from typing import Any, Final

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.domain.home import PAGE, Home, HomeRow, Part
from bot.domain.tickets import Status
from bot.slack_ui.ids import ActionId, HomePage, TicketRef
from bot.slack_ui.text import escape, humanize, slack_date

HOME_BLOCKS: Final = 100
"""Slack's most blocks in a Home view."""

NOT_STAFF = ("*Support Desk* keeps the support team's queue here. It shows tickets to the "
             "support team and to account managers only.\n"
             "To ask for help, open a ticket in your support channel with *Open a ticket* "
             "(or `/ticket`), and follow it in its thread.")


def time_left(row: HomeRow, now: float) -> str:
    """How long is left (as of ``now``), and the deadline itself, which Slack shows in each
    reader's timezone and which, unlike the time left, does not go stale in an open tab."""
    due, left = row.urgency.due, row.urgency.left(now)
    if due is None or left is None:
        return "no clock running"
    standing = f"overdue by {humanize(-left)}" if left <= 0 else f"{humanize(left)} left"
    return f"{standing} · due {slack_date(due)}"


def row_block(row: HomeRow, now: float) -> Block:
    t = row.ticket
    client = escape(row.client.name) if row.client else f"<#{t.channel}>"
    holder = f" · <@{t.assignee}>" if t.assignee else ""
    text = (f"*{t.key}* · {t.severity.label} · {client} · {time_left(row, now)}{holder}\n"
            f"{escape(t.title)}")
    claim = (ButtonElement(text=PlainTextObject(text="Claim"), action_id=ActionId.CLAIM,
                           value=TicketRef(ticket=t.number).model_dump_json(), style="primary")
             if t.assignee is None and t.status is Status.OPEN else None)
    return SectionBlock(text=MarkdownTextObject(text=text), accessory=claim)


def part_blocks(part: Part, now: float) -> list[Block]:
    title = part.section.value
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=f"{title} ({part.total})"))]
    blocks += [row_block(row, now) for row in part.rows]
    if not part.rows:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text="Nothing here.")]))
    first = part.page * PAGE
    rest = part.total - first - len(part.rows)
    if part.rows and (rest > 0 or part.page > 0):
        shown = f"{first + 1}–{first + len(part.rows)} of {part.total}"
        more = f" · {rest} more, less urgent" if rest > 0 else ""
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"Showing {shown}{more}")]))
        buttons = []
        if part.page > 0:
            buttons.append(ButtonElement(
                text=PlainTextObject(text="Previous"), action_id=ActionId.HOME_PAGE_BACK,
                value=HomePage(section=part.section, page=part.page - 1).model_dump_json()))
        if rest > 0:
            buttons.append(ButtonElement(
                text=PlainTextObject(text=f"Next {min(PAGE, rest)}"),
                action_id=ActionId.HOME_PAGE_ON,
                value=HomePage(section=part.section, page=part.page + 1).model_dump_json()))
        blocks.append(ActionsBlock(elements=buttons))
    return blocks


def home_view(home: Home) -> dict[str, Any]:
    """The Home tab of ``home``'s person."""
    if not home.staff and not home.parts:
        blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=NOT_STAFF))]
    else:
        blocks = [SectionBlock(text=MarkdownTextObject(
            text="*Support Desk* · your queue, soonest deadline first (time left as of "
                 "the last update)."))]
        for part in home.parts:
            blocks += [DividerBlock(), *part_blocks(part, home.now)]
    assert len(blocks) <= HOME_BLOCKS, f"a Home of {len(blocks)} blocks"
    return {"type": "home", "blocks": [b.to_dict() for b in blocks]}
