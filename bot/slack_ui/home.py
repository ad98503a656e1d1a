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

from bot.domain.home import PAGE, Home, HomeRow, Part, Section
from bot.domain.text import N_
from bot.domain.tickets import Status
from bot.slack_ui.ids import ActionId, HomePage, TicketRef
from bot.slack_ui.text import escape
from bot.slack_ui.words import Words

HOME_BLOCKS: Final = 100
"""Slack's most blocks in a Home view."""

SECTIONS: Final = {Section.MINE: N_("My tickets"), Section.UNASSIGNED: N_("Unassigned"),
                   Section.AT_RISK: N_("At risk"), Section.BREACHED: N_("Breached"),
                   Section.CLIENTS: N_("My clients")}

NOT_STAFF = N_("*Support Desk* keeps the support team's queue here. It shows tickets to the "
             "support team and to account managers only.\n"
             "To ask for help, open a ticket in your support channel with *Open a ticket* "
             "(or `/ticket`), and follow it in its thread.")


def time_left(w: Words, row: HomeRow, now: float) -> str:
    """How long is left (as of ``now``), and the deadline itself, which Slack shows in each
    reader's timezone and which, unlike the time left, does not go stale in an open tab."""
    due, left = row.urgency.due, row.urgency.left(now)
    if due is None or left is None:
        return w._("no clock running")
    standing = (w._("overdue by {duration}", duration=w.duration(-left)) if left <= 0
                else w._("{duration} left", duration=w.duration(left)))
    return w._("{standing} · due {due}", standing=standing, due=w.date(due))


def row_block(w: Words, row: HomeRow, now: float) -> Block:
    t = row.ticket
    client = escape(row.client.name) if row.client else f"<#{t.channel}>"
    holder = f" · <@{t.assignee}>" if t.assignee else ""
    text = (f"*{t.key}* · {w.severity(t.severity)} · {client} · {time_left(w, row, now)}"
            f"{holder}\n{escape(t.title)}")
    claim = (ButtonElement(text=PlainTextObject(text=w._("Claim")), action_id=ActionId.CLAIM,
                           value=TicketRef(ticket=t.number).model_dump_json(), style="primary")
             if t.assignee is None and t.status is Status.OPEN else None)
    return SectionBlock(text=MarkdownTextObject(text=text), accessory=claim)


def part_blocks(w: Words, part: Part, now: float) -> list[Block]:
    title = w._(SECTIONS[part.section])
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=f"{title} ({part.total})"))]
    blocks += [row_block(w, row, now) for row in part.rows]
    if not part.rows:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=w._("Nothing here."))]))
    first = part.page * PAGE
    rest = part.total - first - len(part.rows)
    if part.rows and (rest > 0 or part.page > 0):
        shown = w._("Showing {first}–{last} of {total}", first=first + 1,
                    last=first + len(part.rows), total=part.total)
        if rest > 0:
            shown += " · " + w.ngettext("{n} more, less urgent", "{n} more, less urgent", rest)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=shown)]))
        buttons = []
        if part.page > 0:
            buttons.append(ButtonElement(
                text=PlainTextObject(text=w._("Previous")), action_id=ActionId.HOME_PAGE_BACK,
                value=HomePage(section=part.section, page=part.page - 1).model_dump_json()))
        if rest > 0:
            buttons.append(ButtonElement(
                text=PlainTextObject(text=w._("Next {n}", n=min(PAGE, rest))),
                action_id=ActionId.HOME_PAGE_ON,
                value=HomePage(section=part.section, page=part.page + 1).model_dump_json()))
        blocks.append(ActionsBlock(elements=buttons))
    return blocks


def home_view(w: Words, home: Home) -> dict[str, Any]:
    """The Home tab of ``home``'s person."""
    if not home.staff and not home.parts:
        blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=w._(NOT_STAFF)))]
    else:
        blocks = [SectionBlock(text=MarkdownTextObject(
            text=w._("*Support Desk* · your queue, soonest deadline first (time left as of "
                     "the last update).")))]
        for part in home.parts:
            blocks += [DividerBlock(), *part_blocks(w, part, home.now)]
    assert len(blocks) <= HOME_BLOCKS, f"a Home of {len(blocks)} blocks"
    return {"type": "home", "blocks": [b.to_dict() for b in blocks]}
