"""One small model for the whole module set: trained once per test session on the generated demo
kommune (a few seconds), shared by the engine tests."""

from __future__ import annotations

import pytest

from kommuneki.services.eiendomsskatt.engine import demo, mapping


@pytest.fixture(scope="session")
def demo_tables():
    return demo.generate(n_dwellings=1200, n_sales=900, seed=3)


@pytest.fixture(scope="session")
def demo_mapping():
    return mapping.Mapping.from_dict(demo.DEMO_MAPPING)


@pytest.fixture(scope="session")
def trained(demo_tables, demo_mapping):
    from kommuneki.services.eiendomsskatt.engine.valuation import clean_sales, train_model

    sales = clean_sales(demo_tables[0], demo_mapping)
    model, study = train_model(sales)
    return sales, model, study
