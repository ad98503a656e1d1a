"""Who the app is in Slack (from ``auth.test``), and the links it makes from that."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Identity:
    """Who the app is, from ``auth.test``."""

    team_id: str
    bot_user_id: str
    url: str
    enterprise_id: str | None = None

    def permalink(self, channel: str, ts: str, thread_ts: str | None = None) -> str:
        link = f"{self.url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"
        return f"{link}?thread_ts={thread_ts}&cid={channel}" if thread_ts else link
