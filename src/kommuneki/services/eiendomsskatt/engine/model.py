"""The valuation model (LightGBM on log(price / index), monotone where the domain demands it) and the
transparent baseline (SSB-style hedonic OLS on log price).

Time: the target is the log price deflated by a hedonic price index fitted on training sales; a
valuation at date t multiplies back by the index at t (extrapolated along its recent trend past the
last training month), so trees never have to extrapolate the date.
"""

from __future__ import annotations

import hashlib
import io
import pickle
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from .features import Neighbourhood, PriceIndex, fit_price_index, month_number
from .intervals import ConformalInterval, calibrate
from .mapping import BUILDING_TYPES

TYPE_CODES = {t: i for i, t in enumerate(BUILDING_TYPES + ("ukjent",))}
PARAMS: dict[str, Any] = {
    "objective": "regression",
    "learning_rate": 0.06,
    "num_leaves": 31,
    "max_depth": 7,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "verbose": -1,
    "seed": 7,
    "num_threads": 1,
}
NUM_TREES = 400
# Training runs on one thread: OpenMP threads spin badly on a shared, busy 2-core machine. Prediction
# uses two threads only for large batches, where the work outweighs the spinning.
PREDICT_THREADS = 2
PARALLEL_ROWS = 20_000


def predict_threads(rows: int) -> int:
    return PREDICT_THREADS if rows >= PARALLEL_ROWS else 1


BASE_FEATURES = ["log_living_area", "log_lot_area", "year_built", "building_type", "lat", "lon"]
# Features built from nearby sales never use the dwelling's own size (nor its price), so that more living
# area can only raise the value (log_living_area is the one place size enters, constrained upwards).
SPATIAL_FEATURES = ["nb_lppm2_k", "nb_lppm2_wide", "nb_lppm2_sd", "nb_dist_k", "area_lppm2"]
MONOTONE_UP = {"log_living_area", "nb_lppm2_k", "nb_lppm2_wide", "area_lppm2"}


@dataclass
class Coverage:
    """What the training sales cover; a dwelling outside it is flagged with the reason."""

    area_range: tuple[float, float]
    year_range: tuple[float, float]
    type_counts: dict[str, int]
    area_counts: dict[str, int]
    dist_cap: float  # 99th percentile of the distance to the 10th nearest sale, metres

    @classmethod
    def fit(cls, frame: pd.DataFrame, dist_k: np.ndarray) -> Coverage:
        la = frame["living_area"].to_numpy(dtype=float)
        yb = frame["year_built"].dropna().to_numpy(dtype=float)
        return cls(
            area_range=(float(np.quantile(la, 0.005)), float(np.quantile(la, 0.995))),
            year_range=(float(yb.min()), float(yb.max())) if len(yb) else (0.0, 9999.0),
            type_counts=frame["building_type"].value_counts().to_dict(),
            area_counts=frame["area_code"].astype(str).value_counts().to_dict(),
            dist_cap=float(np.quantile(dist_k, 0.99)),
        )

    def reasons(self, frame: pd.DataFrame, dist_k: np.ndarray) -> list[list[str]]:
        la = frame["living_area"].to_numpy(dtype=float)
        yb = frame["year_built"].to_numpy(dtype=float)
        out: list[list[str]] = [[] for _ in range(len(frame))]
        types = frame["building_type"].to_numpy()
        codes = frame["area_code"].astype(str).to_numpy()
        few_type = pd.Series(types).map(self.type_counts).fillna(0).to_numpy() < 20
        uniq, inv = np.unique(codes, return_inverse=True)
        few_area = (
            np.array([bool(c) and self.area_counts.get(c, 0) < 5 for c in uniq])[inv]
            if len(codes)
            else few_type
        )
        issue = (
            (la < self.area_range[0])
            | (la > self.area_range[1])
            | few_type
            | few_area
            | (dist_k > self.dist_cap)
            | (~np.isnan(yb) & ((yb < self.year_range[0]) | (yb > self.year_range[1])))
        )
        for i in np.flatnonzero(issue):
            a, y, t, code, d = la[i], yb[i], types[i], codes[i], dist_k[i]
            if a < self.area_range[0]:
                out[i].append(
                    f"uvanlig liten bolig ({a:.0f} m²; salgene dekker {self.area_range[0]:.0f}–"
                    f"{self.area_range[1]:.0f} m²)"
                )
            elif a > self.area_range[1]:
                out[i].append(
                    f"uvanlig stor bolig ({a:.0f} m²; salgene dekker {self.area_range[0]:.0f}–"
                    f"{self.area_range[1]:.0f} m²)"
                )
            if not np.isnan(y) and not self.year_range[0] <= y <= self.year_range[1]:
                out[i].append(
                    f"byggeår {y:.0f} utenfor salgene ({self.year_range[0]:.0f}–{self.year_range[1]:.0f})"
                )
            if self.type_counts.get(t, 0) < 20:
                out[i].append(f"få salg av bygningstypen {t} ({self.type_counts.get(t, 0)})")
            if code and self.area_counts.get(code, 0) < 5:
                out[i].append(f"få salg i området {code} ({self.area_counts.get(code, 0)})")
            if d > self.dist_cap:
                out[i].append(
                    f"langt til nærmeste salg ({d / 1000:.1f} km til de ti nærmeste)".replace(".", ",")
                )
        return out


