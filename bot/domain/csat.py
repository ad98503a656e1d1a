"""CSAT: "How did we do?" on the resolution message, 1 (poor) to 5 (great).

Anyone in the client channel may answer (external members too); each person has one
rating, and a second click changes it. A comment belongs to the person's rating.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.domain.text import blank
from bot.domain.tickets import Rating, Ticket, TicketError

SCORES = range(1, 6)
COMMENT_MAX = 3000
"""The longest comment taken (the modal says so; nothing is cut)."""


def rate(ticket: Ticket, user: str, score: int, now: float) -> Ticket:
    """``user``'s rating of the ticket: a first one is added, a second click changes it."""
    if score not in SCORES:
        raise TicketError("{score} is not a rating from 1 to 5", score=score)
    mine = next((r for r in ticket.ratings if r.user == user), None)
    if mine is not None and mine.score == score:
        return ticket
    if mine is None:
        return replace(ticket, ratings=(*ticket.ratings, Rating(user, score, now)))
    return replace(ticket, ratings=tuple(replace(r, score=score, at=now) if r.user == user
                                         else r for r in ticket.ratings))


def comment(ticket: Ticket, user: str, text: str, now: float) -> Ticket:
    """``user``'s comment on their rating (they must have rated first)."""
    text = text.strip()
    if blank(text):
        raise TicketError("the comment is empty")
    if len(text) > COMMENT_MAX:
        raise TicketError("a comment holds at most {most} characters", most=COMMENT_MAX)
    mine = next((r for r in ticket.ratings if r.user == user), None)
    if mine is None:
        raise TicketError("rate {key} first (1 to 5), then add a comment", key=ticket.key)
    if mine.comment == text:
        return ticket
    return replace(ticket, ratings=tuple(replace(r, comment=text, at=now) if r.user == user
                                         else r for r in ticket.ratings))


@dataclass(frozen=True)
class Score:
    """Ratings summed up: their average and how many."""

    total: int
    count: int

    @property
    def average(self) -> float | None:
        return self.total / self.count if self.count else None


def score(scores: Sequence[int]) -> Score:
    return Score(sum(scores), len(scores))


def score_of(ticket: Ticket) -> Score:
    return score([r.score for r in ticket.ratings])
