"""Assignment from the triage post (Assign to, Unassign), over signed requests: the ticket
is the assignee's, they get a DM, the client thread says so once, the history keeps who
assigned whom, App Home follows, the webhook hears ``assigned``; no page is acknowledged
and the clock runs on."""

from __future__ import annotations

import pytest

from bot.domain.tickets import Status
from tests.support.desk import RunningApp, advance, drained, register_client, ticket
from tests.support.flows import (
    buttons,
    choose,
    client_thread,
    home_text,
    open_ticket,
    text_of,
    triage_post,
)
from tests.support.hooks_standin import WEBHOOK_SECRET, PagerDuty, Receiver
from tests.support.reporting import answered, csv_in_thread, dm_of, modal_text
from tests.support.workspace import CLIENT_CHANNEL, CLIENT_USER, STAFF, STAFF_2, TRIAGE


@pytest.fixture
def settings_extra(pagerduty: PagerDuty, receiver: Receiver) -> dict[str, object]:
    return {"pagerduty_routing_key": "R0UTINGKEY0123456789", "pagerduty_url": pagerduty.url,
            "webhook_url": receiver.url, "webhook_secret": WEBHOOK_SECRET}


def looking_after(app: RunningApp, thread_ts: str) -> list[str]:
    return [m.text for m in app.slack.posts(CLIENT_CHANNEL, thread_ts)
            if "is now looking after" in m.text]


def mine(app: RunningApp, user: str) -> str:
    """*My tickets* on ``user``'s App Home."""
    home = app.slack.homes.get(user)
    return home_text(home).split("Unassigned")[0] if home else ""


async def test_assign_to_gives_the_ticket_and_tells_everyone_once(
        app: RunningApp, pagerduty: PagerDuty, receiver: Receiver) -> None:
    await register_client(app.runtime)
    number = await open_ticket(app, "Payments down", "Critical", "Every checkout fails.")
    post = await triage_post(app, number)
    card = await client_thread(app, number)
    await drained(app.runtime)
    updates = post.updates
    status, _ = await choose(app, post, "assign_ticket", user=STAFF, selected_user=STAFF_2)
    assert status == 200
    await drained(app.runtime)
    assert post.updates > updates and f"Claimed by <@{STAFF_2}>" in text_of(post)
    dm = app.slack.calls_to("chat.postMessage", channel=STAFF_2)
    assert len(dm) == 1 and f"T-{number}" in dm[0].args["text"]
    assert f"<@{STAFF}>" in dm[0].args["text"]
    assert looking_after(app, card.ts) == [
        f"<@{STAFF_2}> from support is now looking after T-{number}."]
    stored = await ticket(app.runtime, number)
    assert stored.status is Status.CLAIMED and stored.assignee == STAFF_2
    assert [(a.by, a.to) for a in stored.assignments] == [(STAFF, STAFF_2)]
    assert stored.first_response_at is None  # not a response: the clock runs on
    assert [e["event"] for e in receiver.events] == ["opened", "assigned"]
    assert receiver.events[1]["data"]["to"] == STAFF_2
    assert [e["event_action"] for e in pagerduty.events] == ["trigger"]  # nothing acknowledged
    # The same choice again changes nothing and tells nobody again.
    await choose(app, post, "assign_ticket", user=STAFF, selected_user=STAFF_2)
    await drained(app.runtime)
    assert len(looking_after(app, card.ts)) == 1
    assert len(app.slack.calls_to("chat.postMessage", channel=STAFF_2)) == 1
    # The assignee's own Claim is what acknowledges the page.
    assert "Claim" in buttons(post)
    await app.client.click(buttons(post)["Claim"]["action_id"], buttons(post)["Claim"]["value"],
                           user=STAFF_2, channel=TRIAGE, message_ts=post.ts)
    await drained(app.runtime)
    assert [e["event_action"] for e in pagerduty.events] == ["trigger", "acknowledge"]
    assert len(looking_after(app, card.ts)) == 1


