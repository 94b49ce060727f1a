"""Per-dwelling explanations: contributions in kroner that add up exactly to the estimate, and
comparable sales.

Method. The model predicts log value L = log index(t) + b + Σ φ_j, where φ_j are LightGBM's TreeSHAP
contributions (``pred_contrib``) on the log scale and b the expected log value. The base value
B = exp(log index(t) + b) is the value of a typical sold dwelling at the valuation date. Each log
contribution is turned into kroner with the logarithmic mean of E and B (the LMDI decomposition used for
index numbers): c_j = φ_j · (E − B) / (L − log B). The c_j add up exactly to E − B, keep the sign and the
relative size of φ_j, and do not depend on the order of the features (unlike a sequential conversion).
Features built from nearby sales are grouped and named as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .model import ValuationModel, Valuation

NEIGHBOURHOOD_LABEL = "Priser på lignende salg i nærheten"
GROUP_LABELS = {
    "log_living_area": "Boligareal (BRA)",
    "log_lot_area": "Tomteareal",
    "year_built": "Byggeår",
    "building_type": "Bygningstype",
    "lat": "Beliggenhet (kartposisjon)",
    "lon": "Beliggenhet (kartposisjon)",
    "area_lppm2": "Prisnivået i området",
}


def group_label(feature: str) -> str:
    if feature.startswith("nb_"):
        return NEIGHBOURHOOD_LABEL
    if feature.startswith("x_"):
        return f"Annen egenskap: {feature[2:]}"
    return GROUP_LABELS.get(feature, feature)


@dataclass
class Contributions:
    base: np.ndarray  # kroner, typical dwelling at the valuation date
    groups: list[str]
    kroner: np.ndarray  # (rows, groups); base + row sum == estimate


def contributions(model: ValuationModel, valuation: Valuation, *, chunk: int = 20_000) -> Contributions:
    """Kroner contributions per feature group for every valued row (chunked TreeSHAP)."""
    X = valuation.X
    labels = [group_label(f) for f in model.features]
    groups = list(dict.fromkeys(labels))
    G = np.zeros((len(model.features), len(groups)))
    for i, lab in enumerate(labels):
        G[i, groups.index(lab)] = 1.0
    base = np.empty(len(X))
    out = np.empty((len(X), len(groups)))
    for s in range(0, len(X), chunk):
        phi = model.booster.predict(X.iloc[s:s + chunk], pred_contrib=True, num_threads=2)
        bias, phi = phi[:, -1], phi[:, :-1]
        li = valuation.log_index[s:s + chunk]
        log_b = bias + li
        total = phi.sum(axis=1)
        E = np.exp(log_b + total)
        B = np.exp(log_b)
        small = np.abs(total) < 1e-12
        lm = np.where(small, E, (E - B) / np.where(small, 1.0, total))
        out[s:s + chunk] = (phi * lm[:, None]) @ G
        base[s:s + chunk] = B
    return Contributions(base=base, groups=groups, kroner=out)


def comparables(model: ValuationModel, frame: pd.DataFrame, dates, valuation: Valuation, *, n: int = 5,
                rows: np.ndarray | None = None) -> list[list[dict[str, Any]]]:
    """Up to ``n`` comparable training sales per row (or per row in ``rows``): similar (type, size), near
    and recent, scored on all three among the nearest sales; each with its price and date, its price moved
    to the valuation date by the price index, its size and distance."""
    from .features import month_number

    sales = model.neighbourhood.sales
    s_date = sales["sale_date"].to_numpy(dtype="datetime64[D]")
    s_price = sales["price"].to_numpy(dtype=float)
    s_area = sales["living_area"].to_numpy(dtype=float)
    s_type = sales["building_type"].to_numpy()
    s_code = sales["area_code"].astype(str).to_numpy()
    s_year = sales["year_built"].to_numpy(dtype=float)
    s_li = model.index.log_at(month_number(sales["sale_date"]))
    t_val = pd.DatetimeIndex(dates)
    li_val = model.index.log_at(month_number(t_val))
    t_days = t_val.to_numpy(dtype="datetime64[D]")
    la = np.log(frame["living_area"].to_numpy(dtype=float))
    types = frame["building_type"].to_numpy()
    out = []
    for i in (range(len(frame)) if rows is None else rows):
        idx, dist = valuation.neighbours[i], valuation.distances[i]
        months_ago = np.abs((t_days[i] - s_date[idx]).astype(float)) / 30.4
        score = (np.abs(np.log(s_area[idx]) - la[i]) / 0.2 + dist / max(200.0, float(np.median(dist)))
                 + months_ago / 12.0 + (s_type[idx] != types[i]) * 1.5)
        found = []
        for j in np.argsort(score)[:n]:
            s = idx[j]
            found.append({"sale_date": str(s_date[s]), "price": int(round(s_price[s])),
                          "adjusted_price": int(round(s_price[s] * np.exp(li_val[i] - s_li[s]))),
                          "living_area": round(float(s_area[s]), 1), "building_type": str(s_type[s]),
                          "area_code": str(s_code[s]), "distance_m": int(round(dist[j])),
                          "year_built": None if np.isnan(s_year[s]) else int(s_year[s])})
        out.append(found)
    return out


def explanation(i: int, valuation: Valuation, contrib: Contributions, comps: list[dict[str, Any]],
                *, top: int = 6) -> dict[str, Any]:
    """The structured explanation of row ``i`` (matches the kind's JSON schema)."""
    est = float(valuation.estimate[i])
    k = contrib.kroner[i]
    order = np.argsort(-np.abs(k))
    shown = [int(j) for j in order[:top]]
    rest = float(k[[j for j in range(len(k)) if j not in shown]].sum())
    evidence = [{"type": "feature_contribution", "feature": contrib.groups[j], "kroner": round(float(k[j]))}
                for j in shown]
    if len(k) > top:
        evidence.append({"type": "feature_contribution", "feature": "Andre forhold", "kroner": round(rest)})
    # rounding to whole kroner: put the rounding remainder on the base so the sum stays exact
    base = round(est) - sum(e["kroner"] for e in evidence)
    reasons = valuation.reasons[i]
    summary = (f"Anslått markedsverdi {fmt_kr(est)} (intervall {fmt_kr(valuation.lower[i])}–"
               f"{fmt_kr(valuation.upper[i])}).")
    if reasons:
        summary += " Bør kontrolleres: " + "; ".join(reasons) + "."
    return {"summary": summary, "estimate": round(est), "base_value": int(base),
            "interval": {"lower": round(float(valuation.lower[i])), "upper": round(float(valuation.upper[i]))},
            "evidence": evidence, "comparables": comps, "flag_reasons": list(reasons),
            "method": "TreeSHAP-bidrag på log-skala omregnet til kroner med logaritmisk middel (LMDI); "
                      "bidragene og grunnverdien summerer til anslaget."}


def fmt_kr(v: float) -> str:
    return f"{round(v):,} kr".replace(",", " ")
