"""A ticket written as its Redis hash and read back is the same ticket."""

from __future__ import annotations

from dataclasses import fields, replace

from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.codec import decode_ticket, encode_ticket
from bot.domain.tickets import Ticket
from tests.support.strategies.rendered import tickets

TIMES = st.none() | st.floats(1.6e9, 1.9e9)
TS = st.none() | st.just("1700000000.000100")


@given(tickets(heavy=False), TIMES, TIMES, TIMES, TS, TS, TS,
       st.frozensets(st.sampled_from(["client_thread:1", "warning:7", "failed:x"])))
def test_a_ticket_read_back_is_the_ticket_written(
        ticket: Ticket, claimed: float | None, updated: float | None,
        awaiting: float | None, triage: str | None, staff: str | None,
        awaiting_ts: str | None, done: frozenset[str]) -> None:
    ticket = replace(ticket, claimed_at=claimed, last_update_at=updated,
                     awaiting_since=awaiting, triage_ts=triage, staff_ts=staff,
                     awaiting_ts=awaiting_ts, sent=done)
    values, _ = encode_ticket(ticket)
    read = decode_ticket({**values, "version": "4", "swept": "4:1:ab:"}, set(done))
    assert read == ticket
    assert sorted(vars(read)) == sorted(f.name for f in fields(Ticket))
