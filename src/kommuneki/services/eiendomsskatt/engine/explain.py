"""Per-dwelling explanations: contributions in kroner that add up exactly to the estimate, and
comparable sales.

Method. The model predicts log value L = log index(t) + b + Σ φ_j, where φ_j are LightGBM's TreeSHAP
contributions (``pred_contrib``) on the log scale and b the expected log value. The base value
B = exp(log index(t) + b) is the value of a typical sold dwelling at the valuation date. Each log
contribution is turned into kroner with the logarithmic mean of E and B (the LMDI decomposition used for
index numbers): c_j = φ_j · (E − B) / (L − log B). The c_j add up exactly to E − B, keep the sign and the
relative size of φ_j, and do not depend on the order of the features (unlike a sequential conversion).
Features built from nearby sales are grouped and named as such.

Two ways to get φ (both add up exactly to the log prediction):

* ``"path"`` (default, used for the whole valuation list): the tree-path attribution of Saabas
  (treeinterpreter). In every tree, each split on the way from the root to the dwelling's leaf moves the
  expected value; that move is credited to the split's feature. A table per tree and leaf is built once
  from the model, so a batch needs only LightGBM's leaf indices (``pred_leaf``, as fast as prediction) and
  one table lookup per tree — about two orders of magnitude faster than TreeSHAP here.
* ``"shap"``: TreeSHAP (``pred_contrib``), exact Shapley values; slower (hundreds of rows a second on a
  busy 2-core machine), so used for single dwellings on demand and to check the path method.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .model import Valuation, ValuationModel, predict_threads

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


def _path_table(model: ValuationModel, groups: list[str], labels: list[str]) -> tuple[np.ndarray, float]:
    """(trees, max leaves, groups) table of path contributions per leaf, and the summed root values."""
    cached = getattr(model, "_path_cache", None)
    if cached is not None:
        return cached
    trees = model.booster.dump_model()["tree_info"]
    n_leaves = max(t["num_leaves"] for t in trees)
    table = np.zeros((len(trees), n_leaves, len(groups)))
    gidx = [groups.index(lab) for lab in labels]
    base = 0.0
    for ti, tree in enumerate(trees):
        root = tree["tree_structure"]
        if "leaf_value" in root:
            base += root["leaf_value"]
            continue
        base += root["internal_value"]
        stack = [(root, np.zeros(len(groups)))]
        while stack:
            node, acc = stack.pop()
            for side in ("left_child", "right_child"):
                child = node[side]
                value = child["leaf_value"] if "leaf_value" in child else child["internal_value"]
                a = acc.copy()
                a[gidx[node["split_feature"]]] += value - node["internal_value"]
                if "leaf_value" in child:
                    table[ti, child["leaf_index"]] = a
                else:
                    stack.append((child, a))
    model._path_cache = (table, base)  # type: ignore[attr-defined]
    return table, base


def contributions(
    model: ValuationModel, valuation: Valuation, *, method: str = "path", chunk: int = 10_000
) -> Contributions:
    """Kroner contributions per feature group for every valued row, chunk by chunk."""
    X = valuation.X
    labels = [group_label(f) for f in model.features]
    groups = list(dict.fromkeys(labels))
    group_matrix = np.zeros((len(model.features), len(groups)))
    for i, lab in enumerate(labels):
        group_matrix[i, groups.index(lab)] = 1.0
    if method == "path":
        table, root_sum = _path_table(model, groups, labels)
        tree_ix = np.arange(table.shape[0])
    elif method != "shap":
        raise ValueError(f"unknown contribution method {method!r}")
    base = np.empty(len(X))
    out = np.empty((len(X), len(groups)))
    for s in range(0, len(X), chunk):
        part = X.iloc[s : s + chunk]
        threads = predict_threads(len(part))
        if method == "path":
            leaves = (
                valuation.leaves[s : s + chunk]
                if valuation.leaves is not None
                else model.booster.predict(part, pred_leaf=True, num_threads=threads).astype(np.intp)
            )
            phi = np.zeros((len(part), len(groups)))
            for t in tree_ix:  # one gather per tree keeps memory at rows × groups
                phi += table[t, leaves[:, t]]
            bias = np.full(len(part), root_sum)
        else:
            raw = model.booster.predict(part, pred_contrib=True, num_threads=threads)
            bias, phi = raw[:, -1], raw[:, :-1] @ group_matrix
        li = valuation.log_index[s : s + chunk]
        log_b = bias + li
        total = phi.sum(axis=1)
        with_features = np.exp(log_b + total)
        base_only = np.exp(log_b)
        small = np.abs(total) < 1e-12
        lm = np.where(small, with_features, (with_features - base_only) / np.where(small, 1.0, total))
        out[s : s + chunk] = phi * lm[:, None]
        base[s : s + chunk] = base_only
    return Contributions(base=base, groups=groups, kroner=out)


def comparables(
    model: ValuationModel,
    frame: pd.DataFrame,
    dates,
    valuation: Valuation,
    *,
    n: int = 5,
    rows: np.ndarray | None = None,
) -> list[list[dict[str, Any]]]:
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
    for i in range(len(frame)) if rows is None else rows:
        idx, dist = valuation.neighbours[i], valuation.distances[i]
        months_ago = np.abs((t_days[i] - s_date[idx]).astype(float)) / 30.4
        score = (
            np.abs(np.log(s_area[idx]) - la[i]) / 0.2
            + dist / max(200.0, float(np.median(dist)))
            + months_ago / 12.0
            + (s_type[idx] != types[i]) * 1.5
        )
        found = []
        for j in np.argsort(score)[:n]:
            s = idx[j]
            found.append(
                {
                    "sale_date": str(s_date[s]),
                    "price": int(round(s_price[s])),
                    "adjusted_price": int(round(s_price[s] * np.exp(li_val[i] - s_li[s]))),
                    "living_area": round(float(s_area[s]), 1),
                    "building_type": str(s_type[s]),
                    "area_code": str(s_code[s]),
                    "distance_m": int(round(dist[j])),
                    "year_built": None if np.isnan(s_year[s]) else int(s_year[s]),
                }
            )
        out.append(found)
    return out


def explanation(
    i: int, valuation: Valuation, contrib: Contributions, comps: list[dict[str, Any]], *, top: int = 6
) -> dict[str, Any]:
    """The structured explanation of row ``i`` (matches the kind's JSON schema)."""
    est = float(valuation.estimate[i])
    k = contrib.kroner[i]
    order = np.argsort(-np.abs(k))
    shown = [int(j) for j in order[:top]]
    rest = float(k[[j for j in range(len(k)) if j not in shown]].sum())
    evidence = [
        {"type": "feature_contribution", "feature": contrib.groups[j], "kroner": round(float(k[j]))}
        for j in shown
    ]
    if len(k) > top:
        evidence.append({"type": "feature_contribution", "feature": "Andre forhold", "kroner": round(rest)})
    # rounding to whole kroner: put the rounding remainder on the base so the sum stays exact
    base = round(est) - sum(e["kroner"] for e in evidence)
    reasons = valuation.reasons[i]
    summary = (
        f"Anslått markedsverdi {fmt_kr(est)} (intervall {fmt_kr(valuation.lower[i])}–"
        f"{fmt_kr(valuation.upper[i])})."
    )
    if reasons:
        summary += " Bør kontrolleres: " + "; ".join(reasons) + "."
    return {
        "summary": summary,
        "estimate": round(est),
        "base_value": int(base),
        "interval": {"lower": round(float(valuation.lower[i])), "upper": round(float(valuation.upper[i]))},
        "evidence": evidence,
        "comparables": comps,
        "flag_reasons": list(reasons),
        "method": "TreeSHAP-bidrag på log-skala omregnet til kroner med logaritmisk middel (LMDI); "
        "bidragene og grunnverdien summerer til anslaget.",
    }


def fmt_kr(v: float) -> str:
    return f"{round(v):,} kr".replace(",", " ")
