"""What the desk says, in a language: a ``Words`` is handed to every render function.

A ``Words`` reads one gettext catalog (``bot/locale/<language>/LC_MESSAGES/desk.po``),
compiled with Babel when it is first needed; English is the texts as written. It also
formats durations, numbers and percentages for its language, and names severities,
statuses and clocks. Which language a surface speaks is its caller's choice: the
client's language for what the client reads, ``LANGUAGE`` for staff surfaces.
"""

from __future__ import annotations

import functools
import gettext
import io
import logging
import re
from datetime import datetime, timedelta
from typing import Final, Literal
from zoneinfo import ZoneInfo

from babel.core import Locale
from babel.dates import format_date, format_time, format_timedelta, get_day_names
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

from bot.config.languages import DOMAIN, SOURCE, available, catalog_path
from bot.domain.calendar import Calendar
from bot.domain.sla import SlaClock
from bot.domain.text import N_
from bot.domain.tickets import AlreadyClaimed, Severity, Status, TicketError
from bot.slack_ui.text import humanize

log = logging.getLogger(__name__)

Unit = Literal["day", "hour", "minute", "second"]

SEVERITIES: Final = {Severity.CRITICAL: N_("Critical"), Severity.HIGH: N_("High"),
                     Severity.MEDIUM: N_("Medium"), Severity.LOW: N_("Low")}
STATUSES: Final = {Status.OPEN: N_("Open"), Status.CLAIMED: N_("Claimed"),
                   Status.WAITING_ON_CLIENT: N_("Waiting on client"),
                   Status.WITH_ENGINEERING: N_("With engineering"),
                   Status.RESOLVED: N_("Resolved")}
CLOCKS: Final = {SlaClock.INITIAL: N_("first response"), SlaClock.NEXT: N_("next response"),
                 SlaClock.UPDATE: N_("update"), SlaClock.RESOLUTION: N_("resolution")}


LAST_DAYS: Final = re.compile(r"^last (\d+) days?$")
"""The label of a report over a number of days (``bot.domain.periods``)."""


class Words:
    """The desk's texts and formats in one language."""

    def __init__(self, language: str, translations: gettext.NullTranslations) -> None:
        self.language = language
        self._translations = translations
        self._locale = Locale.parse(language)

    def _(self, message: str, /, **params: object) -> str:
        """``message`` in this language, its ``{name}`` fields filled from ``params``."""
        said = self._translations.gettext(message)
        return said.format(**params) if params else said

    def ngettext(self, singular: str, plural: str, n: int, /, **params: object) -> str:
        """The form for ``n`` of ``singular``/``plural``; ``{n}`` and ``params`` filled."""
        return self._translations.ngettext(singular, plural, n).format(n=n, **params)

    def severity(self, severity: Severity) -> str:
        return self._(SEVERITIES[severity])

    def meaning(self, severity: Severity) -> str:
        return self._(severity.meaning)

    def status(self, status: Status) -> str:
        return self._(STATUSES[status])

    def clock(self, clock: SlaClock) -> str:
        return self._(CLOCKS[clock])

    def hours(self, calendar: Calendar) -> str:
        """Business hours as people read them, the days named in this language."""
        if self.language == SOURCE:
            return calendar.describe()
        names = get_day_names("abbreviated", locale=self._locale)
        return calendar.describe([names[day] for day in range(7)])

    def date(self, epoch: float) -> str:
        """A time every reader sees in their own timezone, as a Slack date token; the
        fallback (for clients that cannot show it) in UTC, written in this language."""
        at = self._("{date} at {time}", date="{date_short_pretty}", time="{time}")
        return f"<!date^{int(epoch)}^{at}|{self.written(epoch)}>"

    def written(self, epoch: float, timezone: str = "UTC") -> str:
        """A date and time written out in this language, in ``timezone``, with the offset
        (English keeps ``2026-03-02 10:00 UTC``)."""
        zone = ZoneInfo(timezone)
        when = datetime.fromtimestamp(epoch, zone)
        if self.language == SOURCE and timezone == "UTC":
            return when.strftime("%Y-%m-%d %H:%M UTC")
        written = (format_date(when, "medium", locale=self._locale) + ", "
                   + format_time(when, "short", tzinfo=zone, locale=self._locale))
        return written + (" " + when.strftime("%z") if timezone != "UTC" else " UTC")

    def duration(self, seconds: float) -> str:
        """A duration as people say it, in at most two units: ``1 ora``, ``4 ore 5 minuti``
        (English keeps its short form: ``1 h 5 min``)."""
        if self.language == SOURCE:
            return humanize(seconds)
        seconds = max(0, round(seconds))
        days, rest = divmod(seconds, 86_400)
        hours, rest = divmod(rest, 3600)
        minutes, secs = divmod(rest, 60)
        units: list[tuple[int, Unit]] = [(days, "day"), (hours, "hour"), (minutes, "minute"),
                                         (secs, "second")]
        first = next((i for i, (count, _) in enumerate(units) if count), len(units) - 1)
        shown = [u for u in units[first:first + 2] if u[0]] or [units[-1]]
        return " ".join(self._unit(count, unit) for count, unit in shown)

    def _unit(self, count: int, unit: Unit) -> str:
        span = timedelta(**{unit + "s": count})
        return format_timedelta(span, granularity=unit, threshold=1e9, locale=self._locale)

    def number(self, value: float) -> str:
        """A figure with at most one decimal."""
        return format_decimal(round(value, 1), format="#,##0.#", locale=self._locale)

    def percent(self, value: float) -> str:
        """A share given in percent (``92.5``) as the language writes it."""
        if self.language == SOURCE:
            return f"{self.number(value)} %"
        return format_percent(value / 100, format="#,##0.#%", locale=self._locale)

    def period(self, label: str) -> str:
        """A report's period as this language says it: ``2026-03`` as it is, ``last 30
        days`` (as ``/ticket report`` labels a number of days) in words."""
        days = LAST_DAYS.match(label)
        if days is None:
            return label
        return self.ngettext("last {n} day", "last {n} days", int(days[1]))

    def refusal(self, refusal: TicketError) -> str:
        """A refusal as the person who was refused reads it (a sentence)."""
        if isinstance(refusal, AlreadyClaimed):
            return self._("{key} is already claimed by <@{assignee}>.", key=refusal.key,
                          assignee=refusal.assignee)
        params = {name: self.status(value).lower() if isinstance(value, Status)
                  else self.severity(value) if isinstance(value, Severity) else value
                  for name, value in refusal.params.items()}
        text = self._(refusal.message, **params)
        return text if text.endswith((".", "!", "?")) else text + "."


@functools.cache
def words_for(language: str) -> Words:
    """The texts of ``language`` (its catalog is compiled once, on first use); English
    for a language without a catalog."""
    if language == SOURCE or language not in available():
        if language != SOURCE:
            log.warning("no catalog for language %r: speaking English", language)
        return Words(SOURCE, gettext.NullTranslations())
    with catalog_path(language).open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Words(language, Translations(compiled, domain=DOMAIN))
