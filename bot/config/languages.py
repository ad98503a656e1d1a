"""The languages the desk speaks: English, its source language, and one gettext catalog
per other language under ``bot/locale/<language>/LC_MESSAGES/desk.po``."""

from __future__ import annotations

from pathlib import Path
from typing import Final

SOURCE: Final = "en"
"""The language the desk's texts are written in (no catalog needed)."""
DOMAIN: Final = "desk"
LOCALE_DIR: Final = Path(__file__).resolve().parent.parent / "locale"


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def available() -> tuple[str, ...]:
    """Every language the desk can speak: English and each language with a catalog."""
    found = sorted(p.name for p in LOCALE_DIR.iterdir()
                   if p.is_dir() and catalog_path(p.name).is_file()) if LOCALE_DIR.is_dir() else []
    return (SOURCE, *(lang for lang in found if lang != SOURCE))
