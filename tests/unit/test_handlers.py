"""Bolt listeners (``handlers/``) called as Bolt calls them, on the services over the
in-memory fakes and Slack in memory: what Slack is answered, what changes, and who is told
what. (Through the app over HTTP: ``tests/app``.)"""

from __future__ import annotations

from typing import Any, cast

from slack_bolt.async_app import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from bot.domain.jobs import SyncTriage
from bot.slack_ui.ids import ActionId, TicketRef
from handlers.actions import STALE, claim_ticket
from tests.support.fake_slack import FakeSlack
from tests.support.services import VENDOR, World, desk_on, open_ticket, read, with_client
from tests.support.waiting import until
from tests.support.workspace import STAFF, STAFF_2, TRIAGE


class Ack:
    """Bolt's ``ack``: counts the answers Slack got."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, *_: Any, **__: Any) -> None:
        self.calls += 1


def click(action: ActionId, value: str, user: str, channel: str = TRIAGE) -> dict[str, Any]:
    """A ``block_actions`` body as Slack sends it for a button in ``channel``."""
    return {"type": "block_actions", "user": {"id": user, "team_id": VENDOR},
            "channel": {"id": channel}, "trigger_id": "1.click",
            "actions": [{"action_id": action.value, "value": value, "type": "button"}]}


async def claim(w: World, slack: FakeSlack, value: str, user: str) -> Ack:
    """The Claim button's listener, as Bolt calls it; what Slack was answered."""
    ack = Ack()
    context = cast(AsyncBoltContext, {"desk": desk_on(w, slack)})
    await claim_ticket(cast(AsyncAck, ack), click(ActionId.CLAIM, value, user),
                       slack.client(), context)
    return ack


async def test_a_claim_is_made_before_slack_is_answered_and_tells_the_clicker_nothing(
        w: World) -> None:
    await with_client(w)
    number = await open_ticket(w)
    slack = FakeSlack()
    ack = await claim(w, slack, TicketRef(ticket=number).model_dump_json(), STAFF)
    assert ack.calls == 1
    assert (await read(w, number)).assignee == STAFF
    assert SyncTriage(ticket=number).id in w.store.job_ids(number)  # the post shows it next
    assert slack.calls == []


async def test_a_second_claim_is_refused_to_the_clicker_alone(w: World) -> None:
    await with_client(w)
    number = await open_ticket(w)
    value = TicketRef(ticket=number).model_dump_json()
    slack = FakeSlack()
    await claim(w, slack, value, STAFF)
    ack = await claim(w, slack, value, STAFF_2)
    told = await until(lambda: slack.to(TRIAGE, "chat.postEphemeral"), timeout=2)
    assert ack.calls == 1
    assert [(c.args["user"], c.args["text"]) for c in told] == [
        (STAFF_2, f"T-{number} is already claimed by <@{STAFF}>.")]
    assert (await read(w, number)).assignee == STAFF


async def test_a_refusal_slack_will_not_show_in_the_channel_reaches_the_clicker_directly(
        w: World) -> None:
    await with_client(w)
    number = await open_ticket(w)
    value = TicketRef(ticket=number).model_dump_json()
    slack = FakeSlack()
    await claim(w, slack, value, STAFF)
    slack.refuse["chat.postEphemeral"] = "channel_not_found"  # the app left the channel
    await claim(w, slack, value, STAFF_2)
    [dm] = await until(lambda: slack.to(STAFF_2), timeout=2)
    assert f"already claimed by <@{STAFF}>" in dm.args["text"]


async def test_a_button_the_desk_did_not_make_changes_nothing_and_says_so(w: World) -> None:
    await with_client(w)
    number = await open_ticket(w)
    slack = FakeSlack()
    ack = await claim(w, slack, '{"ticket": "not a number"}', STAFF)
    [told] = await until(lambda: slack.to(TRIAGE, "chat.postEphemeral"), timeout=2)
    assert ack.calls == 1 and told.args["text"] == STALE
    assert (await read(w, number)).assignee is None
