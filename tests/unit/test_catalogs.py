"""The catalogs are whole: every text the code says is in the template, and every shipped
language translates all of it (nothing untranslated, fuzzy or obsolete). A text added to
the code without its translation fails here, as a copy of the project shows."""

from __future__ import annotations

import shutil
from pathlib import Path

from babel.messages.catalog import Message
from babel.messages.pofile import write_po

from bot.config.languages import available
from bot.config.plans import parse_calendars
from bot.domain.tickets import Severity, Status, TicketError
from bot.slack_ui.words import words_for
from tests.support.catalogs import extracted, problems, read
from tests.support.cli import ROOT


def test_the_template_and_every_catalog_are_whole() -> None:
    assert problems(ROOT) == []


def test_the_desk_speaks_english_and_italian() -> None:
    assert available() == ("en", "it")
    it = words_for("it")
    assert [it.severity(s) for s in Severity] == ["Critico", "Alto", "Medio", "Basso"]
    assert [it._(t) for t in ("Title", "Severity", "Description", "Open a ticket",
                              "Change severity", "Reopen", "Add a comment",
                              "How did we do?")] == [
        "Titolo", "Gravità", "Descrizione", "Apri un ticket", "Cambia gravità", "Riapri",
        "Aggiungi un commento", "Com'è andata?"]


def test_durations_numbers_and_percentages_in_the_language() -> None:
    it, en = words_for("it"), words_for("en")
    assert [it.duration(s) for s in (3600, 4 * 3600, 86_400, 3900, 45)] == [
        "1 ora", "4 ore", "1 giorno", "1 ora 5 minuti", "45 secondi"]
    assert [en.duration(s) for s in (3600, 3900, 86_400)] == ["1 h", "1 h 5 min", "1 d"]
    assert (it.percent(92.5), it.number(1234.5)) == ("92,5%", "1.234,5")
    assert (en.percent(92.5), en.number(1234.5)) == ("92.5 %", "1,234.5")
    assert it.ngettext("…and {n} more row in the CSV.", "…and {n} more rows in the CSV.",
                       1) == "…e 1 altra riga nel CSV."


def test_a_reports_period_in_the_language() -> None:
    it, en = words_for("it"), words_for("en")
    assert (it.period("last 30 days"), it.period("last 1 day")) == (
        "ultimi 30 giorni", "ultimo 1 giorno")
    assert (en.period("last 30 days"), it.period("2026-03")) == ("last 30 days", "2026-03")


def test_a_refusal_names_statuses_in_the_language() -> None:
    refused = TicketError("{key} is {status} and cannot be claimed", key="T-1",
                          status=Status.WAITING_ON_CLIENT)
    assert str(refused) == "T-1 is waiting on client and cannot be claimed"
    assert words_for("en").refusal(refused) == "T-1 is waiting on client and cannot be claimed."
    assert words_for("it").refusal(refused) == (
        "T-1 è in stato «in attesa del cliente» e non può essere preso in carico.")


def test_business_hours_name_the_days_in_the_language() -> None:
    office = parse_calendars('{"office": {"timezone": "Europe/Rome", "hours": '
                             '{"mon-fri": ["09:00-13:00", "14:00-18:00"]}}}')["office"]
    assert words_for("it").hours(office) == "lun-ven 09:00-13:00, 14:00-18:00 (Europe/Rome)"
    assert words_for("en").hours(office) == "mon-fri 09:00-13:00, 14:00-18:00 (Europe/Rome)"


def test_a_date_falls_back_to_text_in_the_language() -> None:
    march = 1_772_445_600  # 2026-03-02 10:00 UTC
    assert words_for("en").date(march) == (
        "<!date^1772445600^{date_short_pretty} at {time}|2026-03-02 10:00 UTC>")
    assert words_for("it").date(march) == (
        "<!date^1772445600^{date_short_pretty} alle {time}|2 mar 2026, 10:00 UTC>")
    assert words_for("it").written(march, "Europe/Rome") == "2 mar 2026, 11:00 +0100"


def copy_of_the_project(tmp_path: Path) -> Path:
    for part in ("bot", "handlers"):
        shutil.copytree(ROOT / part, tmp_path / part,
                        ignore=shutil.ignore_patterns("__pycache__", "static"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_a_text_added_without_its_translation_fails_the_check(tmp_path: Path) -> None:
    root = copy_of_the_project(tmp_path)
    assert problems(root) == []
    card = root / "bot" / "slack_ui" / "card.py"
    card.write_text(card.read_text() + '\n\ndef extra(w: Words) -> str:\n'
                    '    return w._("A sentence nobody translated")\n')
    assert problems(root) == [
        "not in the template (run pybabel extract): 'A sentence nobody translated'"]

    # The template brought up to date (pybabel extract, then update): Italian lacks it.
    locale = root / "bot" / "locale"
    for po in (locale / "desk.pot", locale / "it" / "LC_MESSAGES" / "desk.po"):
        catalog = read(po, None if po.suffix == ".pot" else "it")
        catalog.add("A sentence nobody translated")
        with po.open("wb") as out:
            write_po(out, catalog)
    assert "A sentence nobody translated" in extracted(root)
    assert problems(root) == ["it: untranslated: 'A sentence nobody translated'"]


def test_fuzzy_obsolete_and_mismatched_fields_fail_the_check(tmp_path: Path) -> None:
    root = copy_of_the_project(tmp_path)
    po = root / "bot" / "locale" / "it" / "LC_MESSAGES" / "desk.po"
    catalog = read(po, "it")
    fuzzy = catalog["Nothing here."]
    assert fuzzy is not None
    fuzzy.flags.add("fuzzy")
    welcome = catalog["Welcome, {name}: open a support ticket here any time."]
    assert welcome is not None
    welcome.string = "Benvenuti, {nome}: qui può aprire un ticket."
    catalog.obsolete["Gone"] = Message("Gone", "Andato")
    with po.open("wb") as out:
        write_po(out, catalog)
    assert sorted(problems(root)) == sorted([
        "it: fuzzy: 'Nothing here.'",
        "it: obsolete: 'Gone'",
        "it: {fields} differ in 'Welcome, {name}: open a support ticket here any time.': "
        "'Benvenuti, {nome}: qui può aprire un ticket.'"])
