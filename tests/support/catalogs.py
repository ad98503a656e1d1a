"""Whether the desk's catalogs are whole: the template (``bot/locale/desk.pot``) holds
exactly the texts the code says (extracted as ``pybabel extract`` does, with the settings
in ``pyproject.toml``), and each shipped catalog translates every one of them, with no
fuzzy or obsolete entry and the same ``{fields}`` as the text it translates."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords
from babel.messages.pofile import read_po

MessageId = str | tuple[str, ...]

FIELD = re.compile(r"(?<!\{)\{([^{}]*)\}")


def extracted(root: Path) -> set[MessageId]:
    """Every text the code under ``root`` marks for the catalog (its ``pyproject.toml``
    says where and how), as ``pybabel extract`` finds it."""
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["babel"]
    extract = config["extract_messages"]
    keywords = dict(DEFAULT_KEYWORDS)
    keywords.update(parse_keywords(extract["keywords"]))
    method_map = [(m["pattern"], m["method"]) for m in config["mappings"]]
    found: set[MessageId] = set()
    for where in extract["input_paths"]:
        for _, _, message, _, _ in extract_from_dir(str(root / where), method_map,
                                                     keywords=keywords):
            found.add(message if isinstance(message, str) else tuple(message[:2]))
    return found


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=locale)


def ids(catalog: Catalog) -> set[MessageId]:
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalog if m.id}


def fields(text: str) -> set[str]:
    return set(FIELD.findall(text))


def problems(root: Path) -> list[str]:
    """What is wrong with the template and the catalogs of the project at ``root``; none
    when they are whole."""
    locale = root / "bot" / "locale"
    code, template = extracted(root), ids(read(locale / "desk.pot"))
    found = [f"not in the template (run pybabel extract): {m!r}" for m in _sorted(code - template)]
    found += [f"in the template but no longer in the code: {m!r}"
              for m in _sorted(template - code)]
    for po in sorted(locale.glob("*/LC_MESSAGES/desk.po")):
        language = po.parent.parent.name
        catalog = read(po, language)
        found += [f"{language}: obsolete: {m.id!r}" for m in catalog.obsolete.values()]
        found += [f"{language}: {error} in {m.id!r}" for m, errors in catalog.check()
                  for error in errors]
        found += [f"{language}: missing (run pybabel update): {m!r}"
                  for m in _sorted(template - ids(catalog))]
        for message in catalog:
            if not message.id:
                continue
            said = message.id if isinstance(message.id, str) else tuple(message.id)
            if said not in template:
                found.append(f"{language}: not in the template: {said!r}")
            if message.fuzzy:
                found.append(f"{language}: fuzzy: {said!r}")
            forms = ([message.string] if isinstance(message.string, str)
                     else list(message.string or ()))
            if not all(forms) or len(forms) != (1 if isinstance(said, str)
                                                else catalog.num_plurals):
                found.append(f"{language}: untranslated: {said!r}")
                continue
            wanted = fields(said if isinstance(said, str) else said[1])
            found += [f"{language}: {{fields}} differ in {said!r}: {form!r}"
                      for form in forms if fields(form) - {"n"} != wanted - {"n"}]
    return found


def _sorted(messages: Iterable[MessageId]) -> list[MessageId]:
    return sorted(messages, key=str)
