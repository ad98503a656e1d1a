"""Which ticket events go to which sink: every event to the webhook, when one is set; to
the pager, a Critical ticket's opening, any breach and an escalation step that names the
pager (triggers), its claim or its assignee's first answer (acknowledge) and its
resolution (resolve). An assignment acknowledges nothing: the assignee has not seen it."""

from __future__ import annotations

from bot.domain.jobs import Armed, Sink, TicketEvent
from bot.domain.tickets import Severity, Ticket

PAGER_ACTIONS = {"opened": "trigger", "breach": "trigger", "warning": "trigger",
                 "escalation": "trigger", "claimed": "acknowledge", "acknowledged": "acknowledge",
                 "resolved": "resolve"}
"""Events the pager hears of, and the PagerDuty action each one is."""


class Sinks:
    """The sinks set up (a webhook, a pager), and which of a ticket's events each hears."""

    def __init__(self, *, webhook: bool, pager: bool) -> None:
        self.webhook = webhook
        self.pager = pager

    def __call__(self, ticket: Ticket, event: str, at: float, *, page: bool = False,
                 **data: str | int | float | bool | None) -> list[Armed]:
        """The event as armed with the change that makes it (nothing without a sink).

        ``page``: an escalation step asks for on-call (a warning is paged only so)."""
        sinks = []
        if self.webhook:
            sinks.append(Sink.WEBHOOK)
        pages = {"opened": ticket.severity is Severity.CRITICAL, "warning": page,
                 "escalation": page}
        if self.pager and event in PAGER_ACTIONS and pages.get(event, True):
            sinks.append(Sink.PAGER)
        if not sinks:
            return []
        return [Armed(TicketEvent(ticket=ticket.number, event=event, at=at, sinks=tuple(sinks),
                                  data={"severity": ticket.severity.value,
                                        "status": ticket.status.value, **data}))]
