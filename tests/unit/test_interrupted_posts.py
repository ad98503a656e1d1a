"""Which replies are a ticket's response, on the services over the in-memory fakes: only a
reply under the card of the thread's own ticket, as Slack says which card a message is.
(Posts interrupted on their way: ``tests/app``, ``tests/process``.)"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.identity import Identity
from bot.services.staff import Actor
from tests.support.services import (
    BOT,
    CLIENT,
    OTHER_CLIENT,
    VENDOR,
    make_world,
    open_ticket,
    read,
)
from tests.support.workspace import STAFF


@dataclass
class SlackCards:
    """Slack's copy of the desk's cards, as the services ask of it: which ticket's card a
    message is (channel, ts -> ticket key)."""

    cards: dict[tuple[str, str], str] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    async def identity(self) -> Identity:
        return Identity(VENDOR, BOT, "https://vendor.slack.com/")

    async def card_at(self, channel: str, ts: str) -> str | None:
        self.asked.append(ts)
        return self.cards.get((channel, ts))


async def test_only_a_card_of_the_threads_own_ticket_makes_a_reply_its_response() -> None:
    w, slack = make_world(), SlackCards()
    w.tickets.cards = slack
    n = await open_ticket(w)
    elsewhere = await open_ticket(w, channel=OTHER_CLIENT)
    slack.cards = {(CLIENT, "1.000001"): f"T-{n}", (CLIENT, "1.000002"): f"T-{elsewhere}"}

    async def reply(thread: str, parent: str | None = BOT) -> bool:
        return await w.tickets.record_reply(channel=CLIENT, thread_ts=thread,
                                            ts="1.000009", actor=Actor(STAFF), parent=parent)

    assert not await reply("1.000001", parent=STAFF)  # under a person's message: no card
    assert slack.asked == []
    assert not await reply("1.000002")  # the card of a ticket of another channel
    assert not await reply("1.000003")  # a message of the app's that is no card
    assert (await read(w, n)).first_response_at is None
    assert await reply("1.000001", parent=None)  # (Slack did not say who started it)
    assert (await read(w, n)).client_ts == "1.000001"
    assert await w.store.ticket_for_thread(CLIENT, "1.000001") == n
