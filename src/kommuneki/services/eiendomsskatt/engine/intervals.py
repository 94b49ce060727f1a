"""Split-conformal prediction intervals on log price, normalised by local price dispersion.

Calibrated on a time-ordered slice: a model fitted on the earlier training sales values the latest
training sales at their own dates (index extrapolated exactly as it will be for new sales), so the
residuals carry the drift the final model will meet. The score is the log residual divided by a local
scale (dispersion of index-adjusted prices among the nearest sales), so quiet neighbourhoods get narrow
intervals and mixed ones wide ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class ConformalInterval:
    level: float
    q_low: float
    q_high: float
    scale_floor: float
    scale_cap: float
    scale_mid: float
    width_flag: float  # relative width above which a valuation is flagged as uncertain

    def scale(self, dispersion: np.ndarray) -> np.ndarray:
        d = np.clip(np.asarray(dispersion, dtype=float), self.scale_floor, self.scale_cap)
        return 0.5 * d + 0.5 * self.scale_mid

    def bounds(self, estimate: np.ndarray, dispersion: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = self.scale(dispersion)
        return estimate * np.exp(self.q_low * s), estimate * np.exp(self.q_high * s)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def calibrate(
    log_residual: np.ndarray, dispersion: np.ndarray, *, level: float, flag_quantile: float = 0.95
) -> ConformalInterval:
    """Quantiles of the normalised residual (price over estimate, in logs) with the finite-sample
    correction. Refuses a level outside (0, 1) or fewer than 20 calibration sales."""
    if not 0.0 < level < 1.0:
        raise ValueError("interval level must be between 0 and 1")
    r = np.asarray(log_residual, dtype=float)
    n = len(r)
    if n < 20:
        raise ValueError("need at least 20 calibration sales")
    d = np.asarray(dispersion, dtype=float)
    floor, cap = np.quantile(d, [0.05, 0.95])
    mid = float(np.median(d))
    ci = ConformalInterval(
        level=level,
        q_low=0.0,
        q_high=0.0,
        scale_floor=float(floor),
        scale_cap=float(cap),
        scale_mid=mid,
        width_flag=0.0,
    )
    z = r / ci.scale(d)
    alpha = 1.0 - level
    lo_q = max(0.0, np.floor((n + 1) * alpha / 2) / n)
    hi_q = min(1.0, np.ceil((n + 1) * (1 - alpha / 2)) / n)
    ci.q_low, ci.q_high = float(np.quantile(z, lo_q)), float(np.quantile(z, hi_q))
    widths = np.exp(ci.q_high * ci.scale(d)) - np.exp(ci.q_low * ci.scale(d))
    ci.width_flag = float(np.quantile(widths, flag_quantile))
    return ci
