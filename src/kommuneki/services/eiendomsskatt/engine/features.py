"""Features known at the valuation date: a price index fitted on training sales, spatial lags
(prices of nearby sales, index-adjusted) and area levels. Everything is fitted on training sales only;
for a training row its own sale is left out of its neighbourhood, so no row sees its own price.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

EARTH_RADIUS_M = 6_371_000.0
EPOCH = np.datetime64("2000-01-01")


def month_number(dates: pd.Series | np.ndarray) -> np.ndarray:
    """Months since 2000-01 as a float (day of month as a fraction)."""
    d = pd.DatetimeIndex(dates)
    return ((d.year - 2000) * 12 + (d.month - 1) + (d.day - 1) / d.days_in_month).to_numpy(dtype=float)


@dataclass
class PriceIndex:
    """A monthly log price index from a hedonic time-dummy regression, linear between month centres,
    extrapolated past the last month along the trend of the last ``trend_months`` months."""

    months: np.ndarray  # month centres (month_number units)
    log_level: np.ndarray  # log index, 0 at the reference (last) month
    slope: float  # log change per month used past the last month
    trend_months: int

    def log_at(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        inside = np.interp(t, self.months, self.log_level)
        after = t > self.months[-1]
        return np.where(after, self.log_level[-1] + self.slope * (t - self.months[-1]), inside)

    def as_dict(self) -> dict:
        return {
            "months": self.months.tolist(),
            "log_level": self.log_level.tolist(),
            "slope": self.slope,
            "trend_months": self.trend_months,
        }


def fit_price_index(frame: pd.DataFrame, *, trend_months: int = 12, min_sales: int = 20) -> PriceIndex:
    """Hedonic time-dummy index: log price ~ month + area + log living area + log lot area + type, by
    least squares. Months with fewer than ``min_sales`` sales are merged into their neighbour."""
    t = month_number(frame["sale_date"])
    m = np.floor(t).astype(int)
    uniq, counts = np.unique(m, return_counts=True)
    # consecutive months are pooled until a group holds ``min_sales`` sales; a thin last group joins the
    # one before it (so a small kommune gets a coarser index, not a flat one)
    groups: dict[int, int] = {}
    starts: list[int] = []
    acc = 0
    for u, c in zip(uniq, counts, strict=False):
        if not starts or acc >= min_sales:
            starts.append(u)
            acc = 0
        groups[u] = starts[-1]
        acc += c
    if acc < min_sales and len(starts) > 1:
        for u in uniq:
            if groups[u] == starts[-1]:
                groups[u] = starts[-2]
    g = np.array([groups[x] for x in m])
    levels = np.unique(g)
    cols = [(g == lv).astype(float) for lv in levels]
    areas = frame["area_code"].astype(str).to_numpy()
    au, ac = np.unique(areas, return_counts=True)
    for a in au[ac >= 5][1:]:
        cols.append((areas == a).astype(float))
    types = frame["building_type"].astype(str).to_numpy()
    for bt in np.unique(types)[1:]:
        cols.append((types == bt).astype(float))
    cols.append(np.log(frame["living_area"].to_numpy(dtype=float)))
    cols.append(np.log1p(frame["lot_area"].fillna(0).to_numpy(dtype=float)))
    X = np.column_stack(cols)
    y = np.log(frame["price"].to_numpy(dtype=float))
    coef = np.linalg.lstsq(X.T @ X + 1e-6 * np.eye(X.shape[1]), X.T @ y, rcond=None)[0]
    lv = coef[: len(levels)]
    centres = np.array([t[g == level].mean() for level in levels])
    lv = lv - lv[-1]
    k = min(trend_months, len(levels))
    slope = 0.0
    if k >= 2:
        w = np.array([(g == level).sum() for level in levels[-k:]], dtype=float)
        slope = float(np.polyfit(centres[-k:], lv[-k:], 1, w=np.sqrt(w))[0])
    return PriceIndex(months=centres, log_level=lv, slope=slope, trend_months=trend_months)


def _unit_xyz(frame: pd.DataFrame) -> np.ndarray:
    """Points on the unit sphere: Euclidean (chord) distance orders neighbours exactly as the great-circle
    distance does, and a k-d tree on them is much faster than a haversine ball tree."""
    lat, lon = np.radians(frame["lat"].to_numpy(dtype=float)), np.radians(frame["lon"].to_numpy(dtype=float))
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


@dataclass
class Neighbourhood:
    """Training sales in a k-d tree with their index-adjusted log price per m² and log price."""

    tree: cKDTree
    adj_lppm2: np.ndarray
    adj_lprice: np.ndarray
    log_area: np.ndarray
    area_levels: dict[str, float]
    area_counts: dict[str, int]
    overall: float
    sales: pd.DataFrame | None = None  # the training sales, for comparables
    k: int = 10
    k_wide: int = 40

    @classmethod
    def fit(cls, frame: pd.DataFrame, index: PriceIndex) -> Neighbourhood:
        li = index.log_at(month_number(frame["sale_date"]))
        lp = np.log(frame["price"].to_numpy(dtype=float)) - li
        la = np.log(frame["living_area"].to_numpy(dtype=float))
        lppm2 = lp - la
        s = pd.DataFrame({"a": frame["area_code"].astype(str).to_numpy(), "v": lppm2}).groupby("a")["v"]
        return cls(
            tree=cKDTree(_unit_xyz(frame)),
            adj_lppm2=lppm2,
            adj_lprice=lp,
            log_area=la,
            area_levels=s.sum().to_dict(),
            area_counts=s.size().to_dict(),
            overall=float(lppm2.mean()),
            sales=frame[
                ["sale_date", "price", "living_area", "building_type", "area_code", "year_built"]
            ].reset_index(drop=True),
        )

    def query(self, frame: pd.DataFrame, *, exclude_self: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Indices and distances (m) of the ``k_wide`` nearest training sales; with ``exclude_self`` the
        frame must be the training frame itself, in the same order, and each row's own sale is skipped."""
        k = self.k_wide + (1 if exclude_self else 0)
        chord, idx = self.tree.query(_unit_xyz(frame), k=min(k, len(self.adj_lppm2)), workers=2)
        dist = 2.0 * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0))
        if exclude_self:
            own = np.arange(len(frame))[:, None]
            keep = idx != own
            # rows whose own index was not returned (many co-located sales) drop the last neighbour
            keep[keep.all(axis=1), -1] = False
            idx = idx[keep].reshape(len(frame), -1)
            dist = dist[keep].reshape(len(frame), -1)
        return idx, dist * EARTH_RADIUS_M

    def features(
        self, frame: pd.DataFrame, idx: np.ndarray, dist: np.ndarray, *, exclude_self: bool = False
    ) -> pd.DataFrame:
        """Spatial-lag features for each row of ``frame`` from its neighbours ``idx``/``dist``."""
        near = self.adj_lppm2[idx]
        k = min(self.k, idx.shape[1])
        la = np.log(frame["living_area"].to_numpy(dtype=float))[:, None]
        # similar size among the wider neighbourhood: Gaussian weight on log-area difference and distance
        w = np.exp(-0.5 * ((self.log_area[idx] - la) / 0.25) ** 2) * np.exp(
            -dist / np.maximum(1.0, np.median(dist, axis=1, keepdims=True))
        )
        w_sum = w.sum(axis=1) + 1e-9
        similar_lprice = (w * self.adj_lprice[idx]).sum(axis=1) / w_sum
        areas = frame["area_code"].astype(str).to_numpy()
        own_lppm2 = None
        if exclude_self:
            own_lppm2 = self.adj_lppm2  # the training frame itself, same order
        area_level = np.empty(len(frame))
        prior = 10.0
        for i, a in enumerate(areas):
            s, c = self.area_levels.get(a, 0.0), self.area_counts.get(a, 0)
            if own_lppm2 is not None and c > 0:
                s, c = s - own_lppm2[i], c - 1
            area_level[i] = (s + prior * self.overall) / (c + prior)
        return pd.DataFrame(
            {
                "nb_lppm2_k": near[:, :k].mean(axis=1),
                "nb_lppm2_wide": near.mean(axis=1),
                "nb_lppm2_sd": near[:, :k].std(axis=1),
                "nb_similar_lprice": similar_lprice,
                "nb_similar_weight": np.log(w_sum),
                "nb_dist_k": np.log1p(dist[:, k - 1]),
                "area_lppm2": area_level,
            },
            index=frame.index,
        )
