"""Buttons, menus and the message shortcut.

**Open a ticket** works for everyone (external members of shared channels too); the
triage post's buttons and menu, and the shortcut, are for staff (the services check).
A change is made before the ack; a refusal is shown right after, to the clicker only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.connection import redis_unreachable
from bot.adapters.slack import Retryable, Undeliverable, retried
from bot.domain.text import N_
from bot.domain.tickets import TicketError, ticket_key
from bot.slack_ui import modals
from bot.slack_ui.ids import (
    STATUS_BUTTONS,
    ActionId,
    CallbackId,
    ModalMetadata,
    OpenTicketButton,
    OpenTicketValue,
    SeverityChoice,
    TicketRef,
)
from bot.slack_ui.text import as_written
from bot.slack_ui.words import Words
from handlers.acking import after_ack, in_time
from handlers.desk import Desk, Prefills, desk_of
from handlers.errors import NOT_CHANGED
from handlers.payloads import Click, Shortcut, read, value_of
from handlers.replies import ephemeral, open_form

log = logging.getLogger(__name__)

TELL_PATIENCE = 10.0
"""How long a message to the clicker waits out Slack's 429 (Retry-After) and 5xx."""
STALE = N_("That button is out of date: use the ticket's latest triage post.")
SORRY = N_("Sorry, that did not go through: Slack or the desk is not answering. Please try "
           "again in a minute.")

Change = Callable[[Desk, Click], Coroutine[Any, Any, None] | None]
"""The change a click asks for, or None when its value is not one the desk made."""


def register(app: AsyncApp) -> None:
    app.action(ActionId.OPEN_TICKET)(open_ticket_modal)
    app.shortcut(CallbackId.OPEN_SUPPORT_TICKET)(open_support_ticket)
    app.action(ActionId.RESOLVE)(open_resolve_modal)
    app.action(ActionId.POST_UPDATE)(open_update_modal)
    app.action(ActionId.CLAIM)(claim_ticket)
    app.action(ActionId.REOPEN)(reopen_ticket)
    app.action(ActionId.CHANGE_SEVERITY)(change_severity)
    app.action(ActionId.NOT_A_REQUEST)(not_a_request_clicked)
    app.action(ActionId.ASSIGN)(assign_ticket)
    app.action(ActionId.UNASSIGN)(unassign_ticket)
    for action_id in STATUS_BUTTONS:
        app.action(action_id)(set_status)


async def acting(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                 context: AsyncBoltContext, change: Change) -> None:
    """Make the change, answer Slack, then show a refusal to the clicker and nobody else.

    A change that cannot be decided within the ack budget is decided after the ack."""
    click = read(Click, body, "click")
    desk = desk_of(context)
    work = change(desk, click) if click else None
    if click is None or work is None:
        await ack()
        if click is not None:
            after_ack(tell_in_words(desk, client, click, STALE), "ephemeral refusal")
        return

    async def late(refused: BaseException | None) -> None:
        if isinstance(refused, TicketError):
            await tell_in_words(desk, client, click, refused)
        elif refused is not None:
            log.error("a click on %s failed after the ack: %r", click.action.action_id, refused)
            await tell_in_words(desk, client, click, SORRY)

    try:
        await in_time(work, "a click", late)
    except TicketError as refused:
        await ack()
        after_ack(tell_in_words(desk, client, click, refused), "ephemeral refusal")
        return
    except Exception as exc:
        if not redis_unreachable(exc):
            raise
        log.error("Redis did not answer a click on %s: %s", click.action.action_id,
                  type(exc).__name__)
        await ack()
        after_ack(tell(client, click, desk.staff_words._(NOT_CHANGED)), "ephemeral notice")
        return
    await ack()


async def words_of(desk: Desk, click: Click) -> Words:
    """The words of where the click was: a client's channel speaks the client's language."""
    return await desk.words(click.channel.id if click.channel else None)


async def tell_in_words(desk: Desk, client: AsyncWebClient, click: Click,
                        said: str | TicketError) -> None:
    """``tell`` a text as written (translated here) or a refusal, in the click's words."""
    w = await words_of(desk, click)
    await tell(client, click, w.refusal(said) if isinstance(said, TicketError) else w._(said))


