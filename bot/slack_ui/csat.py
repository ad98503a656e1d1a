"""CSAT on the resolution message: "How did we do?", the buttons 1 to 5 and "Add a
comment"; the comment modal; the comment's note in the triage thread."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.domain.csat import COMMENT_MAX, SCORES, Score
from bot.domain.tickets import Ticket
from bot.slack_ui.ids import (
    ActionId,
    BlockId,
    CallbackId,
    CommentRef,
    RateId,
    RatingChoice,
    TicketRef,
)
from bot.slack_ui.text import escape
from bot.slack_ui.words import Words

RATE_IDS = dict(zip(SCORES, RateId, strict=True))


def survey(w: Words, ticket: Ticket) -> list[Block]:
    """The question and its buttons, under the resolution in the client thread."""
    buttons = [ButtonElement(text=PlainTextObject(text=str(score)), action_id=RATE_IDS[score],
                             value=RatingChoice(ticket=ticket.number, score=score)
                             .model_dump_json()) for score in SCORES]
    buttons.append(ButtonElement(text=PlainTextObject(text=w._("Add a comment")),
                                 action_id=ActionId.CSAT_COMMENT,
                                 value=TicketRef(ticket=ticket.number).model_dump_json()))
    return [SectionBlock(text=MarkdownTextObject(text="*" + w._("How did we do?") + "*")),
            ActionsBlock(elements=buttons),
            ContextBlock(elements=[MarkdownTextObject(
                text=w._("1 poor · 5 great. Anyone here may answer; a second click changes "
                         "your rating."))])]


def score_line(w: Words, score: Score) -> str:
    """``CSAT 5/5 (1 rating)``, ``CSAT 4.5/5 (2 ratings)``."""
    if score.average is None:
        return w._("CSAT: no ratings yet")
    return w.ngettext("CSAT {average}/5 ({n} rating)", "CSAT {average}/5 ({n} ratings)",
                      score.count, average=w.number(score.average))


def comment_modal(w: Words, ref: CommentRef) -> dict[str, Any]:
    return View(
        type="modal", callback_id=CallbackId.CSAT_COMMENT_MODAL,
        title=PlainTextObject(text=w._("Add a comment")),
        submit=PlainTextObject(text=w._("Send")), close=PlainTextObject(text=w._("Cancel")),
        private_metadata=ref.model_dump_json(),
        blocks=[InputBlock(
            block_id=BlockId.CSAT_COMMENT, label=PlainTextObject(text=w._("Your comment")),
            hint=PlainTextObject(text=w._("Rate the ticket first (1 to 5); the support team "
                                          "reads this.")),
            element=PlainTextInputElement(action_id=ActionId.CSAT_COMMENT_INPUT,
                                          multiline=True, max_length=COMMENT_MAX))],
    ).to_dict()


def comment_note(w: Words, ticket: Ticket, user: str) -> str:
    """The comment in the triage thread, whole and quoted."""
    mine = next(r for r in ticket.ratings if r.user == user)
    quoted = "\n".join(f"> {line}" for line in escape(mine.comment or "").split("\n"))
    return w._("<@{user}> rated {key} {score}/5 and commented:\n{comment}", user=user,
               key=ticket.key, score=mine.score, comment=quoted)