@dataclass
class Valuation:
    estimate: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    flagged: np.ndarray
    reasons: list[list[str]]
    log_index: np.ndarray
    X: pd.DataFrame
    neighbours: np.ndarray
    distances: np.ndarray
    leaves: np.ndarray | None = None  # LightGBM leaf index per row and tree (for the contributions)


@dataclass
class ValuationModel:
    index: PriceIndex
    neighbourhood: Neighbourhood
    booster: lgb.Booster
    features: list[str]
    extras: list[str]
    interval: ConformalInterval | None
    coverage: Coverage
    training: dict[str, Any] = field(default_factory=dict)

    def design(self, frame: pd.DataFrame, *, exclude_self: bool = False):
        idx, dist = self.neighbourhood.query(frame, exclude_self=exclude_self)
        X = design_matrix(frame, self.extras)
        X = pd.concat([X, self.neighbourhood.features(frame, idx, dist, exclude_self=exclude_self)], axis=1)
        return X[self.features], idx, dist

    def value(self, frame: pd.DataFrame, dates: pd.Series | np.ndarray) -> Valuation:
        """Value each row of ``frame`` at its date in ``dates`` (no price needed)."""
        X, idx, dist = self.design(frame)
        li = self.index.log_at(month_number(dates))
        leaves = self.booster.predict(X, pred_leaf=True, num_threads=predict_threads(len(X))).astype(np.int32)
        est = np.exp(self.leaf_values()[np.arange(leaves.shape[1]), leaves].sum(axis=1) + li)
        if self.interval is not None:
            lo, hi = self.interval.bounds(est, X["nb_lppm2_sd"].to_numpy())
            wide = (hi - lo) / est > self.interval.width_flag
        else:
            lo, hi, wide = est, est, np.zeros(len(est), dtype=bool)
        k = min(self.neighbourhood.k, dist.shape[1]) - 1
        reasons = self.coverage.reasons(frame, dist[:, k])
        for i in np.flatnonzero(wide):
            reasons[i].insert(0, f"bredt verdiintervall ({(hi[i] - lo[i]) / est[i]:.0%} av verdien)")
        flagged = np.array([bool(r) for r in reasons])
        return Valuation(
            estimate=est,
            lower=lo,
            upper=hi,
            flagged=flagged,
            reasons=reasons,
            log_index=li,
            X=X,
            neighbours=idx,
            distances=dist,
            leaves=leaves,
        )

    def leaf_values(self) -> np.ndarray:
        """(trees, max leaves) table of leaf outputs: a row's raw prediction is the sum over trees of its
        leaves' values, so one ``pred_leaf`` call serves both the estimate and the contributions."""
        cached = getattr(self, "_leaf_values", None)
        if cached is None:
            trees = self.booster.dump_model()["tree_info"]
            cached = np.zeros((len(trees), max(t["num_leaves"] for t in trees)))
            for ti, t in enumerate(trees):
                stack = [t["tree_structure"]]
                while stack:
                    node = stack.pop()
                    if "leaf_value" in node:
                        cached[ti, node.get("leaf_index", 0)] = node["leaf_value"]
                    else:
                        stack += [node["left_child"], node["right_child"]]
            self._leaf_values = cached
        return cached

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        state = {
            **{k: v for k, v in self.__dict__.items() if not k.startswith("_")},
            "booster": self.booster.model_to_string(),
        }
        pickle.dump(state, buf, protocol=pickle.HIGHEST_PROTOCOL)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> ValuationModel:
        state = pickle.loads(data)  # noqa: S301 - our own artifact, verified by sha256 in the registry
        state["booster"] = lgb.Booster(model_str=state["booster"])
        return cls(**state)


