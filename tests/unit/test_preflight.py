"""``check`` reads the scopes of ``manifest.yml`` without a YAML library; retention settings
that agree are taken. (Those that disagree stop the start: ``tests/process``.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import check as cli
from bot.config import ConfigError, load_settings
from bot.sandbox.standin import MANIFEST_SCOPES
from tests.support.cli import ROOT


def test_the_manifest_scopes_are_read_without_yaml(tmp_path: Path) -> None:
    assert cli.manifest_scopes(ROOT / "manifest.yml") == list(MANIFEST_SCOPES)
    manifest = tmp_path / "manifest.yml"
    manifest.write_text(
        "display_information:\n  name: x  # a comment\n"
        "features:\n  bot_user:\n    scopes:\n      bot:\n        - not:this\n"
        "oauth_config:\n  # the scopes\n  scopes:\n    user:\n    - user:only\n"
        "    bot:\n    - 'chat:write'\n    -   pins:write   # pin\n"
        "    redirect_urls: []\nsettings:\n  bot:\n    - nor:this\n")
    assert cli.manifest_scopes(manifest) == ["chat:write", "pins:write"]
    manifest.write_text("oauth_config:\n  scopes:\n    bot: [commands, \"im:write\"]\n")
    assert cli.manifest_scopes(manifest) == ["commands", "im:write"]


def test_retention_settings_that_agree_start() -> None:
    settings = load_settings(_env_file=None, reopen_days=30, archive_after_days=30,
                             retain_days=31)
    assert (settings.reopen_days, settings.archive_after_days, settings.retain_days) == (
        30, 30, 31)
    with pytest.raises(ConfigError, match="RETAIN_DAYS: 30 is not longer"):
        load_settings(_env_file=None, archive_after_days=30, retain_days=30)
