"""The SLA report as a message: a line per client (and per severity), all clients last,
the CSV beside it; and a refusal of ``/ticket report`` as the person reads it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from bot.domain.assignee_reports import ASSIGNEE_COLUMNS, UNASSIGNED
from bot.domain.reports import ALL, COLUMNS, Column, Row, Value
from bot.domain.tickets import Severity, TicketError
from bot.slack_ui.ids import SECTION_MAX
from bot.slack_ui.messages import refusal_text
from bot.slack_ui.text import escape, packed, slack_len
from bot.slack_ui.words import Words

SUMMARY_LINES = 40
"""Rows shown in the message, all clients' included; the CSV has them all (the message
says how many more)."""
HEADER_MAX = 150
"""A header's text, counted as ``bot.slack_ui.ids`` says."""


def _shown(w: Words, column: Column, value: Value) -> str:
    if value is None:
        return "–"
    if column.duration:
        return w.duration(float(value))
    if column.share:
        return w.percent(float(value))
    if isinstance(value, float):
        return w.number(value)
    return str(value)


def column_name(w: Words, column: Column) -> str:
    if column.template:
        return w._(column.template, clock=w._(column.clock), p=column.p)
    return w._(column.name)


def row_line(w: Words, row: Row, cols: Sequence[Column] = COLUMNS) -> str:
    who = (f"*{escape(row.client)}*" if row.severity == ALL
           else f"    {w.severity(Severity(row.severity))}")
    figures = " · ".join(f"{column_name(w, c)} {_shown(w, c, v)}"
                         for c, v in zip(cols, row.values, strict=True))
    return f"{who}: {figures}"


def assignee_line(w: Words, row: Row) -> str:
    who = w._("Nobody") if row.client == UNASSIGNED else f"<@{row.client}>"
    figures = " · ".join(f"{column_name(w, c)} {_shown(w, c, v)}" for c, v in zip(
        ASSIGNEE_COLUMNS, row.values, strict=True))
    return f"{who}: {figures}"


def report_message(w: Words, title: str, rows: Sequence[Row], tickets: int,
                   assignees: Sequence[Row] = ()) -> tuple[str, list[dict[str, Any]]]:
    """The summary: a client's line over all its severities, then one per severity; all
    clients' line last, kept when the rest is cut; then a line per assignee."""
    text = w.ngettext("{title}: {n} ticket opened", "{title}: {n} tickets opened", tickets,
                      title=escape(title))
    if not rows:
        return text, [SectionBlock(text=MarkdownTextObject(
            text=f"*{escape(title)}*\n" + w._("No tickets were opened in this period.")
        )).to_dict()]
    last = [r for r in rows if r.everyone]
    ordered = sorted((r for r in rows if not r.everyone),
                     key=lambda r: (r.client.lower(), r.client, r.severity != ALL))
    room = SUMMARY_LINES - len(last)
    lines = [row_line(w, r) for r in ordered[:room]]
    if len(ordered) > room:
        lines.append(w.ngettext("…and {n} more row in the CSV.", "…and {n} more rows in the CSV.",
                                len(ordered) - room))
    lines += [row_line(w, r) for r in last]
    heading = (HeaderBlock(text=title) if slack_len(title) <= HEADER_MAX  # else whole, bold
               else SectionBlock(text=MarkdownTextObject(text=f"*{escape(title)}*")))
    blocks: list[dict[str, Any]] = [heading.to_dict()]
    blocks += [SectionBlock(text=MarkdownTextObject(text=piece)).to_dict()
               for piece in packed(lines, SECTION_MAX)]
    if assignees:
        per = [w._("*By assignee* (who held the ticket at its first response, else its "
                   "assignee):"), *(assignee_line(w, r) for r in assignees[:SUMMARY_LINES])]
        if len(assignees) > SUMMARY_LINES:
            per.append(w.ngettext("…and {n} more in the CSV.", "…and {n} more in the CSV.",
                                  len(assignees) - SUMMARY_LINES))
        blocks += [SectionBlock(text=MarkdownTextObject(text=piece)).to_dict()
                   for piece in packed(per, SECTION_MAX)]
    blocks.append(ContextBlock(elements=[MarkdownTextObject(
        text=w._("Tickets opened in the period, resolved or not. A first response still to "
                 "come is pending until its deadline, breached after; met % = met / (met + "
                 "breached). Durations in business time where the plan has business "
                 "hours; percentiles by nearest rank. The CSV follows in the thread."))]
        ).to_dict())
    return text, blocks


def report_refusal(w: Words, refusal: TicketError) -> str:
    """Why a report was refused, escaped: it may quote what was typed and clients' names."""
    return escape(refusal_text(w, refusal))