async def tell(client: AsyncWebClient, click: Click, text: str) -> None:
    """An ephemeral message to the clicker; from App Home (no channel), a direct message.

    Slack's 429 and 5xx are waited out for up to ``TELL_PATIENCE``; an ephemeral message
    Slack refuses for good (the app is no longer in the channel, say) goes as a direct
    message. One that cannot reach the clicker is logged with the ticket it was about."""
    user = click.user.id
    try:
        if click.channel is not None:
            channel = click.channel.id
            try:
                await retried(lambda: client.chat_postEphemeral(channel=channel, user=user,
                                                                text=text), TELL_PATIENCE)
                return
            except Undeliverable as exc:
                log.warning("%s: Slack refused the ephemeral message to %s in %s (%s): "
                            "sending it as a direct message", about(click), user, channel,
                            exc.error)
        await retried(lambda: client.chat_postMessage(channel=user, text=text), TELL_PATIENCE)
    except (Retryable, Undeliverable) as exc:
        log.error("%s: could not tell %s why their click on %s did nothing: %s", about(click),
                  user, click.action.action_id, exc)


def about(click: Click) -> str:
    """The ticket a click is about (``T-1042``), for log lines; else its action id."""
    chosen = click.action.selected_option
    for raw in (click.action.value, chosen.value if chosen else None):
        ref = value_of(TicketRef, raw)
        if ref is not None:
            return ticket_key(ref.ticket)
    return click.action.action_id


def ticket_of(click: Click) -> int | None:
    ref = value_of(TicketRef, click.action.value)
    return ref.ticket if ref else None


def claim(desk: Desk, click: Click) -> Coroutine[Any, Any, None] | None:
    number = ticket_of(click)
    return desk.tickets.claim(number, click.actor) if number else None


def reopen(desk: Desk, click: Click) -> Coroutine[Any, Any, None] | None:
    number = ticket_of(click)
    if number is None or click.channel is None:
        return None
    return desk.tickets.reopen(number, click.actor, channel=click.channel.id)


def severity(desk: Desk, click: Click) -> Coroutine[Any, Any, None] | None:
    chosen = click.action.selected_option
    choice = value_of(SeverityChoice, chosen.value if chosen else None)
    if choice is None:
        return None
    return desk.tickets.change_severity(choice.ticket, choice.severity, click.actor,
                                        channel=click.channel.id if click.channel else None)


def not_a_request(desk: Desk, click: Click) -> Coroutine[Any, Any, None] | None:
    number = ticket_of(click)
    return desk.tickets.not_a_request(number, click.actor) if number else None


def status(desk: Desk, click: Click) -> Coroutine[Any, Any, None] | None:
    number = ticket_of(click)
    try:
        new = STATUS_BUTTONS[ActionId(click.action.action_id)]
    except ValueError:
        return None
    return desk.tickets.set_status(number, new, click.actor) if number else None


def assign(desk: Desk, click: Click) -> Coroutine[Any, Any, None] | None:
    """Assign to: the ticket is named by the picker's block, the person chosen in it."""
    ref = value_of(TicketRef, click.action.block_id)
    chosen = click.action.selected_user
    if ref is None or not chosen:
        return None
    return desk.assignments.assign(ref.ticket, chosen, click.actor)


def unassign(desk: Desk, click: Click) -> Coroutine[Any, Any, None] | None:
    chosen = click.action.selected_option
    ref = value_of(TicketRef, chosen.value if chosen else None)
    return desk.assignments.unassign(ref.ticket, click.actor) if ref else None


async def assign_ticket(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                        context: AsyncBoltContext) -> None:
    await acting(ack, body, client, context, assign)


async def unassign_ticket(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                          context: AsyncBoltContext) -> None:
    await acting(ack, body, client, context, unassign)


async def claim_ticket(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                       context: AsyncBoltContext) -> None:
    await acting(ack, body, client, context, claim)


async def reopen_ticket(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                        context: AsyncBoltContext) -> None:
    await acting(ack, body, client, context, reopen)


async def change_severity(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                          context: AsyncBoltContext) -> None:
    await acting(ack, body, client, context, severity)


async def not_a_request_clicked(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                                context: AsyncBoltContext) -> None:
    await acting(ack, body, client, context, not_a_request)


