"""The triage post's **Assign to** (a user picker) and, in its menu, **Unassign**."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    Option,
    OverflowMenuElement,
    PlainTextObject,
    UserSelectElement,
)

from bot.domain.tickets import Status, Ticket
from bot.slack_ui.ids import ActionId, TicketRef


def assign_block(ticket: Ticket) -> list[Block]:
    """**Assign to** (a user picker) and, in the menu, **Unassign**: while not resolved.
    The picker's block names the ticket (a user picker has no value of its own)."""
    if ticket.status is Status.RESOLVED:
        return []
    ref = TicketRef(ticket=ticket.number).model_dump_json()
    elements: list[UserSelectElement | OverflowMenuElement] = [UserSelectElement(
        action_id=ActionId.ASSIGN, placeholder=PlainTextObject(text="Assign to"),
        initial_user=ticket.assignee)]
    if ticket.assignee is not None:
        elements.append(OverflowMenuElement(action_id=ActionId.UNASSIGN, options=[
            Option(value=ref, text=PlainTextObject(text="Unassign"))]))
    return [ActionsBlock(block_id=ref, elements=elements)]
