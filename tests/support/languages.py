"""Which language a text is in, as far as the desk's own words go: the words only its
English texts use, and the words only its Italian catalog uses; and what of a Slack call
a person sees (message text, every text object of its blocks or view)."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from babel.messages.catalog import Catalog

from bot.config.languages import LOCALE_DIR, catalog_path
from tests.support.catalogs import read

WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
FIELD = re.compile(r"\{[^{}]*\}")
DATE = re.compile(r"<!date\^\d+\^([^|>]*)\|([^>]*)>")
LINK = re.compile(r"<(?:[^|>]*\|)?([^>]*)>")
EMOJI = re.compile(r":[a-z0-9_+-]+:")


def shown(text: str) -> str:
    """``text`` as Slack shows it: a date token's format (its fields aside) and fallback,
    a link's label, no emoji codes, no ``{fields}`` of a template."""
    text = DATE.sub(lambda m: m[1] + " " + m[2], text)
    text = LINK.sub(lambda m: m[1] if not m[1].startswith(("@", "#", "!")) else " ", text)
    return FIELD.sub(" ", EMOJI.sub(" ", text))


def words(texts: Iterable[str]) -> set[str]:
    return {w.lower() for text in texts for w in WORD.findall(shown(text))}


def _texts(catalog: Catalog, *, translated: bool) -> Iterator[str]:
    for message in catalog:
        if not message.id:
            continue
        said = message.string if translated else message.id
        yield from [said] if isinstance(said, str) else said or ()


@functools.cache
def vocabularies() -> tuple[frozenset[str], frozenset[str]]:
    """The words of the desk's English texts, and of its Italian ones."""
    template = read(LOCALE_DIR / "desk.pot")
    italian = read(catalog_path("it"), "it")
    return (frozenset(words(_texts(template, translated=False))),
            frozenset(words(_texts(italian, translated=True))))


def only_english() -> frozenset[str]:
    """Words the desk's English texts use and its Italian ones never do."""
    english, italian = vocabularies()
    return english - italian


def only_italian() -> frozenset[str]:
    """Words the desk's Italian texts use and its English ones never do."""
    english, italian = vocabularies()
    return italian - english


def visible(value: Any) -> Iterator[str]:
    """Every text a person sees in Block Kit (blocks, a view): text objects' texts."""
    if isinstance(value, dict):
        if value.get("type") in ("plain_text", "mrkdwn") and isinstance(value.get("text"), str):
            yield value["text"]
        for item in value.values():
            yield from visible(item)
    elif isinstance(value, list):
        for item in value:
            yield from visible(item)


def seen(args: dict[str, Any]) -> list[str]:
    """What a person sees of a chat.postMessage, chat.update, chat.postEphemeral or
    views.open call: its text, its blocks' or its view's texts, its author's name."""
    found = [args[k] for k in ("text", "username") if isinstance(args.get(k), str)]
    for key in ("blocks", "view"):
        part = args.get(key)
        if isinstance(part, str):
            part = json.loads(part)
        found += visible(part)
    return found


def foreign(texts: Iterable[str], words_of_the_other: frozenset[str],
            written: Iterable[str] = ()) -> list[str]:
    """The texts (each with what people wrote in ``written`` taken out) holding a word only
    the other language uses."""
    out = []
    for text in texts:
        for person in written:
            text = text.replace(person, " ")
        if words([text]) & words_of_the_other:
            out.append(f"{sorted(words([text]) & words_of_the_other)} in {text!r}")
    return out
