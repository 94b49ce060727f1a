"""The tax list (skatteliste) per taxable unit — matrikkelenhet or seksjon, not per building — from the
valuations and the tenant's settings, exported as CSV or Excel for public inspection.

Rules (eigedomsskattelova; the service shows no § numbers to users until each is checked): dwellings get
a reduction factor of 30 % on the value, then the kommune's bunnfradrag per dwelling unit (boenhet) is
deducted, and the rate is in promille, at most 4 ‰ for dwellings. Exempt units are listed with the reason
and no tax.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ....core import exports
from ....core.errors import InvalidInput

MAX_PROMILLE_DWELLING = 4.0
DEFAULT_REDUCTION = 0.30


@dataclass(frozen=True)
class TaxSettings:
    promille: float = 2.0
    bunnfradrag: float = 0.0
    reduction_factor: float = DEFAULT_REDUCTION
    valuation_date: date = date(date.today().year, 1, 1)
    exemptions: dict[str, str] = field(default_factory=dict)  # unit_id -> reason

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> TaxSettings:
        """Validate the tenant's settings. Refuses a rate above 4 ‰ or below 0, a negative bunnfradrag, a
        reduction factor outside 0–1, an unknown key or a bad date."""
        raw = dict(raw or {})
        allowed = {"promille", "bunnfradrag", "reduction_factor", "valuation_date", "exemptions"}
        unknown = sorted(set(raw) - allowed)
        if unknown:
            raise InvalidInput(f"Ukjente innstillinger for eiendomsskatt: {', '.join(unknown)}.")
        try:
            promille = float(raw.get("promille", 2.0))
            bunn = float(raw.get("bunnfradrag", 0.0))
            red = float(raw.get("reduction_factor", DEFAULT_REDUCTION))
            vd = raw.get("valuation_date")
            vdate = date.fromisoformat(str(vd)) if vd else date(date.today().year, 1, 1)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"Ugyldig innstilling for eiendomsskatt: {exc}") from exc
        if not 0.0 <= promille <= MAX_PROMILLE_DWELLING:
            raise InvalidInput(
                f"Skattesatsen for boliger må være mellom 0 og {MAX_PROMILLE_DWELLING:g} promille."
            )
        if bunn < 0:
            raise InvalidInput("Bunnfradraget kan ikke være negativt.")
        if not 0.0 <= red < 1.0:
            raise InvalidInput("Reduksjonsfaktoren må være mellom 0 og 1 (30 % for boliger).")
        ex = raw.get("exemptions") or {}
        if not isinstance(ex, dict):
            raise InvalidInput("Fritak må være en liste over enheter med begrunnelse.")
        return cls(
            promille=promille,
            bunnfradrag=bunn,
            reduction_factor=red,
            valuation_date=vdate,
            exemptions={str(k): str(v) for k, v in ex.items()},
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "promille": self.promille,
            "bunnfradrag": self.bunnfradrag,
            "reduction_factor": self.reduction_factor,
            "valuation_date": self.valuation_date.isoformat(),
            "exemptions": dict(self.exemptions),
        }


def tax_for(
    value: float, settings: TaxSettings, *, dwellings: int = 1, exempt: bool = False
) -> dict[str, Any]:
    """Tax for one unit: value × (1 − reduction) − bunnfradrag × dwellings, at the rate, never below 0."""
    reduced = value * (1.0 - settings.reduction_factor)
    base = max(0.0, reduced - settings.bunnfradrag * dwellings)
    tax = 0.0 if exempt else base * settings.promille / 1000.0
    return {"reduced_value": round(reduced), "tax_base": round(base), "tax": round(tax)}


COLUMNS = [
    ("unit_id", "Eiendom (matrikkelenhet/seksjon)"),
    ("dwellings", "Boenheter"),
    ("market_value", "Markedsverdi (kr)"),
    ("lower", "Nedre grense (kr)"),
    ("upper", "Øvre grense (kr)"),
    ("reduced_value", "Etter reduksjonsfaktor (kr)"),
    ("tax_base", "Skattegrunnlag (kr)"),
    ("promille", "Sats (promille)"),
    ("tax", "Eiendomsskatt (kr)"),
    ("exempt_reason", "Fritak"),
    ("flagged", "Til kontroll"),
    ("flag_reason", "Grunn til kontroll"),
    ("status", "Status"),
    ("valuation_date", "Verdsettelsesdato"),
]


def build_tax_list(valuations: list[dict[str, Any]], settings: TaxSettings) -> list[dict[str, Any]]:
    """One row per taxable unit from per-dwelling valuations (keys: unit_id, value, lower, upper, flagged,
    flag_reason, status). Dwellings sharing a unit id are summed."""
    units: dict[str, dict[str, Any]] = {}
    for v in valuations:
        u = units.setdefault(
            str(v["unit_id"]),
            {
                "unit_id": str(v["unit_id"]),
                "dwellings": 0,
                "market_value": 0.0,
                "lower": 0.0,
                "upper": 0.0,
                "flagged": False,
                "reasons": [],
                "status": set(),
            },
        )
        u["dwellings"] += 1
        u["market_value"] += float(v["value"])
        u["lower"] += float(v.get("lower") or v["value"])
        u["upper"] += float(v.get("upper") or v["value"])
        u["flagged"] = u["flagged"] or bool(v.get("flagged"))
        if v.get("flag_reason"):
            u["reasons"].append(str(v["flag_reason"]))
        u["status"].add(v.get("status") or "")
    rows = []
    for uid in sorted(units):
        u = units[uid]
        reason = settings.exemptions.get(uid)
        t = tax_for(u["market_value"], settings, dwellings=u["dwellings"], exempt=reason is not None)
        rows.append(
            {
                "unit_id": uid,
                "dwellings": u["dwellings"],
                "market_value": round(u["market_value"]),
                "lower": round(u["lower"]),
                "upper": round(u["upper"]),
                **t,
                "promille": settings.promille,
                "exempt_reason": reason or "",
                "flagged": "ja" if u["flagged"] else "nei",
                "flag_reason": "; ".join(u["reasons"]),
                "status": ", ".join(sorted(s for s in u["status"] if s)),
                "valuation_date": settings.valuation_date.isoformat(),
            }
        )
    return rows


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    """Semicolon-separated UTF-8 with BOM (opens correctly in a Norwegian Excel), Norwegian headers."""
    buf = io.StringIO()
    w = exports.csv_writer(buf, delimiter=";", lineterminator="\r\n")  # no cell can be a formula
    w.writerow([label for _k, label in COLUMNS])
    for r in rows:
        w.writerow([str(r[k]).replace(".", ",") if isinstance(r[k], float) else r[k] for k, _l in COLUMNS])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(rows: list[dict[str, Any]]) -> bytes:
    """One sheet "Skatteliste"; text is stored as text, never as a formula (``core.exports``)."""
    return exports.xlsx_bytes(
        [label for _k, label in COLUMNS], ([r[k] for k, _l in COLUMNS] for r in rows), sheet="Skatteliste"
    )
