"""Fundamental-rights impact assessment (FRIA, KI-forordningen art. 27) in Norwegian, prefilled from the
register, the model cards, the classification and monitoring. A public body must do it before first use
of a high-risk system; it may build on a DPIA (art. 27 nr. 4). Sections follow art. 27 nr. 1 bokstav a–f.
"""

from __future__ import annotations

from typing import Any

from .documents import DOC_TYPES, now_iso, todo
from .dpia import aiact_blocks, model_rows, monitoring_rows, system_facts

SOURCE = "KI-forordningen art. 27 nr. 1 bokstav a–f, nr. 3 (melding til markedstilsynet) og nr. 4 (DPIA)"


def build(
    sd: dict[str, Any], *, tenant_name: str, assessment: dict[str, Any] | None, report: dict[str, Any] | None
) -> dict[str, Any]:
    high = bool(assessment and assessment.get("risk_class") == "hoy")
    mon = monitoring_rows(report)
    intro = (
        "Systemet er klassifisert som høyrisiko. Vurderingen skal gjøres før første bruk og meldes til "
        "markedstilsynet (art. 27 nr. 3)."
        if high
        else "Systemet er ikke klassifisert som høyrisiko, så art. 27 krever ikke denne vurderingen. Den kan "
        "likevel brukes frivillig."
    )
    sections = [
        {
            "heading": "1. Om vurderingen",
            "source": SOURCE,
            "blocks": [
                {"type": "text", "text": intro},
                {"type": "facts", "rows": system_facts(sd, tenant_name)},
                todo(
                    "fria.dpia", "Hvilken DPIA bygger vurderingen på (art. 27 nr. 4)? Oppgi versjon og dato."
                ),
            ],
        },
        {
            "heading": "2. Prosessene systemet brukes i (bokstav a)",
            "source": "KI-forordningen art. 27 nr. 1 bokstav a",
            "blocks": [
                {"type": "text", "text": f"Formål etter registeret: {sd['purpose'] or 'ikke registrert'}."},
                todo(
                    "fria.process",
                    "Beskriv saksbehandlingen der systemet brukes, og hvilken rolle forslagene har "
                    "i avgjørelsen.",
                ),
            ],
        },
        {
            "heading": "3. Periode og hyppighet (bokstav b)",
            "source": "KI-forordningen art. 27 nr. 1 bokstav b",
            "blocks": [
                {
                    "type": "table",
                    "header": ["Modellversjon", "Forslag", "Avgjort", "Godtatt", "Overstyrt", "Automatisk"],
                    "rows": mon or [["Ingen forslag registrert ennå", "", "", "", "", ""]],
                },
                todo("fria.period", "Hvor lenge og hvor ofte skal systemet brukes?"),
            ],
        },
        {
            "heading": "4. Personer og grupper som berøres (bokstav c)",
            "source": "KI-forordningen art. 27 nr. 1 bokstav c",
            "blocks": [
                {
                    "type": "facts",
                    "rows": [
                        [
                            "Påvirker beslutninger om enkeltpersoner",
                            "Ja" if sd["affects_individuals"] else "Nei",
                        ],
                        [
                            "Kategorier av personopplysninger",
                            ", ".join(sd["data_categories"]) or "Ikke registrert",
                        ],
                    ],
                },
                todo("fria.groups", "Hvilke personer og grupper kan bli berørt, også sårbare grupper?"),
            ],
        },
        {
            "heading": "5. Risiko for skade på grunnleggende rettigheter (bokstav d)",
            "source": "KI-forordningen art. 27 nr. 1 bokstav d",
            "blocks": [
                {
                    "type": "table",
                    "header": ["Modell", "Treningsdata", "Målt ytelse", "Kjente begrensninger"],
                    "rows": model_rows(sd["models"]) or [["Ingen modeller registrert", "", "", ""]],
                },
                {
                    "type": "table",
                    "header": ["Rettighet", "Mulig skade", "Sannsynlighet og alvor"],
                    "rows": [
                        [
                            "Likebehandling og ikke-diskriminering",
                            "Skjeve forslag for enkelte grupper",
                            {"todo": "fria.r.discrimination"},
                        ],
                        [
                            "Personvern",
                            "Behandling ut over formålet; feil i opplysninger",
                            {"todo": "fria.r.privacy"},
                        ],
                        [
                            "God forvaltning og kontradiksjon",
                            "Den berørte forstår ikke grunnlaget for avgjørelsen",
                            {"todo": "fria.r.administration"},
                        ],
                        [
                            "Effektivt rettsmiddel",
                            "Klage blir vanskelig uten forklaring",
                            {"todo": "fria.r.remedy"},
                        ],
                    ],
                },
            ],
        },
        {
            "heading": "6. Menneskelig kontroll (bokstav e)",
            "source": "KI-forordningen art. 27 nr. 1 bokstav e og art. 26 nr. 2",
            "blocks": [
                {"type": "text", "text": sd["human_oversight"] or "Ikke registrert."},
                todo(
                    "fria.oversight",
                    "Hvem utøver kontrollen, hvilken kompetanse og myndighet har de, og hvordan "
                    "følges overstyring opp?",
                ),
            ],
        },
        {
            "heading": "7. Tiltak hvis risikoen inntreffer (bokstav f)",
            "source": "KI-forordningen art. 27 nr. 1 bokstav f",
            "blocks": [
                {
                    "type": "text",
                    "text": "Overvåkingen varsler når overstyring eller drift passerer tersklene "
                    f"(overstyring {round(sd['thresholds']['override_rate'] * 100)} %, "
                    f"drift PSI {sd['thresholds']['drift_psi']}).",
                },
                todo(
                    "fria.measures",
                    "Interne rutiner, klageordning og hva som gjøres hvis risikoen inntreffer:",
                ),
            ],
        },
        {
            "heading": "8. KI-forordningen",
            "source": "KI-forordningen (EU) 2024/1689",
            "blocks": aiact_blocks(assessment),
        },
        {
            "heading": "9. Melding og godkjenning",
            "source": "KI-forordningen art. 27 nr. 3",
            "blocks": [
                todo("fria.notified", "Dato for melding til markedstilsynet:"),
                todo("fria.approval", "Godkjent av (navn, rolle, dato):"),
            ],
        },
    ]
    return {
        "doc_type": "fria",
        "title": DOC_TYPES["fria"],
        "generated_at": now_iso(),
        "source": SOURCE,
        "system": {"id": sd["id"], "key": sd["key"], "name": sd["name"], "revision": sd["revision"]},
        "sections": sections,
    }
