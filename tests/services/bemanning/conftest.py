from __future__ import annotations

import datetime as dt

import pytest

from kommuneki.services.bemanning.engine import generator


@pytest.fixture(scope="session")
def generated_units():
    """Eight generated units (synthetic flu wave, no shared data needed), 2023-01-02 … 2025-06-30."""
    return generator.generate(
        8, dt.date(2023, 1, 2), dt.date(2025, 6, 30), seed=11, staff=[8, 12, 20, 30, 45, 60, 90, 150]
    )


@pytest.fixture(scope="session")
def generated_csv(generated_units):
    return generator.to_csv(generated_units).encode()