def design_matrix(frame: pd.DataFrame, extras: list[str]) -> pd.DataFrame:
    X = pd.DataFrame(index=frame.index)
    X["log_living_area"] = np.log(frame["living_area"].to_numpy(dtype=float))
    X["log_lot_area"] = np.log1p(frame["lot_area"].astype(float).fillna(0).to_numpy())
    X["year_built"] = frame["year_built"].astype(float).to_numpy()
    X["building_type"] = frame["building_type"].map(TYPE_CODES).fillna(TYPE_CODES["ukjent"]).astype(int)
    X["lat"] = frame["lat"].astype(float).to_numpy()
    X["lon"] = frame["lon"].astype(float).to_numpy()
    for c in extras:
        X[c] = frame[c].astype(float).to_numpy() if c in frame else np.nan
    return X


def _fit_once(
    frame: pd.DataFrame,
    extras: list[str],
    monotone: list[str],
    *,
    trend_months: int,
    num_trees: int,
    params: dict[str, Any],
) -> ValuationModel:
    frame = frame.sort_values("sale_date")
    index = fit_price_index(frame, trend_months=trend_months)
    nb = Neighbourhood.fit(frame, index)
    features = BASE_FEATURES + extras + SPATIAL_FEATURES
    model = ValuationModel(
        index=index,
        neighbourhood=nb,
        booster=None,
        features=features,
        extras=extras,  # type: ignore[arg-type]
        interval=None,
        coverage=None,
    )  # type: ignore[arg-type]
    X, _idx, dist = model.design(frame, exclude_self=True)
    y = np.log(frame["price"].to_numpy(dtype=float)) - index.log_at(month_number(frame["sale_date"]))
    up = MONOTONE_UP | set(monotone)
    p = {
        **params,
        "monotone_constraints": [1 if f in up else 0 for f in features],
        "monotone_constraints_method": "intermediate",
    }
    ds = lgb.Dataset(X, y, categorical_feature=["building_type"], free_raw_data=True)
    model.booster = lgb.train(p, ds, num_boost_round=num_trees)
    model.coverage = Coverage.fit(frame, dist[:, min(nb.k, dist.shape[1]) - 1])
    return model


