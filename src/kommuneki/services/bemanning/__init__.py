"""Bemanning: forecasts unplanned absence per unit (never per person) and proposes the extra shifts
that keep the minimum staffing — a suggestion the unit leader settles."""

from __future__ import annotations

from ...core.registry import OWN_SERVICE_ANSWERS, RegisterFacts, ServiceSpec, SuggestionKind, TaskSpec

FORECAST_KIND = "bemanning.prognose"
FORECAST_TASK = "bemanning.forecast"
STAFFING_KIND = "bemanning.ekstravakter"
PLANNERS = frozenset({"leder", "admin"})

_SERIES = {"type": "array", "items": {"type": "number"}}
FORECAST_VALUE = {
    "type": "object",
    "required": ["unit", "origin", "dates", "expected", "q10", "q50", "q90"],
    "properties": {
        "unit": {"type": "string"},
        "origin": {"type": "string"},
        "dates": {"type": "array", "items": {"type": "string"}},
        "expected": _SERIES,
        "q10": _SERIES,
        "q50": _SERIES,
        "q90": _SERIES,
        "history": {"type": "object"},
        "warnings": {"type": "array", "items": {"type": "string"}},
    },
}
STAFFING_VALUE = {
    "type": "object",
    "required": ["unit", "probability", "rows", "extra_shifts"],
    "properties": {
        "unit": {"type": "string"},
        "probability": {"type": "number"},
        "rows": {"type": "array", "items": {"type": "object"}},
        "extra_shifts": {"type": "integer", "minimum": 0},
    },
}
FORECAST_EXPLANATION = {
    "type": "object",
    "properties": {
        "evidence": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "model"],
                "properties": {
                    "type": {"const": "model"},
                    "model": {"type": "string"},
                    "warnings": {"type": "array"},
                },
            },
        }
    },
}
STAFFING_EXPLANATION = {
    "type": "object",
    "properties": {
        "evidence": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "shifts", "extra_shifts"],
                "properties": {
                    "type": {"const": "shift_plan"},
                    "shifts": {"type": "integer"},
                    "extra_shifts": {"type": "integer"},
                },
            },
        }
    },
}


# The optional rota repair (engine/rota.py), assessed on its own against annex III point 4(b) of the AI Act
# ("allocate tasks based on individual behaviour or personal traits or characteristics", decisions affecting
# terms of work-related relationships, monitoring and evaluating workers). The facts the assessment rests on:
ROTA_REPAIR_FACTS = {
    "inputs": "the rota only: named shifts and their hours per person; no absence data, no absence types, "
    "no performance, behaviour or personal traits",
    "method": "the working-time rules of arbeidsmiljøloven §§ 10-4, 10-5, 10-6 and 10-8 as data, checked per "
    "person; OR-Tools CP-SAT for several open shifts (rule-based optimisation, nothing learnt from data)",
    "output": "every person who may lawfully take the shift, unranked (in the rota's order), and why the "
    "others may not; nothing stored, nothing decided",
    "decision": "the unit leader asks whom she chooses; the list is not an order",
    "assessment": "not annex III point 4(b): tasks are not allocated on individual behaviour or personal "
    "traits, nobody is monitored or evaluated, and the terms of work are not decided by the tool",
}


def spec() -> ServiceSpec:
    return ServiceSpec(
        name="bemanning",
        title="Bemanning",
        description="Prognose for fravær per enhet og forslag til ekstravakter som dekker "
        "minimumsbemanningen.",
        kinds=[
            SuggestionKind(
                name=FORECAST_KIND,
                title="Fraværsprognose for en enhet",
                explanation_schema=FORECAST_EXPLANATION,
                value_schema=FORECAST_VALUE,
                in_review_queue=False,
            ),
            SuggestionKind(
                name=STAFFING_KIND,
                title="Forslag til ekstravakter",
                explanation_schema=STAFFING_EXPLANATION,
                value_schema=STAFFING_VALUE,
            ),
        ],
        rights={
            "bemanning.read": PLANNERS | {"ki-ansvarlig", "personvernombud"},
            "bemanning.plan": PLANNERS,
        },
        reviewer_roles=PLANNERS,
        router="kommuneki.services.bemanning.views:router",
        cli="kommuneki.services.bemanning.cli:group",
        demo="kommuneki.services.bemanning.demo:load",
        cards="kommuneki.services.bemanning.engine.card:model_cards",
        settings="kommuneki.services.bemanning.service:Settings",
        tasks=[
            TaskSpec(FORECAST_TASK, "kommuneki.services.bemanning.service:forecast_task", "Fraværsprognose"),
            TaskSpec(
                "bemanning.backtest",
                "kommuneki.services.bemanning.service:backtest_task",
                "Tilbakeblikk på prognosene",
            ),
        ],
        explanation_labels={
            "model": "Modell",
            "warnings": "Merknader",
            "shifts": "Vakter",
            "extra_shifts": "Ekstravakter",
            "unit": "Enhet",
            "origin": "Prognose fra",
            "dates": "Datoer",
            "expected": "Forventet fravær",
            "q10": "10 %-kvantil",
            "q50": "Median",
            "q90": "90 %-kvantil",
            "history": "Historikk",
            "probability": "Sannsynlighet",
            "rows": "Vakter",
        },
        register=RegisterFacts(
            aiact_answers={**OWN_SERVICE_ANSWERS, "area": "arbeid", "individual": "aggregert"},
            summary_nb="Lager prognoser for sykefravær per enhet i helse og omsorg og foreslår hvor mange "
            "ekstravakter som bør bestilles tidlig. Aldri om enkeltpersoner: ingen poeng, lister eller "
            "prognoser per ansatt, så det vurderer eller overvåker ikke arbeidstakere (ikke vedlegg III "
            "nr. 4 i KI-forordningen). Enhetslederen avgjør. Turnusreparasjonen (hvem kan ta en "
            "ekstravakt) er vurdert for seg mot vedlegg III nr. 4 bokstav b: den bruker bare turnusen og "
            "arbeidsmiljølovens regler for arbeidstid, viser alle som lovlig kan ta vakten uten "
            "rangering, og fordeler ikke oppgaver etter atferd eller personlige egenskaper; lederen velger.",
            summary_nn="Lagar prognosar for sjukefråvær per eining i helse og omsorg og føreslår kor mange "
            "ekstravakter som bør bestillast tidleg. Aldri om enkeltpersonar: ingen poeng, lister eller "
            "prognosar per tilsett, så det vurderer eller overvakar ikkje arbeidstakarar (ikkje vedlegg III "
            "nr. 4 i KI-forordninga). Einingsleiaren avgjer. Turnusreparasjonen (kven kan ta ei "
            "ekstravakt) er vurdert for seg mot vedlegg III nr. 4 bokstav b: han brukar berre turnusen og "
            "arbeidsmiljølova sine reglar for arbeidstid, viser alle som lovleg kan ta vakta utan "
            "rangering, og fordeler ikkje oppgåver etter åtferd eller personlege eigenskapar; leiaren vel.",
        ),
    )
