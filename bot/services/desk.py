"""The services bundle the handlers work with (built by ``bot.bootstrap``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.adapters.identity import Identity
from bot.adapters.store import Store
from bot.services.changes import Changes
from bot.services.channels import Channels
from bot.services.csat import Ratings
from bot.services.home import Homes
from bot.services.queries import Queries
from bot.services.reminders import Reminders
from bot.services.reports import Reports
from bot.services.staff import StaffCheck
from bot.services.sweep import Sweeper
from bot.services.tickets import Tickets


@dataclass(frozen=True)
class Desk:
    tickets: Tickets
    queries: Queries
    staff: StaffCheck
    changes: Changes
    reminders: Reminders
    sweeper: Sweeper
    store: Store
    """For the idempotency records of Slack's deliveries (event ids)."""
    identity: Callable[[], Awaitable[Identity]]
    """Who the app is (cached ``auth.test``): for permalinks."""
    tell: Callable[[str, str], Awaitable[object]]
    """A direct message to a person (user ID, text): a refusal decided after the ack."""
    homes: Homes
    reports: Reports
    ratings: Ratings
    channels: Channels