async def set_status(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                     context: AsyncBoltContext) -> None:
    await acting(ack, body, client, context, status)


async def open_ticket_modal(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                            context: AsyncBoltContext) -> None:
    await ack()
    click = read(Click, body, "click")
    if click and click.trigger_id and click.channel:
        desk = desk_of(context)
        after_ack(open_prefilled(click, click.channel.id, click.trigger_id, client,
                                 desk.prefills, desk), "Open a ticket views.open")


async def open_prefilled(click: Click, channel: str, trigger_id: str,
                         client: AsyncWebClient, prefills: Prefills, desk: Desk) -> None:
    """The ticket modal, pre-filled from the message a reaction prompt was made for."""
    button = value_of(OpenTicketButton, click.action.value) or OpenTicketButton()
    # A pre-fill is a client's message: only ever opened from that client's channel.
    mine = button.prefill is not None and button.prefill.split(":", 1)[0] == channel
    kept = await prefills.prefill(button.prefill) if button.prefill and mine else None
    prefill = value_of(OpenTicketValue, kept) or OpenTicketValue()
    w = await desk.words(channel)
    await open_form(client, trigger_id, modals.ticket_modal(
        w, ModalMetadata(channel=channel, source_link=prefill.source_link), prefill),
        what=f"Open a ticket in {channel}", tell=lambda text: tell(client, click, text), w=w)


async def open_support_ticket(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                              context: AsyncBoltContext) -> None:
    await ack()
    shortcut = read(Shortcut, body, "message shortcut")
    if shortcut is not None:
        after_ack(open_from_message(shortcut, client, desk_of(context)), "shortcut views.open")


async def open_from_message(shortcut: Shortcut, client: AsyncWebClient, desk: Desk) -> None:
    """The ticket modal for the message the shortcut was used on, linking to it; without
    the link when Slack does not say the workspace's address just now (``auth.test``)."""
    channel, message = shortcut.channel.id, shortcut.message
    opened = (await desk.watcher.message_ticket(channel, message.ts)
              if desk.watcher is not None else None)
    w = await desk.words(channel)
    if opened is not None:  # the message opened a ticket: edit it, never a second one
        await open_form(client, shortcut.trigger_id, modals.edit_ticket_modal(
            w, ModalMetadata(channel=channel, ticket=opened.number), opened),
            what=f"{opened.key}: the shortcut", tell=lambda text: ephemeral(
                client, channel, shortcut.user.id, text), w=w)
        return
    try:
        link: str | None = (await desk.identity()).permalink(channel, message.ts)
    except (Retryable, Undeliverable) as exc:
        log.warning("the shortcut in %s: no link to the message (auth.test: %s)", channel, exc)
        link = None
    await open_form(client, shortcut.trigger_id, modals.ticket_modal(
        w, ModalMetadata(channel=channel, reporter=message.user, source_link=link),
        OpenTicketValue(description=as_written(message.text or ""))),
        what=f"the shortcut in {channel}",
        tell=lambda text: ephemeral(client, channel, shortcut.user.id, text), w=w)


async def open_note_modal(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                          desk: Desk, modal: Callable[[Words, TicketRef], dict[str, Any]]
                          ) -> None:
    await ack()
    click = read(Click, body, "click")
    ref = value_of(TicketRef, click.action.value) if click else None
    if click and ref and click.trigger_id:
        after_ack(open_note_form(client, click, ref, desk, modal),
                  f"{click.action.action_id} views.open")
    elif click:
        after_ack(tell_in_words(desk, client, click, STALE), "ephemeral refusal")


async def open_note_form(client: AsyncWebClient, click: Click, ref: TicketRef, desk: Desk,
                         modal: Callable[[Words, TicketRef], dict[str, Any]]) -> None:
    w = await words_of(desk, click)
    await open_form(client, click.trigger_id or "", modal(w, ref),
                    what=f"{ticket_key(ref.ticket)}: {click.action.action_id}",
                    tell=lambda text: tell(client, click, text), w=w)


async def open_resolve_modal(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                             context: AsyncBoltContext) -> None:
    await open_note_modal(ack, body, client, desk_of(context), modals.resolve_modal)


async def open_update_modal(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                            context: AsyncBoltContext) -> None:
    await open_note_modal(ack, body, client, desk_of(context), modals.update_modal)
