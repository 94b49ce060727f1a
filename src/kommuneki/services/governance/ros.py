"""ROS analysis (risiko- og sårbarhetsanalyse) for an AI system, in Norwegian, prefilled from the
register, the model cards and monitoring. Probability, consequence and the acceptance criteria are for
the kommune to set: they are ``todo`` cells.

Structure after the usual steps of an information-security risk assessment in a kommune (describe and
delimit; acceptance criteria; unwanted events with causes, existing barriers, probability and
consequence; measures; residual risk) — see Digdir's guidance on internal control in information security
and DSB's guidance on ROS in the kommune (check the current editions).
"""

from __future__ import annotations

from typing import Any

from .documents import DOC_TYPES, now_iso, todo
from .dpia import aiact_blocks, model_rows, monitoring_rows, system_facts

SOURCE = (
    "Digdir: internkontroll i informasjonssikkerhet – risikovurdering; DSB: veileder for ROS i "
    "kommunen (sjekk)"
)


def events(sd: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(event, cause, barriers already in place) prefilled from what the register knows."""
    external = sd["source"] == "external"
    limits = "; ".join(lim for m in sd["models"] for lim in (m.get("limitations") or [])) or "ingen oppgitt"
    out = [
        (
            "Feil forslag godtas uten kontroll",
            "Automatiseringsskjevhet, tidspress",
            "En person avgjør hvert forslag; forklaring vises; overstyring overvåkes",
        ),
        (
            "Modellen blir dårligere over tid (drift)",
            "Endrede inndata, ny praksis, ny målgruppe",
            f"Varsel ved drift (PSI over {sd['thresholds']['drift_psi']}) og overstyring over "
            f"{round(sd['thresholds']['override_rate'] * 100)} %",
        ),
        (
            "Skjeve resultater for enkelte grupper",
            f"Skjevhet i treningsdata; kjente begrensninger: {limits}",
            "Rettferdighetsvisning der tjenesten definerer grupper",
        ),
        (
            "Personopplysninger kommer på avveie",
            "Feil tilgangsstyring, eksport, logger",
            "Roller per kommune; revisjonslogg uten innhold; eksport av modeller trent på "
            "personopplysninger krever grunnlag",
        ),
        (
            "Systemet er utilgjengelig",
            "Driftsfeil, oppdatering",
            "Saksbehandling kan gjøres manuelt; forslag er bare støtte",
        ),
        (
            "Manipulerte inndata gir villedende forslag",
            "Ondsinnet e-post eller dokument",
            "En person avgjør; forklaringen viser hva forslaget bygger på",
        ),
    ]
    if external:
        out.append(
            (
                "Leverandøren endrer modell eller vilkår uten varsel",
                "Skytjeneste utenfor kommunens kontroll",
                "Databehandleravtale (sjekk); registrering i KI-registeret",
            )
        )
    return out


def build(
    sd: dict[str, Any], *, tenant_name: str, assessment: dict[str, Any] | None, report: dict[str, Any] | None
) -> dict[str, Any]:
    rows = []
    for i, (event, cause, barriers) in enumerate(events(sd), start=1):
        rows.append([event, cause, barriers, {"todo": f"ros.e{i}.p"}, {"todo": f"ros.e{i}.k"}])
    mon = monitoring_rows(report)
    sections = [
        {
            "heading": "1. Formål og avgrensning",
            "source": SOURCE,
            "blocks": [
                {"type": "facts", "rows": system_facts(sd, tenant_name)},
                todo(
                    "ros.scope",
                    "Hva omfattes av analysen (integrasjoner, brukere, data), og hva holdes utenfor?",
                ),
                todo("ros.participants", "Hvem deltok i analysen?"),
            ],
        },
        {
            "heading": "2. Beskrivelse av systemet",
            "source": "Modellkort og modellregisteret i kommuneki",
            "blocks": [
                {
                    "type": "table",
                    "header": ["Modell", "Treningsdata", "Målt ytelse", "Kjente begrensninger"],
                    "rows": model_rows(sd["models"]) or [["Ingen modeller registrert", "", "", ""]],
                },
                {
                    "type": "table",
                    "header": ["Modellversjon", "Forslag", "Avgjort", "Godtatt", "Overstyrt", "Automatisk"],
                    "rows": mon or [["Ingen forslag registrert ennå", "", "", "", "", ""]],
                },
            ],
        },
        {
            "heading": "3. Akseptkriterier",
            "source": SOURCE,
            "blocks": [
                todo(
                    "ros.criteria",
                    "Kommunens akseptkriterier for sannsynlighet og konsekvens (skala og grenser):",
                )
            ],
        },
        {
            "heading": "4. Uønskede hendelser",
            "source": SOURCE,
            "blocks": [
                {
                    "type": "table",
                    "header": ["Hendelse", "Årsak", "Eksisterende barrierer", "Sannsynlighet", "Konsekvens"],
                    "rows": rows,
                },
                todo("ros.other_events", "Andre uønskede hendelser for dette systemet:"),
            ],
        },
        {
            "heading": "5. KI-forordningen",
            "source": "KI-forordningen (EU) 2024/1689",
            "blocks": aiact_blocks(assessment),
        },
        {
            "heading": "6. Tiltak og ansvar",
            "source": SOURCE,
            "blocks": [todo("ros.measures", "Tiltak som reduserer risikoen, med ansvarlig og frist:")],
        },
        {
            "heading": "7. Restrisiko og konklusjon",
            "source": SOURCE,
            "blocks": [
                todo("ros.residual", "Vurdering av restrisiko mot akseptkriteriene:"),
                todo("ros.approval", "Godkjent av (navn, rolle, dato):"),
            ],
        },
    ]
    return {
        "doc_type": "ros",
        "title": DOC_TYPES["ros"],
        "generated_at": now_iso(),
        "source": SOURCE,
        "system": {"id": sd["id"], "key": sd["key"], "name": sd["name"], "revision": sd["revision"]},
        "sections": sections,
    }