def train(
    frame: pd.DataFrame,
    extras: list[str],
    monotone: list[str],
    *,
    level: float = 0.8,
    calib_fraction: float = 0.15,
    trend_months: int = 12,
    num_trees: int = NUM_TREES,
    params: dict[str, Any] | None = None,
) -> tuple[ValuationModel, dict[str, Any]]:
    """Fit the model on ``frame`` (clean sales). The latest ``calib_fraction`` of the sales, by date,
    first serves as a calibration slice for a model fitted on the earlier ones (values at their own dates,
    index and neighbours from the earlier sales only); then the final model is fitted on all sales.
    Returns the model and the calibration figures."""
    params = {**PARAMS, **(params or {})}
    frame = frame.sort_values("sale_date", kind="stable")
    n_cal = max(20, int(len(frame) * calib_fraction))
    early, late = frame.iloc[:-n_cal], frame.iloc[-n_cal:]
    inner = _fit_once(early, extras, monotone, trend_months=trend_months, num_trees=num_trees, params=params)
    v = inner.value(late, late["sale_date"])
    resid = np.log(late["price"].to_numpy(dtype=float)) - np.log(v.estimate)
    interval = calibrate(resid, v.X["nb_lppm2_sd"].to_numpy(), level=level)
    inner.interval = interval
    v = inner.value(late, late["sale_date"])
    final = _fit_once(frame, extras, monotone, trend_months=trend_months, num_trees=num_trees, params=params)
    final.interval = interval
    final.training = {
        "rows": int(len(frame)),
        "period": [str(frame["sale_date"].min().date()), str(frame["sale_date"].max().date())],
        "calibration_rows": int(n_cal),
        "calibration_mape": float(np.mean(np.abs(np.exp(-resid) - 1))),
        "trend_months": trend_months,
        "num_trees": num_trees,
        "level": level,
        "sha256": hashlib.sha256(
            pd.util.hash_pandas_object(
                frame[["sale_date", "price", "lat", "lon", "living_area"]], index=False
            ).values.tobytes()
        ).hexdigest(),
    }
    return final, {
        "calibration_residual": resid,
        "late": late,
        "estimate": v.estimate,
        "lower": v.lower,
        "upper": v.upper,
        "flagged": v.flagged,
    }


class HedonicBaseline:
    """SSB-style hedonic regression: log price ~ log living area + log lot area + building type +
    decade built + area (grunnkrets/zip) effects + month effects; valued at the last training month's
    level for later dates (the published model is re-estimated yearly). Intervals from the in-sample
    residual quantiles."""

    def fit(self, frame: pd.DataFrame, level: float = 0.8) -> HedonicBaseline:
        self.months = np.unique(np.floor(month_number(frame["sale_date"])).astype(int))
        au, ac = np.unique(frame["area_code"].astype(str), return_counts=True)
        self.areas = au[ac >= 5]
        self.types = np.unique(frame["building_type"].astype(str))
        self.decades = np.arange(1900, 2030, 10)
        X = self._design(frame, frame["sale_date"])
        y = np.log(frame["price"].to_numpy(dtype=float))
        self.coef = np.linalg.lstsq(X.T @ X + 1e-6 * np.eye(X.shape[1]), X.T @ y, rcond=None)[0]
        r = y - X @ self.coef
        self.q = np.quantile(r, [(1 - level) / 2, 1 - (1 - level) / 2])
        return self

    def _design(self, frame: pd.DataFrame, dates) -> np.ndarray:
        m = np.floor(month_number(dates)).astype(int)
        m = np.clip(m, self.months[0], self.months[-1])
        m = self.months[np.clip(np.searchsorted(self.months, m, side="right") - 1, 0, len(self.months) - 1)]
        cols = [(m == mm).astype(float) for mm in self.months]
        a = frame["area_code"].astype(str).to_numpy()
        cols += [(a == x).astype(float) for x in self.areas[1:]]
        t = frame["building_type"].astype(str).to_numpy()
        cols += [(t == x).astype(float) for x in self.types[1:]]
        yb = frame["year_built"].astype(float).fillna(1970).to_numpy()
        dec = np.clip((yb // 10) * 10, self.decades[0], self.decades[-1])
        cols += [(dec == d).astype(float) for d in self.decades[1:]]
        cols.append(np.log(frame["living_area"].to_numpy(dtype=float)))
        cols.append(np.log1p(frame["lot_area"].astype(float).fillna(0).to_numpy()))
        return np.column_stack(cols)

    def value(self, frame: pd.DataFrame, dates) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        est = np.exp(self._design(frame, dates) @ self.coef)
        return est, est * np.exp(self.q[0]), est * np.exp(self.q[1])
