"""The App Home tab: published when opened, its sections paged. (Its **Claim** buttons are
the triage post's: ``actions.claim_ticket``.)"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from bot.services.staff import Actor
from bot.slack_ui.ids import ActionId, HomePage
from handlers.desk import desk_of
from handlers.payloads import Click, read, value_of

HOME_TAB = "home"
"""``app_home_opened`` comes for the Messages tab too (``tab: messages``)."""


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(home_opened)
    app.action(ActionId.HOME_PAGE_BACK)(turn_page)
    app.action(ActionId.HOME_PAGE_ON)(turn_page)


async def home_opened(event: dict[str, Any], context: AsyncBoltContext) -> None:
    user = event.get("user")
    if isinstance(user, str) and user and event.get("tab") == HOME_TAB:
        await desk_of(context).homes.opened(Actor(user))


async def turn_page(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    click = read(Click, body, "click")
    page = value_of(HomePage, click.action.value) if click else None
    if click and page:
        await desk_of(context).homes.turn_page(click.actor, page.section, page.page)
