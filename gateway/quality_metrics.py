"""Provider quality as Prometheus gauges, read from a `QualityBook` when ``/metrics`` is scraped.

One family per figure, labelled by provider, plus the sample each figure was measured on; a
figure below its minimum sample is left out (no value is claimed), its sample is not::

    families = await quality_families(gw.quality)   # beside metrics.state_families(gw)
"""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily, Metric

from gateway.quality import Figure, Quality, QualityBook

FIGURES = {
    "completion_rate": "Share of finished orders that completed.",
    "partial_rate": "Share of finished orders that ended partial.",
    "delivered_fraction": "Units delivered over units ordered, over finished orders.",
    "cancel_rate": "Share of finished orders canceled or refunded.",
    "failure_rate": "Share of orders sent that the provider refused.",
    "start_seconds": "Mean seconds from sending an order to its first progress.",
    "complete_seconds_per_1000": "Mean seconds to complete an order, per 1,000 units.",
    "refill_success_rate": "Share of ended refills that completed.",
}
"""The `Quality` figures exported, each as ``smmgw_provider_<name>``, with their help text."""


def _figure(quality: Quality, name: str) -> Figure:
    figure = getattr(quality, name)
    assert isinstance(figure, Figure)
    return figure


async def quality_families(book: QualityBook) -> list[Metric]:
    """The gauges of every provider's figures over the book's window."""
    providers = await book.providers()
    window = f"over the last {book.days} days"
    families: list[Metric] = []
    samples = GaugeMetricFamily(
        "smmgw_provider_quality_sample",
        f"Orders (or refills) each provider quality figure was measured on, {window}.",
        labels=["provider", "figure"],
    )
    for name, text in FIGURES.items():
        family = GaugeMetricFamily(
            f"smmgw_provider_{name}", f"{text} ({window})", labels=["provider"]
        )
        for provider, quality in sorted(providers.items()):
            figure = _figure(quality, name)
            samples.add_metric([provider, name], figure.sample)
            if figure.value is not None:
                family.add_metric([provider], float(figure.value))
        families.append(family)
    return [*families, samples]
