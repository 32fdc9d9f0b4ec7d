"""Reading a real process's GET /metrics the way Prometheus does."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.processes import fetch


def scrape(url: str) -> dict[tuple[str, frozenset], float]:
    """Every sample: (name, labels) -> value."""
    status, body = fetch(url)
    assert status == 200, body[:500]
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    """One sample's value; 0 when it has not been exported yet (a counter never touched)."""
    return samples.get((name, frozenset(labels.items())), 0.0)
