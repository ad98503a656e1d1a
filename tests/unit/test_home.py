"""App Home's view: a page of full sections stays within Slack's 100 blocks."""

from __future__ import annotations

from bot.domain.home import PAGE, Home, Part, Section
from bot.domain.home import HomeRow as Row
from bot.domain.tickets import Severity, Ticket
from bot.domain.urgency import Urgency
from bot.sandbox.limits import VIEW_BLOCKS
from bot.slack_ui.home import home_view
from bot.slack_ui.words import words_for
from tests.support.flows import home_text
from tests.support.workspace import CLIENT_CHANNEL, CLIENT_USER, STAFF


def test_a_home_of_full_sections_on_a_middle_page_stays_within_100_blocks() -> None:
    now = 1_700_000_000.0
    rows = [Row(Ticket(number=1001 + i, channel=CLIENT_CHANNEL, reporter=CLIENT_USER,
                       title="<!channel> " + "x" * 140, description="d",
                       severity=Severity.HIGH, created_at=now), None, Urgency(now - 60, now))
            for i in range(PAGE)]
    view = home_view(words_for("en"),
                     Home(STAFF, True, [Part(s, rows, 1000, 3) for s in Section], now))
    assert len(view["blocks"]) <= VIEW_BLOCKS
    assert "&lt;!channel&gt;" in home_text(view) and "<!channel>" not in home_text(view)
    assert home_text(view).count("Showing 31–40 of 1000 · 960 more, less urgent") == 5
