"""Logging: ``text`` (the default) or ``json`` (one JSON object a line, python-json-logger),
with the ticket number, job kind and Slack method where a line has one."""

from __future__ import annotations

import logging
import re
import sys

from pythonjsonlogger.json import JsonFormatter

TICKET = re.compile(r"\bT-\d{1,12}\b")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class DeskJsonFormatter(JsonFormatter):
    """JSON lines; a ticket number named in the message is a field of its own too."""

    def add_fields(self, log_data: dict[str, object], record: logging.LogRecord,
                   message_dict: dict[str, object]) -> None:
        super().add_fields(log_data, record, message_dict)
        log_data.setdefault("level", record.levelname)
        found = TICKET.search(record.getMessage())
        if found and "ticket" not in log_data:
            log_data["ticket"] = found.group(0)


def configure(log_format: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(DeskJsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}))
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
