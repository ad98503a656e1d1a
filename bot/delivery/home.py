"""App Home: the people who see a changed ticket, and each person's Home published."""

from __future__ import annotations

import logging

from bot.adapters.slack import Undeliverable
from bot.delivery.registry import REGISTRY, Run
from bot.domain.jobs import Armed, JobKind, PublishHome, RefreshHomes
from bot.services.reminders import NotDue
from bot.services.staff import Actor
from bot.slack_ui.home import home_view

log = logging.getLogger(__name__)

QUIET = 3.0
"""Seconds between two publishes of one person's Home that nobody asked for."""


@REGISTRY.handles(JobKind.REFRESH_HOMES)
async def refresh_homes(job: RefreshHomes, run: Run) -> None:
    """Publish again each Home the ticket is on or should be on (a job per person)."""
    await run.deps.store.enqueue_many([Armed(PublishHome(user=user))
                                       for user in await run.deps.homes.audience(job.ticket)])


@REGISTRY.handles(JobKind.PUBLISH_HOME)
async def publish_home(job: PublishHome, run: Run) -> None:
    """The person's Home from the queue as it is now. A refresh nobody asked for waits its
    turn (``QUIET``); changes made meanwhile are in the one publish that follows."""
    homes = run.deps.homes
    wait = await run.deps.viewers.hold(job.user, QUIET)
    if wait and not job.asked:
        raise NotDue(wait)
    home = await homes.home(Actor(job.user))
    try:
        await run.deps.slack.publish_home(job.user, home_view(home))
    except Undeliverable as refused:
        log.warning("App Home of %s refused for good (%s): no longer kept current", job.user,
                    refused.error)
        await run.deps.viewers.forget(job.user)
        raise
    await run.deps.viewers.published(job.user, home.shown)
