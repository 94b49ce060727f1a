"""DPIA (personvernforordningen art. 35) in Norwegian, prefilled from the register, the model cards, the
AI Act classification and monitoring; the parts a person must write are ``todo`` blocks.

Structure: the four parts art. 35 nr. 7 requires (systematic description; necessity and
proportionality; risks to the data subjects' rights and freedoms; measures), with the data protection
officer's advice (art. 35 nr. 2), the data subjects' views (art. 35 nr. 9) and the conclusion on prior
consultation (art. 36), as Datatilsynet's guidance on DPIA lays them out (check the current guidance
before publishing: the headings are ours, the content requirements are the article's).
"""

from __future__ import annotations

from typing import Any

from .documents import DOC_TYPES, now_iso, todo

SOURCE = (
    "Personvernforordningen art. 35 og 36; Datatilsynets veileder om vurdering av "
    "personvernkonsekvenser (sjekk)"
)


def _or(value: Any, fallback: str = "Ikke registrert") -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) if value else fallback
    return str(value) if value not in (None, "") else fallback


def model_rows(models: list[dict[str, Any]]) -> list[list[Any]]:
    rows = []
    for m in models:
        td = m.get("training_data") or {}
        metrics = "; ".join(f"{k}: {v}" for k, v in (m.get("metrics") or {}).items()) or "Ikke målt"
        rows.append(
            [
                f"{m.get('name')} {m.get('version')} ({m.get('origin')})",
                f"{td.get('description', '')} ({td.get('rows', 0)} rader"
                + (", personopplysninger" if td.get("personal_data") else "")
                + ")",
                metrics,
                " ".join(m.get("limitations") or []) or "Ingen oppgitt",
            ]
        )
    return rows


def system_facts(sd: dict[str, Any], tenant_name: str) -> list[list[Any]]:
    lb = sd["legal_basis"]
    return [
        ["System", sd["name"]],
        ["Behandlingsansvarlig", tenant_name],
        ["Formål", _or(sd["purpose"])],
        ["Eier (enhet)", _or(sd["owner_unit"])],
        ["Ansvarlig person", _or(sd["owner_person"])],
        ["Leverandør", _or(sd["supplier"])],
        ["Tjenesteområde", _or(sd["service_area"])],
        ["Status", _or(sd["status"])],
        ["Behandlingsgrunnlag (art. 6)", _or(lb["art6"])],
        ["Særlige kategorier (art. 9)", _or(lb["art9"], "Ingen registrert")],
        ["Særlov", _or(lb["sector_law"])],
        ["Kategorier av personopplysninger", _or(sd["data_categories"])],
        ["Påvirker beslutninger om enkeltpersoner", "Ja" if sd["affects_individuals"] else "Nei"],
        ["Menneskelig kontroll", _or(sd["human_oversight"])],
        [
            "Grunnlag for trening på personopplysninger",
            _or(
                sd.get("training_legal_basis"),
                "Ikke registrert – modellene skal ikke trenes på personopplysninger",
            ),
        ],
    ]


