"""Monitoring from real suggestions and decisions (the core's suggest() and decide()), on both databases."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from kommuneki.core import suggestions
from kommuneki.core.db import utcnow
from kommuneki.core.models import Decision, Suggestion
from kommuneki.core.suggestions import Proposal
from kommuneki.services.governance import monitoring, service

from .conftest import cli

LANGS = ["nn", "nb", "en"]
# The aggregation is Python over rows read by one query; that query runs on both databases in the
# override-rate test, the other figures are checked on SQLite only to keep the suite fast.
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def proposal(i: int, *, confidence: float | None = None, tag: str = "") -> Proposal:
    """A målform suggestion as the engine makes them (same kind, schema and model); built here rather
    than by running language detection, which costs half a second per text on a loaded machine."""
    lang = LANGS[i % 3]
    conf = confidence if confidence is not None else 0.6 + (i % 4) * 0.1
    return Proposal(
        kind="malform",
        value={"language": lang},
        confidence=conf,
        explanation={
            "summary": f"Teksten ser ut til å være {lang}.",
            "evidence": [{"type": "language_score", "language": lang, "score": conf}],
        },
        model_name="malform-simplemma",
        model_version="1",
        input_hash=f"{tag}-{i}".ljust(64, "0"),
    )


def _make(platform, tid, n, *, reject, age_days, groups=None, text=0):
    """n real suggestions through the core (suggest, decide), the first ``reject`` of them rejected by a
    person, the
    rest accepted; then moved ``age_days`` back in time (as if they were made then)."""
    p = cli(tid)
    with platform.db.tenant_session(tid) as session:
        ids = []
        for i in range(n):
            prop = proposal(i + text, tag=f"{age_days}")
            if groups:
                prop.explanation["groups"] = groups(i)
            s = suggestions.suggest(session, platform.registry, tid, "malform", prop)
            outcome = "rejected" if i < reject else "accepted"
            suggestions.decide(
                session,
                platform.registry,
                p,
                s.id,
                outcome=outcome,
                reason="Feil målform" if outcome == "rejected" else "",
            )
            ids.append(s.id)
        when = utcnow() - timedelta(days=age_days)
        for s in session.scalars(select(Suggestion).where(Suggestion.id.in_(ids))):
            s.created_at = when
        for d in session.scalars(select(Decision).where(Decision.suggestion_id.in_(ids))):
            d.decided_at = when
    return ids


def test_a_rising_override_rate_raises_an_alert(gov):
    demo_platform, demo_ids = gov
    tid = demo_ids["demo"]
    _make(demo_platform, tid, 30, reject=2, age_days=21)  # three weeks ago: 7 % overridden
    assert service.check_alerts(demo_platform, cli(tid)) == []
    _make(demo_platform, tid, 30, reject=3, age_days=10)  # ten days ago: 10 %
    assert service.check_alerts(demo_platform, cli(tid)) == []
    _make(demo_platform, tid, 30, reject=18, age_days=1)  # this week: 60 % overridden
    raised = service.check_alerts(demo_platform, cli(tid))
    assert [a["metric"] for a in raised] == ["override_rate"]
    assert raised[0]["value"] == 0.6 and raised[0]["threshold"] == 0.3 and raised[0]["volume"] == 30
    assert service.check_alerts(demo_platform, cli(tid)) == []  # one open alert, not one per check
    report = service.monitoring_report(demo_platform, cli(tid), raised[0]["system_id"])
    v = next(v for v in report["versions"] if v["model"] == raised[0]["model_version"])
    rates = [p["override_rate"] for p in v["timeline"] if p["decided"]]
    assert rates == sorted(rates) and rates[-1] == 0.6  # rising week by week
    assert report["alerts"][0]["id"] == raised[0]["id"]
    # the tenant's threshold decides: above 60 % nothing would have been raised
    service.resolve_alert(demo_platform, cli(tid), raised[0]["id"])
    service.set_thresholds(demo_platform, cli(tid), raised[0]["system_id"], override=0.7, drift=0.25)
    assert service.check_alerts(demo_platform, cli(tid)) == []


@SQLITE_ONLY
def test_volume_shares_calibration_fairness(gov):
    demo_platform, demo_ids = gov
    tid = demo_ids["demo"]
    _make(
        demo_platform,
        tid,
        12,
        reject=4,
        age_days=3,
        groups=lambda i: {"kanal": "e-post" if i % 2 else "brev"},
    )
    sid = next(
        s["id"] for s in service.overview(demo_platform, cli(tid))["systems"] if s["key"] == "service:malform"
    )
    report = service.monitoring_report(demo_platform, cli(tid), sid)
    decided_here = [v for v in report["versions"] if v["decided"] >= 12][0]
    assert decided_here["rejected"] == 4 / decided_here["decided"] or decided_here["decided"] > 12
    band_total = sum(b["decided"] for b in decided_here["calibration"])
    assert band_total == decided_here["decided"]
    fair = {f["dimension"]: f for f in decided_here["fairness"]}["kanal"]
    groups = {g["group"]: g for g in fair["groups"]}
    # i < 4 rejected: i = 0, 2 are «brev», i = 1, 3 are «e-post» -> 2 of 6 each
    assert groups["brev"]["override_rate"] == groups["e-post"]["override_rate"] == 2 / 6


def test_psi_is_zero_for_the_same_distribution_and_large_for_a_shift():
    same = [0.55, 0.65, 0.75, 0.85, 0.95] * 20
    assert monitoring.psi(same, list(same)) < 1e-9
    shifted = [0.52, 0.55, 0.58] * 33
    assert monitoring.psi(same, shifted) > 0.25
    assert monitoring.psi_categorical(["nb"] * 50 + ["nn"] * 50, ["nb"] * 95 + ["nn"] * 5) > 0.25


@SQLITE_ONLY
def test_confidence_drift_raises_an_alert(gov):
    demo_platform, demo_ids = gov
    tid = demo_ids["demo"]
    _make(demo_platform, tid, 25, reject=0, age_days=20, text=0)  # mostly clear bokmål/nynorsk letters
    # the recent window: only English letters (another confidence profile), all accepted
    p = cli(tid)
    with demo_platform.db.tenant_session(tid) as session:
        for i in range(25):
            prop = proposal(i, confidence=0.51 + (i % 5) * 0.01, tag="recent")
            s = suggestions.suggest(session, demo_platform.registry, tid, "malform", prop)
            suggestions.decide(session, demo_platform.registry, p, s.id, outcome="accepted")
    raised = service.check_alerts(demo_platform, cli(tid))
    assert "drift_psi" in [a["metric"] for a in raised]


@SQLITE_ONLY
def test_drift_in_a_service_declared_input_feature_raises_an_alert(gov):
    demo_platform, demo_ids = gov
    tid = demo_ids["demo"]
    p = cli(tid)
    with demo_platform.db.tenant_session(tid) as session:
        for k, (age, words) in enumerate([(20, lambda i: 40 + i % 30), (1, lambda i: 3 + i % 4)]):
            ids = []
            for i in range(25):
                prop = proposal(i, tag=f"inp{k}")
                prop.explanation["inputs"] = {"ord": words(i)}  # letters got much shorter this week
                s = suggestions.suggest(session, demo_platform.registry, tid, "malform", prop)
                suggestions.decide(session, demo_platform.registry, p, s.id, outcome="accepted")
                ids.append(s.id)
            when = utcnow() - timedelta(days=age)
            for s in session.scalars(select(Suggestion).where(Suggestion.id.in_(ids))):
                s.created_at = when
    raised = service.check_alerts(demo_platform, cli(tid))
    assert [a["metric"] for a in raised] == ["input_psi:ord"]
    sid = raised[0]["system_id"]
    feature = service.monitoring_report(demo_platform, cli(tid), sid)["versions"][0]["drift"]["inputs"][0]
    assert feature["name"] == "ord" and feature["kind"] == "numeric" and feature["psi"] > 1


def test_plots_are_svg_without_inline_style_or_script():
    tl = [
        {
            "period": f"2026-U{i:02d}",
            "accepted": 0.8 - i * 0.1,
            "changed": 0.1,
            "rejected": 0.1 + i * 0.1,
            "override_rate": 0.2 + i * 0.1,
            "automated": 0.0,
        }
        for i in range(4)
    ]
    svg = monitoring.timeline_svg(tl, svg_id="x", title="Utfall")
    bands = [
        {"band": "50–60 %", "low": 0.5, "decided": 3, "accepted": 0.33, "mean_confidence": 0.55},
        {"band": "90–100 %", "low": 0.9, "decided": 0, "accepted": None, "mean_confidence": None},
    ]
    cal = monitoring.calibration_svg(bands, svg_id="c", title="Kalibrering")
    for s in (svg, cal):
        assert s.startswith("<svg") and "<title" in s and 'role="img"' in s
        assert not re.search(r"\sstyle=", s) and "<script" not in s
    assert svg.count("<polyline") == 3 and "2026-U03" in svg
    assert cal.count("<rect") == 1  # the empty band draws no bar
    # the narrow drawings (shown on small screens): larger type, three period labels, the legend below
    narrow = monitoring.timeline_svg(tl, svg_id="xn", title="Utfall", narrow=True)
    narrow_cal = monitoring.calibration_svg(bands, svg_id="cn", title="Kalibrering", narrow=True)
    for s in (narrow, narrow_cal):
        assert 'class="chart chart-narrow"' in s and 'viewBox="0 0 340 ' in s and 'font-size="15"' in s
    assert 'class="chart chart-wide"' in svg and 'font-size="11"' in svg
    assert narrow.count("<polyline") == 3 and narrow.count(">2026-U0") == 3
    assert narrow_cal.count("<rect") == 1
