"""The AI Act questionnaire and classification, with the law kept as data (``data/aiact.yaml``).

Pure logic: answers in, result out. :func:`classify` walks the rules in the YAML file: prohibited
practices (art. 5) first, then the annex III areas (with the art. 6(3) exception for narrow tasks that do
not profile people), then the transparency duties (art. 50), general-purpose AI (chapter V) and AI
literacy (art. 4). Every article in the result carries its duty, its source, the date it applies from
(itself with a source) and whether it is marked ``check``.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kommuneki.core.errors import InvalidInput

RULES_PATH = Path(__file__).resolve().parent / "data" / "aiact.yaml"


@dataclass(frozen=True)
class Rules:
    data: dict[str, Any]
    sha256: str

    @property
    def questions(self) -> list[dict[str, Any]]:
        return self.data["questions"]

    def question(self, qid: str) -> dict[str, Any]:
        for q in self.questions:
            if q["id"] == qid:
                return q
        raise KeyError(qid)

    def risk_label(self, code: str, malform: str = "bokmal") -> str:
        rc = self.data["risk_classes"][code]
        return rc["label_nn"] if malform == "nynorsk" else rc["label"]


@functools.lru_cache(maxsize=4)
def load_rules(path: Path = RULES_PATH) -> Rules:
    raw = path.read_bytes()
    data = yaml.safe_load(raw)
    for name in ("dates", "articles", "questions", "annex_iii", "risk_classes"):
        if name not in data:
            raise ValueError(f"{path}: section {name!r} missing")
    for key, art in data["articles"].items():
        if art.get("applies_from") not in data["dates"]:
            raise ValueError(f"{path}: article {key} applies from an unknown date")
        if not art.get("source"):
            raise ValueError(f"{path}: article {key} has no source")
    return Rules(data=data, sha256=hashlib.sha256(raw).hexdigest())


def _matches(when: dict[str, Any] | None, answers: dict[str, Any]) -> bool:
    if not when:
        return True
    for qid, expected in when.items():
        got = answers.get(qid)
        if isinstance(expected, list):
            if got not in expected:
                return False
        elif got != expected:
            return False
    return True


def visible_questions(rules: Rules, answers: dict[str, Any]) -> list[dict[str, Any]]:
    return [q for q in rules.questions if _matches(q.get("when"), answers)]


def normalise_answers(rules: Rules, raw: dict[str, Any]) -> dict[str, Any]:
    """Check answers against the questionnaire; fill defaults. Refuses unknown questions, unknown options
    and unanswered visible questions, with a Norwegian message naming the question."""
    unknown = set(raw) - {q["id"] for q in rules.questions}
    if unknown:
        raise InvalidInput(f"Ukjente spørsmål: {', '.join(sorted(unknown))}")
    answers: dict[str, Any] = {}
    for q in rules.questions:
        if not _matches(q.get("when"), answers):
            continue
        value = raw.get(q["id"], q.get("default"))
        if q["type"] == "multi":
            value = [] if value in (None, "") else ([value] if isinstance(value, str) else list(value))
            bad = [v for v in value if v not in q["options"]]
            if bad:
                raise InvalidInput(f"Ugyldig svar på «{q['text']}»: {', '.join(bad)}")
            answers[q["id"]] = sorted(set(value))
            continue
        if isinstance(value, bool):
            value = "ja" if value else "nei"
        if value in (None, ""):
            raise InvalidInput(
                f"Svar på spørsmålet: «{q['text'].strip()}»",
                details=[{"field": q["id"], "message": "Feltet mangler."}],
            )
        allowed = ("ja", "nei") if q["type"] == "yesno" else tuple(q["options"])
        if value not in allowed:
            raise InvalidInput(
                f"Ugyldig svar på «{q['text'].strip()}»: {value}",
                details=[{"field": q["id"], "message": "Ugyldig verdi."}],
            )
        answers[q["id"]] = value
    return answers


def _article(rules: Rules, key: str, reason: str) -> dict[str, Any]:
    art = rules.data["articles"][key]
    date = rules.data["dates"][art["applies_from"]]
    return {
        "article": key,
        "title": art["title"],
        "duty": " ".join(art["duty"].split()),
        "reason": reason,
        "source": art["source"],
        "applies_from": date["date"],
        "applies_from_source": date["source"],
        "note": art.get("note"),
        "check": bool(art.get("check") or date.get("check")),
    }


def classify(rules: Rules, raw_answers: dict[str, Any]) -> dict[str, Any]:
    """Turn questionnaire answers into a risk class with the articles and duties that apply.

    Returns ``{"risk_class", "risk_label", "annex_iii": [points], "articles": [...], "notes": [...],
    "answers", "rules_version", "rules_sha256"}``. Raises :class:`InvalidInput` on incomplete answers.
    """
    a = normalise_answers(rules, raw_answers)
    articles: list[dict[str, Any]] = []
    notes: list[dict[str, str]] = []
    annex: list[dict[str, str]] = []

    def add(key: str, reason: str) -> None:
        if key not in {x["article"] for x in articles}:
            articles.append(_article(rules, key, reason))

    if a["ki_system"] == "nei":
        notes.append(
            {
                "text": "Systemet er ikke et KI-system etter forordningen, og pliktene gjelder ikke. "
                "Personvernregelverket gjelder likevel når det behandles personopplysninger.",
                "source": "KI-forordningen art. 3 nr. 1",
            }
        )
        risk = "utenfor"
    elif a["prohibited"]:
        q = rules.question("prohibited")
        add("art. 5", "; ".join(q["options"][p] for p in a["prohibited"]))
        risk = "forbudt"
    else:
        deployer = a["role"] == "idriftsetter"
        for point in rules.data["annex_iii"]:
            if _matches(point["when"], a):
                annex.append({"point": point["point"], "title": point["title"], "source": point["source"]})
        for near in rules.data.get("not_annex", []):
            if _matches(near["when"], a):
                notes.append({"text": " ".join(near["text"].split()), "source": near["source"]})
        derogation = bool(annex) and a["narrow_task"] == "ja" and a["profiling"] == "nei"
        if annex and not derogation:
            risk = "hoy"
            why = "Høyrisikoområde: " + "; ".join(
                f"vedlegg III nr. {p['point']} ({p['title']})" for p in annex
            )
            if deployer:
                add("art. 26", why)
                if a["public_body"] == "ja":
                    add("art. 27", "Offentlig organ som tar i bruk et høyrisikosystem.")
                    add("art. 49", "Offentlig organ som tar i bruk et høyrisikosystem.")
                add("art. 86", why)
                add(
                    "art. 25",
                    "Gjelder hvis kommunen endrer systemet vesentlig eller bruker det til et annet formål.",
                )
            else:
                for key in ("art. 9-15", "art. 16-17", "art. 43", "art. 49", "art. 72"):
                    add(key, why)
                add("art. 26", "Kommunen tar også selv systemet i bruk.")
                if a["public_body"] == "ja":
                    add("art. 27", "Offentlig organ som tar i bruk et høyrisikosystem.")
                add("art. 86", why)
        else:
            risk = "minimal"
            if derogation:
                add(
                    "art. 6(3)",
                    "Området er i vedlegg III, men oppgaven er snever og profilerer ikke personer.",
                )
                if not deployer:
                    add("art. 49(2)", "Unntatt etter art. 6 nr. 3.")
            elif annex == [] and a["profiling"] == "ja" and a["individual"] == "enkeltpersoner":
                notes.append(
                    {
                        "text": "Systemet profilerer personer. Det gjør det ikke til høyrisiko utenfor "
                        "vedlegg III, men krever et klart rettslig grunnlag og trolig en DPIA.",
                        "source": "Personvernforordningen art. 22 og 35",
                    }
                )
        if a["interacts"] == "ja":
            add("art. 50(1)", "Systemet samhandler direkte med personer.")
        if a["generates"] == "ja":
            add("art. 50(2)", "Systemet lager syntetisk innhold.")
        if a["emotion"] == "ja":
            add("art. 50(3)", "Følelsesgjenkjenning eller biometrisk kategorisering.")
        if a["publishes_text"] == "ja":
            add("art. 50(4)", "Generert tekst publiseres til offentligheten uten redaksjonell kontroll.")
        if risk == "minimal" and any(x["article"].startswith("art. 50") for x in articles):
            risk = "begrenset"
        if a["gpai"] == "tilbyr_modell":
            add("art. 53", "Kommunen tilbyr en allmenn KI-modell.")
        elif a["gpai"] == "bygger_pa":
            notes.append(
                {
                    "text": "Systemet bygger på en allmenn KI-modell. Pliktene i art. 53 ligger på "
                    "modellens tilbyder; be leverandøren om dokumentasjonen (art. 53 nr. 1 b).",
                    "source": "KI-forordningen art. 53",
                }
            )
        add("art. 4", "Gjelder alle som tilbyr eller tar i bruk KI-systemer.")
    return {
        "risk_class": risk,
        "risk_label": rules.risk_label(risk),
        "annex_iii": annex,
        "articles": articles,
        "notes": notes,
        "answers": a,
        "rules_version": rules.data["version"],
        "rules_sha256": rules.sha256,
    }


def dates(rules: Rules) -> list[dict[str, Any]]:
    return [{"key": k, **v} for k, v in sorted(rules.data["dates"].items(), key=lambda kv: kv[1]["date"])]


# Answers for typical systems, used by the demo and the tests: a plain statement of facts about the
# system, from which the rules derive the class (the class is never written here).
EXAMPLES: dict[str, dict[str, Any]] = {
    "innbyggerchatbot": {
        "ki_system": "ja",
        "role": "idriftsetter",
        "prohibited": [],
        "area": "informasjon",
        "individual": "aggregert",
        "narrow_task": "nei",
        "profiling": "nei",
        "interacts": "ja",
        "generates": "ja",
        "publishes_text": "nei",
        "emotion": "nei",
        "gpai": "bygger_pa",
        "public_body": "ja",
    },
    "copilot": {
        "ki_system": "ja",
        "role": "idriftsetter",
        "prohibited": [],
        "area": "intern",
        "individual": "aggregert",
        "narrow_task": "nei",
        "profiling": "nei",
        "interacts": "ja",
        "generates": "ja",
        "publishes_text": "nei",
        "emotion": "nei",
        "gpai": "bygger_pa",
        "public_body": "ja",
    },
}
