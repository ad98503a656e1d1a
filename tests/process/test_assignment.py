"""Automatic assignment with the workers as processes: tickets opened at once, assigned by
two worker processes at the same time, go in turn: no two take the same turn."""

from __future__ import annotations

from collections import Counter

from bot.bootstrap import open_runtime
from bot.domain.tickets import Severity
from bot.sandbox.standin import SlackStandIn
from bot.services.staff import Actor
from bot.services.tickets import NewTicket
from tests.support.cli import bot_env
from tests.support.desk import register_client, settings_for, ticket
from tests.support.processes import bot_processes
from tests.support.waiting import until
from tests.support.workspace import CLIENT_CHANNEL, STAFF, STAFF_2

TEAM = {"assignment": "round-robin", "support_team": f"{STAFF},{STAFF_2}"}
TICKETS = 30


async def test_two_workers_assigning_at_once_never_take_the_same_turn(
        slack: SlackStandIn, redis_url: str) -> None:
    async with open_runtime(settings_for(slack, redis_url, intake_limit=1000, **TEAM),
                            redis_url) as desk:
        await register_client(desk, name="Acme")
        numbers = [(await desk.desk.tickets.open(NewTicket(
            channel=CLIENT_CHANNEL, reporter=STAFF, title="Down", severity=Severity.HIGH,
            description="All of it.", once=f"test:{i}"), Actor(STAFF))).ticket.number
            for i in range(TICKETS)]
        env = bot_env(slack, redis_url, ASSIGNMENT="round-robin",
                      SUPPORT_TEAM=f"{STAFF},{STAFF_2}")
        async with bot_processes(2, "worker", env=env):
            async def holders() -> list[str | None] | None:
                found = [(await ticket(desk, n)).assignee for n in numbers]
                return found if None not in found else None

            assigned = await until(holders, timeout=60)
        assert Counter(assigned) == {STAFF: TICKETS // 2, STAFF_2: TICKETS // 2}
        for n in numbers:
            assert len((await ticket(desk, n)).assignments) == 1
