"""Eiendomsskatt orchestration: store the uploaded files, value every dwelling, register the model with
its card, record the valuations and a review suggestion for each flagged dwelling, and build the tax
list from the valuations and the officers' decisions.

Transactions: the arrival of the files commits first (nothing that arrived is lost even when the
valuation fails); the run, the model, the valuations, the suggestions and their audit entries then
commit together.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import func, insert, select, update

from ...core import audit, items, modelreg, suggestions
from ...core.arrival import Arrivals, Incoming
from ...core.db import utcnow
from ...core.errors import InvalidInput, NotFound
from ...core.models import Decision, ModelVersion, Suggestion, Tenant
from ...core.platform import Platform
from . import KIND, engine_card
from .engine import explain, taxlist
from .engine.mapping import Mapping, parse_mapping, read_table
from .engine.valuation import nb_count as _n
from .engine.valuation import run as run_valuation
from .models import DwellingValuation, ValuationRun

SERVICE = "eiendomsskatt"
STORE_CHUNK = 2000  # valuations written (and progress reported) per flush, inside the one transaction
Progress = Callable[[float, str], None]
# The demo puts only the first flagged dwellings in the review queue, to load quickly; the rest stay
# flagged on the valuation list.


def get_settings(platform: Platform, tenant_id: int) -> taxlist.TaxSettings:
    with platform.db.read_session(tenant_id) as session:
        t = session.get(Tenant, tenant_id)
        return taxlist.TaxSettings.from_dict((t.settings or {}).get(SERVICE))


def set_settings(
    platform: Platform, tenant_id: int, raw: dict[str, Any], *, actor: str
) -> taxlist.TaxSettings:
    """Validate and store the tenant's tax settings (audited by hash)."""
    s = taxlist.TaxSettings.from_dict(raw)
    with platform.db.tenant_session(tenant_id) as session:
        t = session.get(Tenant, tenant_id)
        t.settings = {**(t.settings or {}), SERVICE: s.as_dict()}
        audit.record(
            session,
            tenant_id,
            "eiendomsskatt.settings_changed",
            actor=actor,
            subject=("tenant", tenant_id),
            settings_sha256=audit.sha256_text(s.as_dict()),
        )
    return s


