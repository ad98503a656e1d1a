"""Retention: resolved tickets become compact archive records (their outcomes) after
``ARCHIVE_AFTER_DAYS``; the outcomes are kept ``RETAIN_DAYS`` for reports, then dropped.
Run with the sweep (one worker at a time), a batch per partition each time; it also
indexes by creation outcomes kept before reports went by creation."""

from __future__ import annotations

import logging

from bot.services.ports import Archive, Now

log = logging.getLogger(__name__)

DAY = 86_400


class Retention:
    def __init__(self, archive: Archive, now: Now, *, archive_after_days: int,
                 retain_days: int) -> None:
        self.archive = archive
        self.now = now
        self.archive_after_days = archive_after_days
        self.retain_days = retain_days

    async def run(self) -> tuple[int, int]:
        """Archive what is old enough, drop what is past keeping: how many of each."""
        now = self.now()
        indexed = await self.archive.index_created()
        if indexed:
            log.info("retention: %d archive records indexed by creation for reports",
                     indexed)
        archived = await self.archive.archive(now - self.archive_after_days * DAY)
        retired = await self.archive.retire(now - self.retain_days * DAY)
        if archived or retired:
            log.info("retention: %d resolved tickets archived, %d archive records past "
                     "%d days dropped", archived, retired, self.retain_days)
        return archived, retired
