"""CSAT on the resolution message: the buttons 1 to 5, "Add a comment" and its modal.

Anyone in the client channel may answer, external members of a shared channel too: the
service checks the channel, not who is clicking.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.tickets import ticket_key
from bot.slack_ui.csat import comment_modal
from bot.slack_ui.ids import ActionId, BlockId, CallbackId, CommentRef, RateId, RatingChoice
from handlers.acking import after_ack
from handlers.actions import STALE, acting, tell, tell_in_words, ticket_of, words_of
from handlers.desk import Desk, desk_of
from handlers.payloads import Click, Submission, read, value_of
from handlers.replies import open_form
from handlers.views import answer, read_note


def register(app: AsyncApp) -> None:
    for action_id in RateId:
        app.action(action_id)(rate_ticket)
    app.action(ActionId.CSAT_COMMENT)(open_comment_modal)
    app.view(CallbackId.CSAT_COMMENT_MODAL)(submit_comment)


def rating(desk: Desk, click: Click) -> Coroutine[Any, Any, None] | None:
    choice = value_of(RatingChoice, click.action.value)
    if choice is None or click.channel is None:
        return None
    return desk.ratings.rate(choice.ticket, choice.score, click.actor,
                             channel=click.channel.id)


async def rate_ticket(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                      context: AsyncBoltContext) -> None:
    await acting(ack, body, client, context, rating)


async def open_comment_modal(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                             context: AsyncBoltContext) -> None:
    await ack()
    click = read(Click, body, "click")
    number = ticket_of(click) if click else None
    desk = desk_of(context)
    if click and number and click.channel and click.trigger_id:
        after_ack(open_comment_form(client, click, number, desk), "CSAT comment views.open")
    elif click:
        after_ack(tell_in_words(desk, client, click, STALE), "ephemeral refusal")


async def open_comment_form(client: AsyncWebClient, click: Click, number: int, desk: Desk
                            ) -> None:
    """The comment modal, in the words of the client channel it is opened in."""
    w = await words_of(desk, click)
    await open_form(client, click.trigger_id or "", comment_modal(
        w, CommentRef(ticket=number, channel=click.channel.id if click.channel else "")),
        what=f"{ticket_key(number)}: CSAT comment",
        tell=lambda text: tell(client, click, text), w=w)


async def submit_comment(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
                         ) -> None:
    desk = desk_of(context)
    submitted = read(Submission, body, "submission")
    meta = value_of(CommentRef, submitted.view.private_metadata) if submitted else None
    w = await desk.words(meta.channel) if meta else desk.staff_words
    note = await read_note(ack, body, BlockId.CSAT_COMMENT, ActionId.CSAT_COMMENT_INPUT,
                           w._("Write your comment."), w)
    if note is None:
        return
    submission, _, text = note
    ref = value_of(CommentRef, submission.view.private_metadata)
    if ref is None:
        await ack()
        return
    await answer(ack, submission, context, w, BlockId.CSAT_COMMENT, desk.ratings
                 .comment(ref.ticket, text, submission.actor, channel=ref.channel,
                          once=submission.view.id))