def value_from_files(
    platform: Platform,
    tenant_id: int,
    *,
    sales: bytes,
    sales_name: str,
    dwellings: bytes,
    dwellings_name: str,
    mapping_text: str,
    mapping_name: str = "mapping.json",
    actor: str,
    valuation_date: date | None = None,
    level: float = 0.8,
    source: str = "upload",
    max_suggestions: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The whole run for a tenant. Returns a summary (run id, counts, held-out ratio study).
    ``progress(fraction, message)``, if given, hears each step in Norwegian (see :func:`_value`)."""
    mapping = parse_mapping(mapping_text, mapping_name)
    s_item, d_item = store_files(
        platform,
        tenant_id,
        sales=sales,
        sales_name=sales_name,
        dwellings=dwellings,
        dwellings_name=dwellings_name,
        actor=actor,
        source=source,
    )
    return _value(
        platform,
        tenant_id,
        s_item,
        d_item,
        sales,
        sales_name,
        dwellings,
        dwellings_name,
        mapping,
        actor=actor,
        valuation_date=valuation_date,
        level=level,
        max_suggestions=max_suggestions,
        progress=progress,
    )


def store_files(
    platform: Platform,
    tenant_id: int,
    *,
    sales: bytes,
    sales_name: str,
    dwellings: bytes,
    dwellings_name: str,
    actor: str,
    source: str = "upload",
    mapping: dict[str, Any] | None = None,
) -> tuple[int, int]:
    """Record the arrival of a sales file and a dwellings file (committed before any processing).
    The sales item points at its dwellings item, and keeps a draft ``mapping`` for the editor if given.
    Returns (sales item id, dwellings item id)."""

    def link(_session, stored: list[items.Item]) -> None:
        s, d = stored
        s.meta = {**(s.meta or {}), "dwellings_item_id": d.id, **({"mapping": mapping} if mapping else {})}

    s_item, d_item = uploads(platform, tenant_id, actor=actor).store_together(
        [
            Incoming(sales, filename=sales_name, source=source, kind="sales"),
            Incoming(dwellings, filename=dwellings_name, source=source, kind="dwellings"),
        ],
        link=link,
    )
    return s_item, d_item


def uploads(platform: Platform, tenant_id: int, *, actor: str) -> Arrivals:
    """Eiendomsskatt's arrival pipeline (``core/arrival.py``), storing and marking only: a sales file and
    its dwellings file arrive as one (one transaction, the sales item pointing at its dwellings item);
    the valuation reads them later as one run, which may be repeated with another column mapping, so
    it is not the pipeline's process-once step. A run that cannot read them marks both ``failed``."""
    return Arrivals(platform, tenant_id, service=SERVICE, kind="sales", actor=actor)


def uploaded_files(platform: Platform, tenant_id: int, sales_item_id: int) -> dict[str, Any]:
    """The stored sales and dwellings files of one upload (for the mapping editor): their names, bytes
    and the draft mapping given with them, if any."""
    with platform.db.read_session(tenant_id) as session:
        s = session.get(items.Item, sales_item_id)
        if (
            s is None
            or s.tenant_id != tenant_id
            or s.service != SERVICE
            or s.kind != "sales"
            or "dwellings_item_id" not in (s.meta or {})
        ):
            raise NotFound("Fant ikke den opplastede salgsfilen.")
        d = session.get(items.Item, int(s.meta["dwellings_item_id"]))
        if d is None or d.tenant_id != tenant_id:
            raise NotFound("Fant ikke den opplastede boligfilen.")
        return {
            "sales_item_id": s.id,
            "dwellings_item_id": d.id,
            "sales_name": s.filename or "salg.csv",
            "dwellings_name": d.filename or "boliger.csv",
            "sales": items.read_content(session, platform.blobs, s),
            "dwellings": items.read_content(session, platform.blobs, d),
            "mapping": s.meta.get("mapping"),
        }


def value_uploaded(
    platform: Platform,
    tenant_id: int,
    sales_item_id: int,
    mapping: dict[str, Any],
    *,
    actor: str,
    valuation_date: date | None = None,
    level: float = 0.8,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Value from files already stored by :func:`store_files`, with a mapping object (from the editor or
    the upload form). Run by the web pages as a background job (``core/jobs.py``)."""
    say = progress or _silent
    say(0.01, "Henter de opplastede filene …")
    f = uploaded_files(platform, tenant_id, sales_item_id)
    return _value(
        platform,
        tenant_id,
        f["sales_item_id"],
        f["dwellings_item_id"],
        f["sales"],
        f["sales_name"],
        f["dwellings"],
        f["dwellings_name"],
        Mapping.from_dict(mapping),
        actor=actor,
        valuation_date=valuation_date,
        level=level,
        progress=progress,
    )


VALUATION_TASK = "eiendomsskatt.value"


def value_task(
    platform: Platform, tenant_id: int, payload: dict[str, Any], report: Progress
) -> dict[str, Any]:
    """The background task behind the web valuation (``core.tasks.submit``): values a stored upload."""
    res = value_uploaded(
        platform,
        tenant_id,
        payload["sales_item_id"],
        payload["mapping"],
        actor=payload["actor"],
        progress=report,
    )
    return {**res, "message": run_message(res)}


def run_message(res: dict) -> str:
    return (
        f"{res['dwellings']} boliger er verdsatt; {res['flagged']} er flagget for kontroll og "
        f"{res['sales_rejected']} salg utelatt med grunn."
    )


def _silent(_fraction: float, _message: str) -> None:
    pass


def _value(
    platform,
    tenant_id,
    s_item,
    d_item,
    sales,
    sales_name,
    dwellings,
    dwellings_name,
    mapping: Mapping,
    *,
    actor,
    valuation_date=None,
    level=0.8,
    max_suggestions=None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Steps and their share of ``progress``: reading and cleaning the sales (to 0.1), training (to 0.3),
    valuing (to 0.4), comparables (to 0.5), storing the dwellings (to 0.85, every 2 000 rows), review
    suggestions (to 0.97), saving the run."""
    settings = get_settings(platform, tenant_id)
    vdate = valuation_date or settings.valuation_date
    meter = suggestions.CpuMeter()
    try:
        with meter:
            result = run_valuation(
                read_table(sales, sales_name),
                read_table(dwellings, dwellings_name),
                mapping,
                valuation_date=vdate,
                level=level,
                progress=progress,
            )
    except InvalidInput as exc:
        uploads(platform, tenant_id, actor=actor).mark_failed([s_item, d_item], exc)
        raise
    return _record(
        platform,
        tenant_id,
        result,
        s_item,
        d_item,
        sales,
        dwellings,
        actor,
        max_suggestions,
        meter.ms,
        mapping=mapping.to_dict(),
        progress=progress or _silent,
    )


def latest_mapping(platform: Platform, tenant_id: int) -> dict[str, Any]:
    """The mapping object the latest run used (to download and reuse with ``--mapping``)."""
    with platform.db.read_session(tenant_id) as session:
        mapping = (latest_run(session).summary or {}).get("mapping")
    if mapping is None:
        raise NotFound("Siste verdsetting har ikke lagret kolonneoppsettet.")
    return mapping


def _record(
    platform,
    tenant_id,
    result,
    s_item,
    d_item,
    sales_bytes,
    dwellings_bytes,
    actor,
    max_suggestions,
    batch_cpu_ms: float = 0.0,
    mapping: dict[str, Any] | None = None,
    progress: Progress = _silent,
):
    m, v = result.model, result.valuation
    frame = result.dwellings.frame
    cpu_ms_each = batch_cpu_ms / max(1, len(frame))  # the batch's CPU apportioned equally per dwelling
    flagged_rows = np.flatnonzero(v.flagged)
    if max_suggestions is not None:
        flagged_rows = flagged_rows[:max_suggestions]
    dates = np.full(len(frame), np.datetime64(result.valuation_date, "D"))
    progress(0.4, "Finner sammenlignbare salg for hver bolig …")
    comps = explain.comparables(m, frame, dates, v)
    n = len(frame)
    progress(0.5, f"Lagrer verdiene: 0 av {_n(n)} boliger …")
    # one transaction from here: the run, its model, every valuation and suggestion, or nothing
    with platform.db.tenant_session(tenant_id) as session:
        n_runs = session.scalar(select(func.count()).select_from(ValuationRun)) or 0
        version = f"{result.valuation_date.isoformat()}-{n_runs + 1}"
        card = engine_card.trained_card(
            version,
            m.training,
            result.calibration_study,
            result.sales.rejected_counts(),
            result.seconds["train"],
        )
        mv = modelreg.register(
            session,
            tenant_id=tenant_id,
            card=card,
            artifact=m.to_bytes(),
            artifact_dir=platform.model_dir / str(tenant_id),
            created_by=actor,
        )
        summary = {
            "dwellings": int(len(frame)),
            "flagged": int(v.flagged.sum()),
            "sales_rejected": result.sales.rejected,
            "dwellings_rejected": result.dwellings.rejected,
            "study": result.calibration_study,
            "training": m.training,
            "seconds": {k: round(x, 2) for k, x in result.seconds.items()},
            "level": m.interval.level,
            "mapping": mapping,
        }
        run = ValuationRun(
            tenant_id=tenant_id,
            sales_item_id=s_item,
            dwellings_item_id=d_item,
            model_version_id=mv.id,
            valuation_date=result.valuation_date,
            summary=json.loads(json.dumps(summary, default=str)),
            created_by=actor,
        )
        session.add(run)
        session.flush()
        # plain columns once (not a pandas row lookup per dwelling), rows as dicts written in bulk:
        # thousands of ORM objects in the session would make every later statement slower
        unit_ids = frame["unit_id"].astype(str).tolist()
        building_types = frame["building_type"].astype(str).tolist()
        area_codes = frame["area_code"].astype(str).tolist()
        living_areas = frame["living_area"].astype(float).tolist()
        valuation_day = result.valuation_date.isoformat()
        inputs_of = frame[list(INPUT_FIELDS)].to_dict("records")
        rows: list[dict[str, Any]] = []
        ids: list[int] = []
        for i in range(n):
            rows.append(
                {
                    "tenant_id": tenant_id,
                    "run_id": run.id,
                    "unit_id": unit_ids[i][:64],
                    "building_type": building_types[i],
                    "area_code": area_codes[i][:32],
                    "living_area": living_areas[i],
                    "value": float(v.estimate[i]),
                    "lower": float(v.lower[i]),
                    "upper": float(v.upper[i]),
                    "flagged": bool(v.flagged[i]),
                    "flag_reason": "; ".join(v.reasons[i]) or None,
                    "inputs": {k: _plain(x) for k, x in inputs_of[i].items()},
                    "explanation": {
                        **result.explanation(i, comps[i]),
                        "unit_id": unit_ids[i],
                        "valuation_date": valuation_day,
                    },
                }
            )
            if len(rows) - len(ids) >= STORE_CHUNK or len(rows) == n:
                ids += session.scalars(
                    insert(DwellingValuation).returning(DwellingValuation.id, sort_by_parameter_order=True),
                    rows[len(ids) :],
                ).all()
                progress(
                    0.5 + 0.35 * len(rows) / max(1, n),
                    f"Lagrer verdiene: {_n(len(rows))} av {_n(n)} boliger …",
                )
        n_flagged = len(flagged_rows)
        progress(0.85, f"Lager forslag til kontroll for {_n(n_flagged)} flaggede boliger …")
        arrivals, proposals = [], []
        for i in flagged_rows:  # the same item data as _queue_for_review (a dwelling queued later)
            dv = rows[i]
            data = json.dumps(
                {"unit_id": dv["unit_id"], "run_id": run.id, **dv["inputs"]},
                ensure_ascii=False,
                sort_keys=True,
            ).encode()
            arrivals.append(
                {
                    "data": data,
                    "filename": f"{dv['unit_id']}.json",
                    "external_id": dv["unit_id"],
                    "title": f"Bolig {dv['unit_id']}",
                    "state": "analysed",
                }
            )
            width = (dv["upper"] - dv["lower"]) / max(dv["value"], 1.0)
            proposals.append(
                suggestions.Proposal(
                    kind=KIND,
                    value={"value": round(dv["value"]), "unit_id": dv["unit_id"]},
                    confidence=float(max(0.0, min(1.0, 1.0 - width / 2))),
                    explanation=dv["explanation"],
                    model_name=mv.name,
                    model_version=mv.version,
                    input_hash=hashlib.sha256(data).hexdigest(),
                    cpu_ms=cpu_ms_each,
                )
            )
        item_ids = items.ingest_many(
            session,
            platform.blobs,
            tenant_id,
            arrivals,
            service=SERVICE,
            kind="dwelling",
            source="valuation",
            content_type="application/json",
            actor=actor,
        )
        progress(0.9, f"Lager forslag til kontroll: {_n(n_flagged)} boliger er lagret …")
        suggestion_ids = suggestions.suggest_many(
            session,
            platform.registry,
            tenant_id,
            SERVICE,
            list(zip(proposals, item_ids, strict=True)),
            actor=actor,
        )
        if suggestion_ids:
            session.execute(
                update(DwellingValuation),
                [
                    {"id": ids[i], "suggestion_id": sid}
                    for i, sid in zip(flagged_rows, suggestion_ids, strict=True)
                ],
            )
        n_sugg = len(suggestion_ids)
        progress(0.97, "Lagrer kjøringen …")
        for iid in (s_item, d_item):  # a retry after a failed attempt (the editor) clears the failure
            it = session.get(items.Item, iid)
            it.state, it.meta = "analysed", {k: x for k, x in (it.meta or {}).items() if k != "error"}
        audit.record(
            session,
            tenant_id,
            "eiendomsskatt.run_completed",
            actor=actor,
            subject=("eiendomsskatt_run", run.id),
            run_id=run.id,
            model_id=mv.id,
            dwellings=len(frame),
            flagged=int(v.flagged.sum()),
            rejected_sales=len(result.sales.rejected),
            sales_sha256=hashlib.sha256(sales_bytes).hexdigest(),
            dwellings_sha256=hashlib.sha256(dwellings_bytes).hexdigest(),
        )
        return {
            "run_id": run.id,
            "model_id": mv.id,
            "model_version": mv.version,
            "dwellings": len(frame),
            "flagged": int(v.flagged.sum()),
            "suggestions": n_sugg,
            "sales_rejected": len(result.sales.rejected),
            "dwellings_rejected": len(result.dwellings.rejected),
            "ratio_study": result.calibration_study["overall"],
        }


INPUT_FIELDS = ("building_type", "area_code", "living_area", "lot_area", "year_built", "lat", "lon")


def _queue_for_review(
    session,
    platform: Platform,
    tenant_id: int,
    run: ValuationRun,
    dv: DwellingValuation,
    mv,
    *,
    actor,
    cpu_ms,
) -> Suggestion:
    """A review suggestion for one flagged dwelling: its input row stored as an item (raw first), the
    valuation proposed for a person to accept or change."""
    inputs = dv.inputs or {
        "building_type": dv.building_type,
        "area_code": dv.area_code,
        "living_area": dv.living_area,
    }
    data = json.dumps(
        {"unit_id": dv.unit_id, "run_id": run.id, **inputs}, ensure_ascii=False, sort_keys=True
    ).encode()
    item = items.ingest(
        session,
        platform.blobs,
        tenant_id,
        service=SERVICE,
        kind="dwelling",
        data=data,
        filename=f"{dv.unit_id}.json",
        external_id=dv.unit_id,
        source="valuation",
        content_type="application/json",
        actor=actor,
    ).item
    item.title, item.state = f"Bolig {dv.unit_id}", "analysed"
    width = (dv.upper - dv.lower) / max(dv.value, 1.0)
    proposal = suggestions.Proposal(
        kind=KIND,
        value={"value": round(dv.value), "unit_id": dv.unit_id},
        confidence=float(max(0.0, min(1.0, 1.0 - width / 2))),
        explanation=dv.explanation,
        model_name=mv.name,
        model_version=mv.version,
        input_hash=hashlib.sha256(data).hexdigest(),
        cpu_ms=cpu_ms,
    )
    s = suggestions.suggest(
        session, platform.registry, tenant_id, SERVICE, proposal, item_id=item.id, actor=actor
    )
    dv.suggestion_id = s.id
    return s


def queue_dwelling(platform: Platform, tenant_id: int, valuation_id: int, *, actor: str) -> int:
    """Put one flagged dwelling of a run in the review queue (the demo and a capped run queue only the
    first flagged ones): a reviewer can open any flagged dwelling. Idempotent: the existing
    suggestion's id when it is queued already."""
    with platform.db.tenant_session(tenant_id) as session:
        dv = session.get(DwellingValuation, valuation_id)
        if dv is None:
            raise NotFound("Boligen finnes ikke i verdsettingen.")
        if dv.suggestion_id is not None:
            return dv.suggestion_id
        if not dv.flagged:
            raise InvalidInput("Boligen er ikke flagget for kontroll.")
        run = session.get(ValuationRun, dv.run_id)
        if run.status == "superseded":
            raise InvalidInput("Verdsettingen er erstattet av en nyere; kontroller boligen i den nyeste.")
        mv = session.get(ModelVersion, run.model_version_id) if run.model_version_id else None
        if mv is None:
            raise NotFound("Modellen verdsettingen brukte finnes ikke lenger.")
        return _queue_for_review(session, platform, tenant_id, run, dv, mv, actor=actor, cpu_ms=0.0).id


def _plain(v):
    if isinstance(v, (np.floating, float)):
        return None if np.isnan(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    return v if v is None or isinstance(v, (str, int)) else str(v)


def latest_run(session) -> ValuationRun:
    """The newest run, draft or approved (what the overview shows first)."""
    run = session.scalar(select(ValuationRun).order_by(ValuationRun.id.desc()).limit(1))
    if run is None:
        raise NotFound("Ingen boliger er verdsatt ennå.")
    return run


def approved_run(session) -> ValuationRun:
    """The run a person approved: the one the tax list and the dwelling pages come from."""
    run = session.scalar(
        select(ValuationRun)
        .where(ValuationRun.status == "approved")
        .order_by(ValuationRun.id.desc())
        .limit(1)
    )
    if run is None:
        raise NotFound(
            "Ingen verdsetting er godkjent ennå. Skattelisten lages bare fra en verdsetting en person har "
            "godkjent."
        )
    return run


def _run(session, run_id: int | None) -> ValuationRun:
    if run_id is None:
        return latest_run(session)
    run = session.get(ValuationRun, run_id)
    if run is None:
        raise NotFound("Verdsettingen finnes ikke.")
    return run


def approve_run(platform: Platform, tenant_id: int, run_id: int, *, actor: str) -> dict[str, Any]:
    """A person approves a draft run: from now on the tax list comes from it, and the run approved
    before it is superseded. A superseded run cannot be approved again (value anew instead)."""
    with platform.db.tenant_session(tenant_id) as session:
        run = _run(session, run_id)
        if run.status == "approved":
            return {"run_id": run.id, "done": "already"}
        if run.status != "draft":
            raise InvalidInput("Bare en verdsetting som er utkast kan godkjennes.")
        previous = session.scalars(select(ValuationRun).where(ValuationRun.status == "approved")).all()
        for old in previous:
            old.status = "superseded"
        pending = session.scalar(
            select(func.count())
            .select_from(DwellingValuation)
            .join(Suggestion, Suggestion.id == DwellingValuation.suggestion_id)
            .where(DwellingValuation.run_id == run.id, Suggestion.status == "pending")
        )
        run.status, run.approved_by, run.approved_at = "approved", actor, utcnow()
        audit.record(
            session,
            tenant_id,
            "eiendomsskatt.run_approved",
            actor=actor,
            subject=("eiendomsskatt_run", run.id),
            run_id=run.id,
            replaced_run_ids=[old.id for old in previous],
            pending_reviews=int(pending or 0),
        )
        return {"run_id": run.id, "done": "approved", "replaced": [old.id for old in previous]}


def valuation_status(dv: DwellingValuation, s: Suggestion | None, d: Decision | None) -> tuple[float, str]:
    """The value that counts and its status: an officer's changed value wins; a rejected suggestion keeps
    the unit on the list with status 'avvist' (value as estimated, to be handled)."""
    if s is None:
        return dv.value, "verdsatt"
    if d is None:
        return dv.value, "til kontroll"
    if d.outcome == "changed" and d.final_value and "value" in d.final_value:
        return float(d.final_value["value"]), "endret av saksbehandler"
    if d.outcome == "accepted":
        return dv.value, "kontrollert"
    return dv.value, "avvist, må behandles"


def tax_rows(
    platform: Platform, tenant_id: int
) -> tuple[ValuationRun, list[dict[str, Any]], taxlist.TaxSettings]:
    settings = get_settings(platform, tenant_id)
    with platform.db.read_session(tenant_id) as session:
        run = approved_run(session)  # never a draft: a trial upload does not change the tax list
        sugg = {s.id: s for s in session.scalars(select(Suggestion).where(Suggestion.service == SERVICE))}
        decisions = {
            d.suggestion_id: d
            for d in session.scalars(select(Decision).where(Decision.suggestion_id.in_(list(sugg) or [-1])))
        }
        vals = []
        for dv in session.scalars(
            select(DwellingValuation).where(DwellingValuation.run_id == run.id).order_by(DwellingValuation.id)
        ):
            s = sugg.get(dv.suggestion_id) if dv.suggestion_id else None
            value, status = valuation_status(dv, s, decisions.get(dv.suggestion_id))
            scale = value / dv.value if dv.value else 1.0
            vals.append(
                {
                    "unit_id": dv.unit_id,
                    "value": value,
                    "lower": dv.lower * scale,
                    "upper": dv.upper * scale,
                    "flagged": dv.flagged,
                    "flag_reason": dv.flag_reason,
                    "status": status,
                }
            )
        session.expunge(run)
    return run, taxlist.build_tax_list(vals, settings), settings


def export_tax_list(platform: Platform, tenant_id: int, fmt: str, *, actor: str) -> bytes:
    """The tax list of the approved run as CSV or Excel; the export is audited by hash."""
    if fmt not in ("csv", "xlsx"):
        raise InvalidInput("Format må være csv eller xlsx.")
    run, rows, _s = tax_rows(platform, tenant_id)
    data = taxlist.to_csv(rows) if fmt == "csv" else taxlist.to_xlsx(rows)
    with platform.db.tenant_session(tenant_id) as session:
        audit.record(
            session,
            tenant_id,
            "eiendomsskatt.taxlist_exported",
            actor=actor,
            subject=("eiendomsskatt_run", run.id),
            run_id=run.id,
            rows=len(rows),
            format=fmt,
            sha256=hashlib.sha256(data).hexdigest(),
        )
    return data


def dwelling(platform: Platform, tenant_id: int, unit_id: str, run_id: int | None = None) -> dict[str, Any]:
    """One unit's valuation(s) with status, tax and explanation (for the owner's page): in the approved
    run, or in ``run_id`` (a draft under review); with no approved run, in the latest."""
    settings = get_settings(platform, tenant_id)
    with platform.db.read_session(tenant_id) as session:
        if run_id is not None:
            run = _run(session, run_id)
        else:
            try:
                run = approved_run(session)
            except NotFound:
                run = latest_run(session)
        dvs = list(
            session.scalars(
                select(DwellingValuation).where(
                    DwellingValuation.run_id == run.id, DwellingValuation.unit_id == unit_id
                )
            )
        )
        if not dvs:
            raise NotFound("Eiendommen finnes ikke i siste verdsetting.")
        out = []
        for dv in dvs:
            s = session.get(Suggestion, dv.suggestion_id) if dv.suggestion_id else None
            d = session.scalar(select(Decision).where(Decision.suggestion_id == s.id)) if s else None
            value, status = valuation_status(dv, s, d)
            out.append(
                {
                    "id": dv.id,
                    "value": value,
                    "status": status,
                    "lower": dv.lower,
                    "upper": dv.upper,
                    "flagged": dv.flagged,
                    "building_type": dv.building_type,
                    "area_code": dv.area_code,
                    "living_area": dv.living_area,
                    "explanation": dv.explanation,
                    "suggestion_id": dv.suggestion_id,
                    "valuation_id": dv.id,
                    "changed": status.startswith("endret"),
                }
            )
        rows = taxlist.build_tax_list(
            [
                {
                    "unit_id": unit_id,
                    "value": o["value"],
                    "lower": o["lower"],
                    "upper": o["upper"],
                    "flagged": o["flagged"],
                    "status": o["status"],
                }
                for o in out
            ],
            settings,
        )
        return {
            "unit_id": unit_id,
            "dwellings": out,
            "tax": rows[0],
            "settings": settings.as_dict(),
            "valuation_date": run.valuation_date.isoformat(),
            "run_id": run.id,
            "run_status": run.status,
        }


FLAGGED_PAGE = 100


def run_summary(
    platform: Platform, tenant_id: int, run_id: int | None = None, *, page: int = 1
) -> dict[str, Any]:
    """A run (the latest when ``run_id`` is None) with its status, the approved run's id, and every
    flagged dwelling, a page of ``FLAGGED_PAGE`` at a time (each can be opened and queued for review)."""
    page = max(1, page)
    with platform.db.read_session(tenant_id) as session:
        run = _run(session, run_id)
        try:
            approved = approved_run(session).id
        except NotFound:
            approved = None
        flagged_q = select(DwellingValuation).where(
            DwellingValuation.run_id == run.id, DwellingValuation.flagged.is_(True)
        )
        n_flagged = session.scalar(select(func.count()).select_from(flagged_q.subquery())) or 0
        flagged = list(
            session.scalars(
                flagged_q.order_by(DwellingValuation.id).limit(FLAGGED_PAGE).offset((page - 1) * FLAGGED_PAGE)
            )
        )
        statuses = dict(
            session.execute(
                select(Suggestion.id, Suggestion.status).where(
                    Suggestion.id.in_([f.suggestion_id for f in flagged if f.suggestion_id] or [-1])
                )
            ).all()
        )
        pending = session.scalar(
            select(func.count())
            .select_from(DwellingValuation)
            .join(Suggestion, Suggestion.id == DwellingValuation.suggestion_id)
            .where(DwellingValuation.run_id == run.id, Suggestion.status == "pending")
        )
        return {
            "run_id": run.id,
            "status": run.status,
            "approved_by": run.approved_by,
            "approved_at": run.approved_at.isoformat() if run.approved_at else None,
            "approved_run_id": approved,
            "valuation_date": run.valuation_date.isoformat(),
            "summary": run.summary,
            "model_version_id": run.model_version_id,
            "flagged_total": int(n_flagged),
            "flagged_page": page,
            "flagged_pages": max(1, (int(n_flagged) + FLAGGED_PAGE - 1) // FLAGGED_PAGE),
            "pending_reviews": int(pending or 0),
            "flagged": [
                {
                    "valuation_id": f.id,
                    "unit_id": f.unit_id,
                    "value": f.value,
                    "reason": f.flag_reason,
                    "suggestion_id": f.suggestion_id,
                    "suggestion_status": statuses.get(f.suggestion_id),
                }
                for f in flagged
            ],
        }
