"""Bemanning: forecasts unplanned absence per unit (never per person) and proposes the extra shifts
that keep the minimum staffing — a suggestion the unit leader settles."""

from __future__ import annotations

from ...core.registry import OWN_SERVICE_ANSWERS, RegisterFacts, ServiceSpec


def spec() -> ServiceSpec:
    return ServiceSpec(
        name="bemanning",
        title="Bemanning",
        description="Prognose for fravær per enhet og forslag til ekstravakter som dekker "
        "minimumsbemanningen.",
        has_pages=False,
        cli="kommuneki.services.bemanning.cli:group",
        register=RegisterFacts(
            aiact_answers={**OWN_SERVICE_ANSWERS, "area": "arbeid", "individual": "aggregert"},
            summary_nb="Lager prognoser for sykefravær per enhet i helse og omsorg og foreslår hvor mange "
            "ekstravakter som bør bestilles tidlig. Aldri om enkeltpersoner.",
            summary_nn="Lagar prognosar for sjukefråvær per eining i helse og omsorg og føreslår kor mange "
            "ekstravakter som bør bestillast tidleg. Aldri om enkeltpersonar.",
        ),
    )
