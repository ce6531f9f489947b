"""A quality report's answer for a provider or service without history."""

from __future__ import annotations

import pytest

from gateway.quality import Quality, report
from gateway.store.quality_counts import Counts


@pytest.mark.parametrize("min_sample", [0, 1, 20])
def test_no_history_reads_as_the_figures_of_empty_counts(min_sample: int) -> None:
    empty = report([], days=7, min_sample=min_sample)
    for provider, service in (("alpha", None), ("alpha", "12")):
        expected = Quality.of(provider, service, Counts(), days=7, min_sample=min_sample)
        found = empty.provider(provider) if service is None else empty.service(provider, service)
        assert found == expected
