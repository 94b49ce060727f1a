"""Monitoring from what really happens: per service and model version, from the core's suggestions and
decisions.

* volume; accepted, changed and rejected shares over time (per week); automation share
* calibration: the accepted share per confidence band (a well-calibrated model has it rise with the band)
* input drift: population stability index (PSI) between the earlier suggestions of a model version and
  the recent window — of the confidence distribution, of the proposed value (a categorical field), and of
  the input features a service declares by putting ``"inputs": {"<feature>": <number or text>}`` in its
  explanations (numbers binned at the reference deciles)
* fairness: where a service puts ``"groups": {"<dimension>": "<group>"}`` in its explanations (e.g.
  ``{"område": "Sentrum", "prisklasse": "2–4 mill."}``), override rate and, for numeric values, the mean
  relative change a person made, per group
* alerts when the override rate or drift in the recent window passes the threshold the tenant set

Rows are read per service for a bounded period (``days``) and aggregated in Python; that is fine for the
volumes of one kommune (tens of thousands of suggestions) and keeps the figures the same on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kommuneki.core import audit
from kommuneki.core.db import utcnow
from kommuneki.core.models import Decision, Suggestion
from kommuneki.core.registry import ServiceRegistry

from .models import KiAlert, KiSystem
from .register import sync_own_services

BANDS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0000001)
WINDOW_DAYS = 7  # the recent window that alerts and drift look at
MIN_VOLUME = 20  # fewer decisions than this in the window: no rate is reported, no alert raised
PSI_EPS = 1e-4


@dataclass
class Row:
    created_at: datetime
    confidence: float
    model: str
    status: str
    value: Any
    groups: dict[str, str]
    inputs: dict[str, Any]
    outcome: str | None
    decided_at: datetime | None
    automated: bool
    final_value: Any


def _utc(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt


def load_rows(session: Session, service: str, *, days: int = 180, now: datetime | None = None) -> list[Row]:
    now = now or utcnow()
    stmt = (
        select(Suggestion, Decision)
        .outerjoin(Decision, Decision.suggestion_id == Suggestion.id)
        .where(Suggestion.service == service, Suggestion.created_at >= now - timedelta(days=days))
        .order_by(Suggestion.created_at, Suggestion.id)
    )
    out = []
    for s, d in session.execute(stmt):
        groups = (s.explanation or {}).get("groups") if isinstance(s.explanation, dict) else None
        inputs = (s.explanation or {}).get("inputs") if isinstance(s.explanation, dict) else None
        out.append(
            Row(
                created_at=_utc(s.created_at),
                confidence=float(s.confidence),
                model=f"{s.model_name} {s.model_version}",
                status=s.status,
                value=s.value,
                groups={str(k): str(v) for k, v in groups.items()} if isinstance(groups, dict) else {},
                inputs=dict(inputs) if isinstance(inputs, dict) else {},
                outcome=d.outcome if d else None,
                decided_at=_utc(d.decided_at) if d else None,
                automated=bool(d and d.actor_policy_id),
                final_value=d.final_value if d else None,
            )
        )
    return out


def psi(reference: list[float], current: list[float], edges: tuple[float, ...] = BANDS) -> float:
    """Population stability index between two samples over fixed bins. 0: same distribution; by the
    usual rule of thumb < 0.1 stable, 0.1–0.25 some shift, > 0.25 a large shift."""

    def shares(xs):
        counts = [0] * (len(edges) - 1)
        for x in xs:
            for i in range(len(edges) - 1):
                if edges[i] <= x < edges[i + 1]:
                    counts[i] += 1
                    break
        n = max(1, len(xs))
        return [max(c / n, PSI_EPS) for c in counts]

    r, c = shares(reference), shares(current)
    return float(sum((ci - ri) * math.log(ci / ri) for ri, ci in zip(r, c, strict=False)))


def psi_categorical(reference: list[str], current: list[str]) -> float:
    cats = sorted(set(reference) | set(current))
    rc, cc = Counter(reference), Counter(current)
    total = 0.0
    for k in cats:
        ri = max(rc[k] / max(1, len(reference)), PSI_EPS)
        ci = max(cc[k] / max(1, len(current)), PSI_EPS)
        total += (ci - ri) * math.log(ci / ri)
    return float(total)


def psi_numeric(reference: list[float], current: list[float]) -> float:
    """PSI of a numeric feature, binned at the deciles of the reference sample."""
    ref = sorted(reference)
    cuts = sorted({ref[min(len(ref) - 1, int(len(ref) * q / 10))] for q in range(1, 10)})
    edges = (-math.inf, *cuts, math.inf)
    return psi(reference, current, edges)


def input_drift(ref: list["Row"], cur: list["Row"]) -> list[dict[str, Any]]:
    """PSI per service-declared input feature present in both windows."""
    out = []
    names = sorted({k for r in ref for k in r.inputs} & {k for r in cur for k in r.inputs})
    for name in names:
        a = [r.inputs[name] for r in ref if name in r.inputs and r.inputs[name] is not None]
        b = [r.inputs[name] for r in cur if name in r.inputs and r.inputs[name] is not None]
        if len(a) < MIN_VOLUME or len(b) < MIN_VOLUME:
            continue
        numeric = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in a + b)
        value = (
            psi_numeric([float(x) for x in a], [float(x) for x in b])
            if numeric
            else psi_categorical([str(x) for x in a], [str(x) for x in b])
        )
        out.append(
            {
                "name": name,
                "psi": value,
                "kind": "numeric" if numeric else "categorical",
                "reference": len(a),
                "current": len(b),
            }
        )
    return out


def _first_scalar(value: Any) -> tuple[str | None, Any]:
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, (str, bool)):  # categorical fields only; numbers would need binning
                return k, v
    return None, None


def _shares(rows: list[Row]) -> dict[str, Any]:
    decided = [r for r in rows if r.outcome]
    c = Counter(r.outcome for r in decided)
    n = len(decided)
    share = (lambda k: c[k] / n) if n else (lambda k: None)
    return {
        "volume": len(rows),
        "decided": n,
        "pending": sum(1 for r in rows if r.status == "pending"),
        "accepted": share("accepted"),
        "changed": share("changed"),
        "rejected": share("rejected"),
        "override_rate": ((c["changed"] + c["rejected"]) / n) if n else None,
        "automated": (sum(1 for r in decided if r.automated) / n) if n else None,
    }


def _week(dt: datetime) -> str:
    y, w, _ = dt.isocalendar()
    return f"{y}-U{w:02d}"


def summarise_version(rows: list[Row], *, now: datetime, window_days: int = WINDOW_DAYS) -> dict[str, Any]:
    """All figures for one model version's rows (created_at order)."""
    out: dict[str, Any] = {"model": rows[0].model if rows else None, **_shares(rows)}
    by_week: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        by_week[_week(r.decided_at or r.created_at)].append(r)
    out["timeline"] = [{"period": k, **_shares(v)} for k, v in sorted(by_week.items())]
    bands = []
    for lo, hi in zip(BANDS, BANDS[1:], strict=False):
        inb = [r for r in rows if lo <= r.confidence < hi and r.outcome]
        bands.append(
            {
                "band": f"{round(lo * 100)}–{min(100, round(hi * 100))} %",
                "low": lo,
                "decided": len(inb),
                "accepted": (sum(1 for r in inb if r.outcome == "accepted") / len(inb)) if inb else None,
                "mean_confidence": (sum(r.confidence for r in inb) / len(inb)) if inb else None,
            }
        )
    out["calibration"] = bands
    start = now - timedelta(days=window_days)
    ref = [r for r in rows if r.created_at < start]
    cur = [r for r in rows if r.created_at >= start]
    drift: dict[str, Any] = {
        "reference": len(ref),
        "current": len(cur),
        "window_days": window_days,
        "confidence_psi": None,
        "value_psi": None,
        "value_field": None,
        "inputs": input_drift(ref, cur),
    }
    if len(ref) >= MIN_VOLUME and len(cur) >= MIN_VOLUME:
        drift["confidence_psi"] = psi([r.confidence for r in ref], [r.confidence for r in cur])
        field, _ = _first_scalar(rows[0].value)
        if field is not None:
            drift["value_field"] = field
            drift["value_psi"] = psi_categorical(
                [str((r.value or {}).get(field)) for r in ref], [str((r.value or {}).get(field)) for r in cur]
            )
    out["drift"] = drift
    recent = [r for r in rows if r.decided_at and r.decided_at >= start]
    out["recent"] = {"from": start.isoformat(), **_shares(recent)}
    out["fairness"] = fairness(rows)
    return out


