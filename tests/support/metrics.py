"""Reading ``/metrics`` as Prometheus does: each sample by its name and labels."""

from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(url: str) -> Samples:
    """The samples ``url`` serves now."""
    async with aiohttp.ClientSession() as session, session.get(url) as r:
        assert r.status == 200 and r.content_type == "text/plain"
        text = await r.text()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sample's value, 0 when it is not there."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)
