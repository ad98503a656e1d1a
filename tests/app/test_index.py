"""The indices of open tickets: the sweep indexes tickets from before the indices."""

from __future__ import annotations

from tests.support.desk import RunningApp
from tests.support.tickets import draft


async def test_the_sweep_indexes_tickets_from_before_the_indices(app: RunningApp) -> None:
    store, index = app.runtime.store, app.runtime.desk.queries.index
    saved, _ = await store.create(draft(), once=None, once_ttl=60, jobs=[], timers=[])
    assert await index.most_urgent(5) == ([], 0)
    await app.runtime.worker.sweeper.sweep()
    assert await index.most_urgent(5) == ([saved.ticket.number], 1)
