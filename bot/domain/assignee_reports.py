"""Reports per assignee: tickets, first response p50 and p90, breaches, for each person a
ticket counts for (who held it at its first response, else its assignee). Pure."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from bot.domain.reports import (
    ALL,
    REPORTED,
    Column,
    Outcome,
    Reported,
    Row,
    Tally,
    columns,
    csv_cell,
)
from bot.domain.sla import SlaClock

UNASSIGNED = "unassigned"
"""The row of the tickets nobody held."""
ASSIGNEE_COLUMNS: list[Column] = [
    c for c in columns(tuple(Reported(r.clock, r.label, (50, 90)) for r in REPORTED
                             if r.clock is SlaClock.INITIAL))
    if c.name in ("tickets", "breaches") or c.duration]


class ByAssignee:
    """Tallies outcomes per assignee as they go by (a report reads its outcomes once)."""

    def __init__(self) -> None:
        self.tallies: dict[str, Tally] = {}

    def watching(self, outcomes: Iterable[Outcome]) -> Iterator[Outcome]:
        """``outcomes``, each counted for its holder on its way (one closed as not a request
        counts for nobody)."""
        for o in outcomes:
            if o.not_request:
                yield o
                continue
            key = o.holder or UNASSIGNED
            tally = self.tallies.get(key)
            if tally is None:
                tally = self.tallies[key] = Tally()
            tally.add(o)
            yield o

    def rows(self, cols: Sequence[Column] = ASSIGNEE_COLUMNS) -> list[Row]:
        """A row per assignee by user ID, the tickets nobody held last."""
        order = sorted(k for k in self.tallies if k != UNASSIGNED)
        order += [UNASSIGNED] if UNASSIGNED in self.tallies else []
        return [Row(k, ALL, tuple(c.value(self.tallies[k]) for c in cols)) for k in order]


def assignee_csv(rows: Sequence[Row], cols: Sequence[Column] = ASSIGNEE_COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["assignee", *(f"{c.name} (s)" if c.duration else c.name for c in cols)])
    for r in rows:
        writer.writerow([r.client, *(csv_cell(v) for v in r.values)])
    return out.getvalue()
