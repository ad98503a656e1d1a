"""App Home: the people who see a changed ticket, and each person's Home published."""

from __future__ import annotations

import logging
from functools import partial

from bot.adapters.home_viewers import RedisHomeViewers
from bot.adapters.slack import Undeliverable
from bot.delivery.job_run import Run, staff_words
from bot.delivery.registry import Handlers
from bot.domain.jobs import Armed, JobKind, PublishHome, RefreshHomes
from bot.services.home import Homes
from bot.services.reminders import NotDue
from bot.services.staff import Actor
from bot.slack_ui.home import home_view

log = logging.getLogger(__name__)

QUIET = 3.0
"""Seconds between two publishes of one person's Home that nobody asked for."""


async def refresh_homes(homes: Homes, job: RefreshHomes, run: Run) -> None:
    """Publish again each Home the ticket is on or should be on (a job per person)."""
    await run.deps.store.enqueue_many([Armed(PublishHome(user=user))
                                       for user in await homes.audience(job.ticket)])


async def publish_home(homes: Homes, viewers: RedisHomeViewers, job: PublishHome, run: Run
                       ) -> None:
    """The person's Home from the queue as it is now. A refresh nobody asked for waits its
    turn (``QUIET``); changes made meanwhile are in the one publish that follows."""
    wait = await viewers.hold(job.user, QUIET)
    if wait and not job.asked:
        raise NotDue(wait)
    home = await homes.home(Actor(job.user))
    try:
        await run.deps.slack.publish_home(job.user, home_view(staff_words(run), home))
    except Undeliverable as refused:
        log.warning("App Home of %s refused for good (%s): no longer kept current", job.user,
                    refused.error)
        await viewers.forget(job.user)
        raise
    await viewers.published(job.user, home.shown)


def handlers(homes: Homes, viewers: RedisHomeViewers) -> Handlers:
    """App Home's handlers by job kind: who sees a ticket and each Home, from ``homes``;
    who looks at App Home, and when one's Home was last published, in ``viewers``."""
    return {JobKind.REFRESH_HOMES: partial(refresh_homes, homes),
            JobKind.PUBLISH_HOME: partial(publish_home, homes, viewers)}
