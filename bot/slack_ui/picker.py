"""The triage post's **Assign to** (a user picker) and, in its menu, **Unassign**, as plain
Block Kit dicts like the rest of the post."""

from __future__ import annotations

from typing import Any

from bot.domain.tickets import Status, Ticket
from bot.slack_ui.ids import ActionId, TicketRef
from bot.slack_ui.words import Words


def assign_block(w: Words, ticket: Ticket) -> list[dict[str, Any]]:
    """**Assign to** (a user picker) and, in the menu, **Unassign**: while not resolved.
    The block's id names the ticket (a user picker has no value of its own)."""
    if ticket.status is Status.RESOLVED:
        return []
    ref = TicketRef(ticket=ticket.number).model_dump_json()
    picker: dict[str, Any] = {"type": "users_select", "action_id": ActionId.ASSIGN.value,
                              "placeholder": {"type": "plain_text", "text": w._("Assign to")}}
    if ticket.assignee is not None:
        picker["initial_user"] = ticket.assignee
    elements = [picker]
    if ticket.assignee is not None:
        elements.append({"type": "overflow", "action_id": ActionId.UNASSIGN.value,
                         "options": [{"text": {"type": "plain_text", "text": w._("Unassign")},
                                      "value": ref}]})
    return [{"type": "actions", "block_id": ref, "elements": elements}]
