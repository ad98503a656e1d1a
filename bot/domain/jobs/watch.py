"""The jobs of watching client messages: a follow-up shown in the triage thread, a message
naming a ticket posted in its thread, and a card taken away (not a request)."""

from __future__ import annotations

from typing import Literal

from bot.domain.jobs.base import JobBase, JobKind


class FollowUpNote(JobBase):
    """A client's follow-up message that joined the ticket, shown in its triage thread."""

    kind: Literal[JobKind.FOLLOW_UP_NOTE] = JobKind.FOLLOW_UP_NOTE
    ts: str
    """The message's timestamp in the client channel."""
    by: str
    text: str

    @property
    def id(self) -> str:
        return f"follow_up:{self.ticket}:{self.ts}"


class ClientRelay(JobBase):
    """A client's message in the channel naming the ticket, posted in its thread by the
    bot with the author named."""

    kind: Literal[JobKind.CLIENT_RELAY] = JobKind.CLIENT_RELAY
    ts: str
    by: str
    text: str

    @property
    def id(self) -> str:
        return f"client_relay:{self.ticket}:{self.ts}"


class RemoveCard(JobBase):
    """The ticket's card taken out of the client thread (closed as not a request);
    ``round``: which closing it is (a ticket may be a request again, and closed again)."""

    kind: Literal[JobKind.REMOVE_CARD] = JobKind.REMOVE_CARD
    round: int

    @property
    def id(self) -> str:
        return f"remove_card:{self.ticket}:{self.round}"