def fairness(rows: list[Row]) -> list[dict[str, Any]]:
    """Per dimension and group (as the service defines them): volume, override rate, and for numeric
    values the mean relative change between the proposed and the final value."""
    dims: dict[str, dict[str, list[Row]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        for dim, group in r.groups.items():
            dims[dim][group].append(r)
    out = []
    for dim, groups in sorted(dims.items()):
        entries = []
        for group, rs in sorted(groups.items()):
            s = _shares(rs)
            errs = []
            for r in rs:
                if r.outcome == "changed" and isinstance(r.value, dict) and isinstance(r.final_value, dict):
                    for k, v in r.value.items():
                        fv = r.final_value.get(k)
                        if isinstance(v, (int, float)) and isinstance(fv, (int, float)) and fv:
                            errs.append(abs(v - fv) / abs(fv))
                            break
                elif r.outcome == "accepted":
                    errs.append(0.0)
            entries.append(
                {
                    "group": group,
                    "volume": s["volume"],
                    "decided": s["decided"],
                    "override_rate": s["override_rate"],
                    "mean_relative_change": (sum(errs) / len(errs)) if errs else None,
                }
            )
        out.append({"dimension": dim, "groups": entries})
    return out


def monitor_service(
    session: Session,
    service: str,
    *,
    days: int = 180,
    now: datetime | None = None,
    window_days: int = WINDOW_DAYS,
) -> dict[str, Any]:
    """Figures for one service: overall and per model version."""
    now = now or utcnow()
    rows = load_rows(session, service, days=days, now=now)
    by_model: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        by_model[r.model].append(r)
    return {
        "service": service,
        "days": days,
        "window_days": window_days,
        "overall": _shares(rows),
        "versions": [
            summarise_version(v, now=now, window_days=window_days) for _, v in sorted(by_model.items())
        ],
    }


def open_alerts(session: Session, system_id: int | None = None) -> list[KiAlert]:
    stmt = select(KiAlert).where(KiAlert.resolved_at.is_(None))
    if system_id is not None:
        stmt = stmt.where(KiAlert.system_id == system_id)
    return list(session.scalars(stmt.order_by(KiAlert.id.desc())))


def check_alerts(
    session: Session,
    registry: ServiceRegistry,
    tenant_id: int,
    *,
    now: datetime | None = None,
    actor: str = "system",
    window_days: int = WINDOW_DAYS,
) -> list[KiAlert]:
    """Raise an alert (once, until resolved) for each service and model version whose override rate in
    the recent window, or whose confidence drift (PSI), passes the tenant's threshold. Returns the new
    alerts."""
    now = now or utcnow()
    raised = []
    for system in sync_own_services(session, registry, tenant_id, actor=actor):
        report = monitor_service(session, system.service, now=now, window_days=window_days)
        for v in report["versions"]:
            checks = []
            rec = v["recent"]
            if rec["decided"] >= MIN_VOLUME and rec["override_rate"] is not None:
                checks.append(
                    ("override_rate", rec["override_rate"], system.override_alert_threshold, rec["decided"])
                )
            if v["drift"]["confidence_psi"] is not None:
                checks.append(
                    (
                        "drift_psi",
                        v["drift"]["confidence_psi"],
                        system.drift_alert_threshold,
                        v["drift"]["current"],
                    )
                )
            for feature in v["drift"]["inputs"]:
                checks.append(
                    (
                        f"input_psi:{feature['name']}"[:40],
                        feature["psi"],
                        system.drift_alert_threshold,
                        feature["current"],
                    )
                )
            for metric, value, threshold, volume in checks:
                if value <= threshold:
                    continue
                already = session.scalar(
                    select(KiAlert.id).where(
                        KiAlert.system_id == system.id,
                        KiAlert.metric == metric,
                        KiAlert.model_version == v["model"],
                        KiAlert.resolved_at.is_(None),
                    )
                )
                if already is not None:
                    continue
                alert = KiAlert(
                    tenant_id=tenant_id,
                    system_id=system.id,
                    model_version=v["model"],
                    metric=metric,
                    value=round(value, 4),
                    threshold=threshold,
                    window_from=now - timedelta(days=window_days),
                    window_to=now,
                    volume=volume,
                )
                session.add(alert)
                session.flush()
                audit.record(
                    session,
                    tenant_id,
                    "governance.alert_raised",
                    actor=actor,
                    subject=("ki_alert", alert.id),
                    metric=metric,
                    model_version=v["model"],
                    value=round(value, 4),
                    threshold=threshold,
                    volume=volume,
                )
                raised.append(alert)
    return raised


def resolve_alert(session: Session, alert_id: int, *, actor: str) -> KiAlert:
    from kommuneki.core.errors import Conflict, NotFound

    alert = session.get(KiAlert, alert_id)
    if alert is None or alert.tenant_id != session.info.get("tenant_id", alert.tenant_id):
        raise NotFound("Varselet finnes ikke.")
    if alert.resolved_at is not None:
        raise Conflict("Varselet er allerede behandlet.")
    alert.resolved_at, alert.resolved_by = utcnow(), actor
    audit.record(
        session,
        alert.tenant_id,
        "governance.alert_resolved",
        actor=actor,
        subject=("ki_alert", alert.id),
        metric=alert.metric,
    )
    return alert


def set_thresholds(session: Session, system: KiSystem, *, override: float, drift: float, actor: str) -> None:
    from kommuneki.core.errors import InvalidInput

    if not 0 < override <= 1:
        raise InvalidInput("Terskelen for overstyring må være mellom 0 og 100 %.")
    if not 0 < drift <= 5:
        raise InvalidInput("Terskelen for drift (PSI) må være mellom 0 og 5.")
    if (system.override_alert_threshold, system.drift_alert_threshold) == (override, drift):
        return
    system.override_alert_threshold, system.drift_alert_threshold = override, drift
    from .register import _revise

    _revise(session, system, ["thresholds"], actor)
    audit.record(
        session,
        system.tenant_id,
        "governance.thresholds_changed",
        actor=actor,
        subject=("ki_system", system.id),
        override=override,
        drift=drift,
    )


# --- plots: server-rendered SVG (no script; colours as presentation attributes and CSS classes) -------

SERIES_COLOURS = {
    "accepted": "#1d6b33",
    "changed": "#0b4f8a",
    "rejected": "#a4151d",
    "override_rate": "#8a5300",
    "automated": "#4a5360",
}
SERIES_LABELS = {
    "accepted": "Godtatt",
    "changed": "Endret",
    "rejected": "Avvist",
    "override_rate": "Overstyrt",
    "automated": "Automatisk",
}


def _esc(s: str) -> str:
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


# Two drawings of each chart: the wide one beside the tables; the narrow one (shown below 40em, the page
# picks by CSS) has its own geometry, larger type, fewer axis labels and the legend below, so that its
# text is still about 12 px when the chart is 280 px wide (a 320 px screen).
WIDE = {"w": 640, "h": 240, "left": 44, "bottom": 36, "top": 12, "right": 110, "font": 11, "labels": 8}
NARROW = {"w": 340, "h": 300, "left": 52, "bottom": 84, "top": 12, "right": 14, "font": 15, "labels": 4}


def _open_svg(svg_id: str, title: str, desc: str, geometry: dict[str, int], narrow: bool) -> list[str]:
    klass = "chart chart-narrow" if narrow else "chart chart-wide"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {geometry["w"]} {geometry["h"]}" '
        f'class="{klass}" role="img" aria-labelledby="{svg_id}-t {svg_id}-d">',
        f'<title id="{svg_id}-t">{_esc(title)}</title>',
        f'<desc id="{svg_id}-d">{_esc(desc)}</desc>',
    ]


def timeline_svg(
    timeline: list[dict[str, Any]],
    *,
    svg_id: str,
    title: str,
    series: tuple[str, ...] = ("accepted", "changed", "rejected"),
    narrow: bool = False,
) -> str:
    """Lines of shares (0–100 %) per period. Returns an SVG element with a title and description."""
    g = NARROW if narrow else WIDE
    w, h, left, bottom, top, right, font = (
        g[k] for k in ("w", "h", "left", "bottom", "top", "right", "font")
    )
    lift = 4 if not narrow else round(font / 3)  # from a text's baseline to its middle
    pw, ph = w - left - right, h - top - bottom
    n = len(timeline)

    def x(i: int) -> float:
        return left + (pw * i / (n - 1) if n > 1 else pw / 2)

    def y(v: float) -> float:
        return top + ph * (1 - v)

    desc = f"Andeler per uke, {n} perioder. Tallene står også i tabellen under."
    parts = _open_svg(svg_id, title, desc, g, narrow)
    for v in (0, 0.5, 1) if narrow else (0, 0.25, 0.5, 0.75, 1):
        parts.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#c9cfd6" '
            f'stroke-width="1" class="grid"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y(v) + lift:.1f}" text-anchor="end" font-size="{font}" '
            f'fill="#4a5360">{round(v * 100)} %</text>'
        )
    step = max(1, n // WIDE["labels"])  # the wide drawing: about 8 period labels
    shown = {0, (n - 1) // 2, n - 1} if narrow else {i for i in range(n) if i % step == 0} | {n - 1}
    axis_y = top + ph + font + 6 if narrow else h - 12
    for i, period in enumerate(timeline):
        if i in shown:
            anchor = "end" if narrow and i == n - 1 and n > 1 else "middle"
            parts.append(
                f'<text x="{x(i):.1f}" y="{axis_y:.1f}" text-anchor="{anchor}" font-size="{font}" '
                f'fill="#4a5360">{_esc(period["period"])}</text>'
            )
    for k, key in enumerate(series):
        pts = [(x(i), y(point[key])) for i, point in enumerate(timeline) if point.get(key) is not None]
        colour = SERIES_COLOURS[key]
        if len(pts) > 1:
            path = " ".join(f"{a:.1f},{b:.1f}" for a, b in pts)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5" '
                f'class="series series-{key}"/>'
            )
        for a, b in pts:
            parts.append(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3.5" fill="{colour}" class="series-{key}"/>')
        if narrow:  # the legend in rows below the axis
            lx, ly = left + (k % 2) * (pw / 2), axis_y + font + 10 + (k // 2) * (font + 8)
        else:  # the legend beside the plot
            lx, ly = left + pw + 12, top + 14 + k * 18
        parts.append(
            f'<line x1="{lx:.1f}" x2="{lx + 18:.1f}" y1="{ly - lift}" y2="{ly - lift}" '
            f'stroke="{colour}" stroke-width="3"/>'
        )
        parts.append(
            f'<text x="{lx + 22:.1f}" y="{ly:.1f}" font-size="{font + 1}" fill="#1b1f24">'
            f"{_esc(SERIES_LABELS[key])}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def calibration_svg(bands: list[dict[str, Any]], *, svg_id: str, title: str, narrow: bool = False) -> str:
    """Bars: the accepted share per confidence band; a dashed diagonal marks perfect calibration."""
    g = NARROW if narrow else WIDE
    w, h, left, top, font = g["w"], g["h"] - (40 if narrow else 0), g["left"], g["top"], g["font"]
    bottom = font * 2 + 10 if narrow else g["bottom"]
    pw, ph = w - left - (g["right"] if narrow else 20), h - top - bottom
    n = len(bands)
    bw = pw / n
    geometry = {**g, "h": h}
    lift = 4 if not narrow else round(font / 3)

    def y(v: float) -> float:
        return top + ph * (1 - v)

    desc = "Andel godtatte forslag per sikkerhetsintervall. Tallene står også i tabellen under."
    parts = _open_svg(svg_id, title, desc, geometry, narrow)
    for v in (0, 0.5, 1):
        parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#c9cfd6"/>')
        parts.append(
            f'<text x="{left - 6}" y="{y(v) + lift:.1f}" text-anchor="end" font-size="{font}" '
            f'fill="#4a5360">{round(v * 100)} %</text>'
        )
    # on a narrow drawing each band is labelled by its lower bound (50, 60 …), every other one if crowded
    step = 1 if not narrow else max(1, -(-n * 3 // 10))
    for i, band in enumerate(bands):
        x0 = left + i * bw + (4 if not narrow else 2)
        width = bw - (8 if not narrow else 4)
        if band["accepted"] is not None:
            parts.append(
                f'<rect x="{x0:.1f}" y="{y(band["accepted"]):.1f}" width="{width:.1f}" '
                f'height="{ph * band["accepted"]:.1f}" fill="#0b4f8a" class="bar"/>'
            )
            if not narrow:  # the counts are in the table under the chart
                parts.append(
                    f'<text x="{x0 + width / 2:.1f}" y="{y(band["accepted"]) - 4:.1f}" '
                    f'text-anchor="middle" font-size="{font}" fill="#1b1f24">n={band["decided"]}</text>'
                )
        if i % step == 0:
            label = band["band"] if not narrow else f"{round(band['low'] * 100)}"
            parts.append(
                f'<text x="{x0 + width / 2:.1f}" y="{top + ph + font + 6 if narrow else h - 12:.1f}" '
                f'text-anchor="middle" '
                f'font-size="{font}" fill="#4a5360">{_esc(label)}</text>'
            )
    if narrow:
        parts.append(
            f'<text x="{left + pw / 2:.1f}" y="{top + ph + 2 * font + 12:.1f}" text-anchor="middle" '
            f'font-size="{font}" fill="#4a5360">Sikkerhet fra (%)</text>'
        )
    mids = [(left + i * bw + bw / 2, y(min(1.0, band["low"] + 0.05))) for i, band in enumerate(bands)]
    parts.append(
        '<polyline points="'
        + " ".join(f"{a:.1f},{c:.1f}" for a, c in mids)
        + '" fill="none" stroke="#8a5300" stroke-width="1.5" stroke-dasharray="5 4"/>'
    )
    parts.append("</svg>")
    return "".join(parts)
