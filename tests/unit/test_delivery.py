"""Effect handlers (``bot/delivery``) run as a worker runs a job, on the services over the
in-memory fakes and Slack in memory: each message goes out once, is marked done, and says
what is true when it goes. (With a worker over Redis and the stand-in: ``tests/app``.)"""

from __future__ import annotations

import pytest

from bot.adapters.slack import Retryable, Undeliverable
from bot.delivery.posts import post_triage, sync_triage
from bot.delivery.reminders import reminder_dm
from bot.domain.jobs import PostTriage, ReminderDM, SyncTriage
from bot.domain.sla import Step
from bot.services.staff import Actor
from tests.support.fake_slack import FakeSlack
from tests.support.services import World, open_ticket, read, run_on, with_client
from tests.support.workspace import AM, STAFF, TRIAGE


async def warning_to_am(w: World) -> tuple[int, ReminderDM]:
    """A Critical ticket of Acme's whose warning fired: the DM job to its account manager."""
    await with_client(w, manager=AM)
    number = await open_ticket(w)
    timer = w.store.timer(number, Step.WARNING)
    due = w.store.due(timer.id)
    assert due is not None
    w.clock.set(due)
    fired = await w.reminders.fire(timer, due)
    assert fired is not None
    [dm] = [j for j in fired.jobs if isinstance(j, ReminderDM) and j.user == AM]
    return number, dm


async def test_a_warning_dm_goes_to_the_account_manager_once(w: World) -> None:
    number, job = await warning_to_am(w)
    slack = FakeSlack()
    await reminder_dm(job, run_on(w, slack))
    [dm] = slack.to(AM)
    assert f"T-{number}" in dm.args["text"] and "No response yet" in dm.args["text"]
    assert job.id in (await read(w, number)).sent
    await reminder_dm(job, run_on(w, slack, again=True))  # the same job, run once more
    assert len(slack.to(AM)) == 1


async def test_a_dm_slack_took_before_the_worker_died_is_not_sent_twice(w: World) -> None:
    number, job = await warning_to_am(w)
    slack = FakeSlack()
    slack.lost.add("chat.postMessage")  # Slack has it; its answer never comes back
    with pytest.raises(Retryable):
        await reminder_dm(job, run_on(w, slack))
    assert job.id not in (await read(w, number)).sent
    slack.lost.clear()
    await reminder_dm(job, run_on(w, slack, again=True))  # another worker takes it over
    assert len(slack.to(AM)) == 1
    assert job.id in (await read(w, number)).sent


async def test_a_warning_about_a_ticket_resolved_meanwhile_is_not_sent(w: World) -> None:
    number, job = await warning_to_am(w)
    await w.tickets.resolve(number, "Fixed the player.", Actor(STAFF))
    slack = FakeSlack()
    await reminder_dm(job, run_on(w, slack))
    assert slack.to(AM) == []


async def test_the_triage_post_shows_who_claimed_the_ticket(w: World) -> None:
    await with_client(w)
    number = await open_ticket(w)
    slack = FakeSlack()
    await post_triage(PostTriage(ticket=number), run_on(w, slack))
    [post] = slack.posts
    assert post.channel == TRIAGE and "Claim" in str(post.blocks)
    await w.tickets.claim(number, Actor(STAFF))
    await sync_triage(SyncTriage(ticket=number), run_on(w, slack))
    assert [c.args["ts"] for c in slack.to(TRIAGE, "chat.update")] == [post.ts]
    assert f"by <@{STAFF}>" in str(post.blocks) and '"Claim"' not in str(post.blocks)


async def test_a_triage_post_slack_refuses_for_good_fails_for_good_and_is_not_recorded(
        w: World) -> None:
    await with_client(w)
    number = await open_ticket(w)
    slack = FakeSlack()
    slack.refuse["chat.postMessage"] = "channel_not_found"  # the app is not in triage
    with pytest.raises(Undeliverable, match="channel_not_found"):  # dead-lettered, and shown
        await post_triage(PostTriage(ticket=number), run_on(w, slack))
    assert (await read(w, number)).triage_ts is None
