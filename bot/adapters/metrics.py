"""What the desk shows Prometheus (``GET /metrics``): latency, timer lag, reminders, the
queue, dead letters, Slack calls, SMTP results, tickets opened."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

REGISTRY = CollectorRegistry()

HTTP_SECONDS = Histogram(
    "desk_http_answer_seconds", "Time to answer Slack, by request kind", ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5), registry=REGISTRY)
TIMER_LAG = Histogram(
    "desk_timer_lag_seconds", "How late SLA timers fire (fired minus due), by step", ["step"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300), registry=REGISTRY)
REMINDERS = Counter("desk_reminders_total", "SLA notifications fired, by clock and step",
                    ["clock", "step"], registry=REGISTRY)
QUEUE_DUE = Gauge("desk_queue_due_jobs", "Jobs due now and not yet running", registry=REGISTRY)
QUEUE_OLDEST = Gauge("desk_queue_oldest_due_seconds",
                     "How long the oldest due job has waited (0 when none)", registry=REGISTRY)
DEAD_LETTERS = Gauge("desk_dead_letters", "Jobs in the dead letters", registry=REGISTRY)


def show_queue(due: int, waited: float, dead: int) -> None:
    """The queue's gauges: jobs due, the oldest one's wait (s), dead letters."""
    QUEUE_DUE.set(due)
    QUEUE_OLDEST.set(waited)
    DEAD_LETTERS.set(dead)
TIMER_LOOPS_DOWN = Gauge("desk_timer_loops_down",
                         "serve's timer loops whose metrics did not answer (dead, hung)",
                         registry=REGISTRY)
SLACK_CALLS = Counter("desk_slack_calls_total", "Slack Web API calls, by method and outcome",
                      ["method", "outcome"], registry=REGISTRY)
SMTP_RESULTS = Counter("desk_smtp_results_total", "Emails, by result (sent, retry, refused)",
                       ["result"], registry=REGISTRY)
TICKETS_OPENED = Counter("desk_tickets_opened_total", "Tickets opened, by severity",
                         ["severity"], registry=REGISTRY)


def ticket_opened(severity: str) -> None:
    TICKETS_OPENED.labels(severity).inc()


def exposition() -> bytes:
    """The metrics in Prometheus's text format."""
    return generate_latest(REGISTRY)


class _Merged(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterator[Metric]:
        return iter(self.families)


def merged(*texts: str) -> bytes:
    """The metrics of several processes of one desk (``serve`` and its timer loop) as one
    exposition: a series' samples summed (a counter or histogram of the whole desk; a gauge
    that only one of them sets), the earliest ``_created``."""
    families: dict[str, Metric] = {}
    values: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]] = {}
    for text in texts:
        for family in text_string_to_metric_families(text):
            families.setdefault(family.name,
                                Metric(family.name, family.documentation, family.type))
            series = values.setdefault(family.name, {})
            for sample in family.samples:
                key = (sample.name, tuple(sorted(sample.labels.items())))
                if key in series and sample.name.endswith("_created"):
                    series[key] = min(series[key], sample.value)
                else:
                    series[key] = series.get(key, 0.0) + sample.value
    for name, family in families.items():
        for (sample_name, labels), value in values[name].items():
            family.add_sample(sample_name, dict(labels), value)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Merged(list(families.values())))
    return generate_latest(registry)
EMAILS_READ = Counter("desk_emails_total", "Emails read from the support mailbox, by what they "
                      "did (opened, replied, ignored, unknown, failed)", ["outcome"],
                      registry=REGISTRY)
MAILBOX_ERRORS = Counter("desk_mailbox_errors_total", "Times the support mailbox could not be "
                         "reached or refused the desk (each retried with backoff)",
                         registry=REGISTRY)
MAILBOX_UP = Gauge("desk_mailbox_up", "1 while this process reads the support mailbox "
                   "logged in, 0 while it cannot", registry=REGISTRY)