def aiact_blocks(assessment: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not assessment:
        return [
            todo(
                "aiact.missing",
                "Klassifiseringen etter KI-forordningen er ikke gjort. Kjør spørreskjemaet "
                "i KI-registeret og generer dokumentet på nytt.",
            )
        ]
    rows = [
        [
            a["article"],
            a["title"],
            a["duty"],
            f"{a['source']}; gjelder fra {a['applies_from']}" + (" (sjekk)" if a["check"] else ""),
        ]
        for a in assessment["articles"]
    ]
    blocks: list[dict[str, Any]] = [
        {
            "type": "facts",
            "rows": [
                ["Risikoklasse", assessment["risk_label"]],
                ["Vedlegg III", ", ".join(p["point"] for p in assessment["annex_iii"]) or "Ingen"],
            ],
        }
    ]
    if rows:
        blocks.append({"type": "table", "header": ["Artikkel", "Tittel", "Plikt", "Kilde"], "rows": rows})
    for n in assessment.get("notes", []):
        blocks.append({"type": "text", "text": f"{n['text']} (Kilde: {n['source']})"})
    return blocks


def monitoring_rows(report: dict[str, Any] | None) -> list[list[Any]]:
    if not report:
        return []
    rows = []
    for v in report["versions"]:
        pct = lambda x: "–" if x is None else f"{round(x * 100)} %"  # noqa: E731
        rows.append(
            [
                v["model"],
                v["volume"],
                v["decided"],
                pct(v["accepted"]),
                pct(v["override_rate"]),
                pct(v["automated"]),
            ]
        )
    return rows


def build(
    sd: dict[str, Any], *, tenant_name: str, assessment: dict[str, Any] | None, report: dict[str, Any] | None
) -> dict[str, Any]:
    """The DPIA content for one register entry (``sd`` from :func:`register.system_dict`)."""
    mon = monitoring_rows(report)
    sections = [
        {
            "heading": "1. Om vurderingen",
            "source": "Personvernforordningen art. 35 nr. 1 og 2",
            "blocks": [
                {
                    "type": "text",
                    "text": "Dokumentet er et utkast laget av kommuneki fra KI-registeret. Fakta er "
                    "hentet fra registeret, modellkortene og overvåkingen på datoen over.",
                },
                todo("dpia.responsible", "Hvem har gjennomført vurderingen, og når?"),
                todo("dpia.dpo_advice", "Personvernombudets råd (art. 35 nr. 2):"),
            ],
        },
        {
            "heading": "2. Systematisk beskrivelse av behandlingen",
            "source": "Personvernforordningen art. 35 nr. 7 bokstav a",
            "blocks": [
                {"type": "facts", "rows": system_facts(sd, tenant_name)},
                {"type": "text", "text": "Modeller som brukes (fra modellregisteret og modellkortene):"},
                {
                    "type": "table",
                    "header": ["Modell", "Treningsdata", "Målt ytelse", "Kjente begrensninger"],
                    "rows": model_rows(sd["models"]) or [["Ingen modeller registrert", "", "", ""]],
                },
                todo(
                    "dpia.data_subjects",
                    "Hvem er de registrerte (innbyggere, ansatte, barn …), og omtrent hvor mange?",
                ),
                todo(
                    "dpia.recipients",
                    "Hvem får tilgang til opplysningene (mottakere, databehandlere, overføring utenfor EØS)?",
                ),
                todo("dpia.retention", "Hvor lenge lagres opplysningene, og hvordan slettes de?"),
            ],
        },
        {
            "heading": "3. Nødvendighet og forholdsmessighet",
            "source": "Personvernforordningen art. 35 nr. 7 bokstav b, art. 5 og 22",
            "blocks": [
                {
                    "type": "text",
                    "text": "Systemet gir forslag; en person avgjør. "
                    + (
                        "Det brukes i beslutninger om enkeltpersoner, så art. 22 (automatiserte "
                        "avgjørelser) må vurderes for eventuell automatisering."
                        if sd["affects_individuals"]
                        else "Det brukes ikke til beslutninger om enkeltpersoner etter registeret."
                    ),
                },
                todo(
                    "dpia.necessity",
                    "Hvorfor er behandlingen nødvendig for formålet, og hvorfor kan ikke et "
                    "mindre inngripende alternativ brukes?",
                ),
                todo(
                    "dpia.minimisation",
                    "Hvordan begrenses opplysningene til det som trengs (dataminimering)?",
                ),
                todo(
                    "dpia.information",
                    "Hvordan får de registrerte informasjon (art. 13 og 14) og ivaretas "
                    "retten til innsyn, retting og protest?",
                ),
            ],
        },
        {
            "heading": "4. Risiko for de registrertes rettigheter og friheter",
            "source": "Personvernforordningen art. 35 nr. 7 bokstav c",
            "blocks": [
                {
                    "type": "table",
                    "header": ["Risiko", "Hva registeret viser", "Sannsynlighet", "Konsekvens"],
                    "rows": [
                        [
                            "Feil eller skjeve forslag fører til feil avgjørelse",
                            "Se målt ytelse og begrensninger i punkt 2."
                            + (f" Overstyrt andel: {mon[0][4]}." if mon else ""),
                            {"todo": "dpia.r1.p"},
                            {"todo": "dpia.r1.k"},
                        ],
                        [
                            "Saksbehandlere stoler for mye på forslagene (automatiseringsskjevhet)",
                            "Andel godtatt uten endring vises i overvåkingen.",
                            {"todo": "dpia.r2.p"},
                            {"todo": "dpia.r2.k"},
                        ],
                        [
                            "Personopplysninger i modeller eller logger kommer på avveie",
                            "Revisjonsloggen lagrer bare id-er og sjekksummer; modeller trent på "
                            "personopplysninger kan "
                            "ikke eksporteres uten registrert grunnlag.",
                            {"todo": "dpia.r3.p"},
                            {"todo": "dpia.r3.k"},
                        ],
                        [
                            "Den registrerte forstår ikke hvordan KI ble brukt",
                            "Hvert forslag har en strukturert forklaring; åpenhetssiden viser systemet.",
                            {"todo": "dpia.r4.p"},
                            {"todo": "dpia.r4.k"},
                        ],
                    ],
                },
                todo("dpia.other_risks", "Andre risikoer for de registrerte:"),
            ],
        },
        {
            "heading": "5. Tiltak",
            "source": "Personvernforordningen art. 35 nr. 7 bokstav d og art. 25 og 32",
            "blocks": [
                {
                    "type": "text",
                    "text": "Tiltak som er på plass i kommuneki: en person avgjør hvert forslag; "
                    "automatisering er av som standard og logges; revisjonslogg med hash-kjede; "
                    "data for hver kommune er skilt i datalaget; ingen kall til eksterne "
                    "KI-tjenester; overvåking med varsel ved høy overstyring eller drift "
                    f"(terskler: overstyring {round(sd['thresholds']['override_rate'] * 100)} %, "
                    f"drift PSI {sd['thresholds']['drift_psi']}).",
                },
                {
                    "type": "table",
                    "header": ["Modellversjon", "Forslag", "Avgjort", "Godtatt", "Overstyrt", "Automatisk"],
                    "rows": mon or [["Ingen forslag registrert ennå", "", "", "", "", ""]],
                },
                todo("dpia.measures", "Øvrige tiltak, med ansvarlig og frist:"),
            ],
        },
        {
            "heading": "6. KI-forordningen",
            "source": "KI-forordningen (EU) 2024/1689",
            "blocks": aiact_blocks(assessment),
        },
        {
            "heading": "7. De registrertes syn",
            "source": "Personvernforordningen art. 35 nr. 9",
            "blocks": [
                todo(
                    "dpia.views",
                    "Hvordan er synspunktene til de registrerte eller deres representanter innhentet?",
                )
            ],
        },
        {
            "heading": "8. Konklusjon",
            "source": "Personvernforordningen art. 36",
            "blocks": [
                todo(
                    "dpia.conclusion",
                    "Er restrisikoen akseptabel? Må Datatilsynet konsulteres på forhånd (art. 36)?",
                ),
                todo("dpia.approval", "Godkjent av (navn, rolle, dato):"),
            ],
        },
    ]
    return {
        "doc_type": "dpia",
        "title": DOC_TYPES["dpia"],
        "generated_at": now_iso(),
        "source": SOURCE,
        "system": {"id": sd["id"], "key": sd["key"], "name": sd["name"], "revision": sd["revision"]},
        "sections": sections,
    }