async def test_reassigning_moves_the_ticket_and_the_home_follows(app: RunningApp) -> None:
    number = await open_ticket(app)
    post = await triage_post(app, number)
    card = await client_thread(app, number)
    await app.client.event({"type": "app_home_opened", "user": STAFF, "tab": "home"},
                           event_id="Ev0HOME0001")
    await choose(app, post, "assign_ticket", user=STAFF_2, selected_user=STAFF)
    await drained(app.runtime)
    await app.slack.wait_for(lambda: f"T-{number}" in mine(app, STAFF))
    await choose(app, post, "assign_ticket", user=STAFF, selected_user=STAFF_2)
    await drained(app.runtime)
    assert (await ticket(app.runtime, number)).assignee == STAFF_2
    assert looking_after(app, card.ts)[-1].startswith(f"<@{STAFF_2}>")
    assert len(looking_after(app, card.ts)) == 2
    # (App Home is published at most once every 3 seconds per person.)
    await app.slack.wait_for(lambda: f"T-{number}" not in mine(app, STAFF))
    # Unassign, in the post's menu: open again, Claim offered.
    await choose(app, post, "unassign_ticket", user=STAFF, option="Unassign")
    await drained(app.runtime)
    stored = await ticket(app.runtime, number)
    assert stored.assignee is None and stored.status is Status.OPEN
    assert "Claim" in buttons(post)
    assert [(a.by, a.to) for a in stored.assignments][-1] == (STAFF, None)


@pytest.mark.parametrize("who", [CLIENT_USER])
async def test_only_staff_assign_and_only_to_staff(app: RunningApp, who: str) -> None:
    number = await open_ticket(app)
    post = await triage_post(app, number)
    await choose(app, post, "assign_ticket", user=STAFF, selected_user=who)
    refusal = await app.slack.wait_for(lambda: app.slack.calls_to("chat.postEphemeral"))
    assert "only the support team can hold them" in refusal[0].args["text"]
    assert (await ticket(app.runtime, number)).assignee is None


async def test_the_report_has_a_table_and_a_csv_by_assignee(app: RunningApp) -> None:
    await register_client(app.runtime, name="Acme")
    # Given to STAFF_2 and answered 10 min after it opened (by someone else: it counts
    # for whoever held it then), then passed on to STAFF: it stays STAFF_2's.
    first = await open_ticket(app, "Uploads fail")
    post = await triage_post(app, first)
    await choose(app, post, "assign_ticket", user=STAFF, selected_user=STAFF_2)
    await drained(app.runtime)
    await advance(app.runtime, 600)
    await modal_text(app, post, "Post update to client", "Update", "Looking into it.")
    await choose(app, post, "assign_ticket", user=STAFF, selected_user=STAFF)
    # Claimed by STAFF and answered after 20 min; and one nobody holds, unanswered.
    await answered(app, CLIENT_CHANNEL, "High", after=1200)
    await open_ticket(app, "Nobody took this")
    await drained(app.runtime)
    await app.client.command("/ticket", "report", user=STAFF, channel=TRIAGE)
    report = (await app.slack.wait_for(lambda: dm_of(app.slack, STAFF, "asked:")))[0]
    table = await csv_in_thread(app.slack, report, by_assignee=True)
    assert [(r["assignee"], r["tickets"]) for r in table] == [
        (STAFF, "1"), (STAFF_2, "1"), ("unassigned", "1")]
    assert 1200 <= float(table[0]["first response p50 (s)"]) <= 1205
    assert 600 <= float(table[1]["first response p90 (s)"]) <= 605
    assert table[2]["first response p50 (s)"] == "" and table[2]["breaches"] == "0"
    assert f"<@{STAFF_2}>: tickets 1" in text_of(report)
    assert len(await csv_in_thread(app.slack, report)) == 2  # the clients' CSV too
