"""Bemanning orchestration: store the upload, forecast in a background task, record per unit a forecast
(a recorded suggestion outside the review queue) and a staffing proposal (the unit leader's decision,
in the review queue).

The aggregated upload (``date,unit,absent[,staff]``: counts per unit and day, no persons) is stored
first, as every input is. Each unit's forecast hangs on an item of its own, restricted to that unit
(``item.unit_code``), so a unit leader sees her own units through the core's unit membership.
"""

from __future__ import annotations

import hashlib
import re
import time
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, select

from ...core import items, suggestions
from ...core.arrival import Arrivals, Incoming
from ...core.errors import DomainError, InvalidInput, NotFound
from ...core.models import Item, Suggestion, Unit
from ...core.platform import Platform
from ...core.proposal import Proposal
from ...ingest.tabular import excel_as_csv, is_excel
from .engine import ili
from .engine.forecast import MODEL_NAME, MODEL_VERSION, forecast
from .engine.history import read_history
from .engine.plan import plan, read_minimum

SERVICE = "bemanning"
FORECAST_KIND = "bemanning.prognose"
STAFFING_KIND = "bemanning.ekstravakter"
FORECAST_TASK = "bemanning.forecast"
HISTORY_SHOWN = 56


class Settings(BaseModel):
    """A tenant's bemanning settings (``tenant.settings["bemanning"]``)."""

    probability: float = Field(0.9, ge=0.5, lt=1, title="Sannsynlighet for at minimumsbemanningen holder")
    min_group: int = Field(5, ge=1, title="Minste gruppestørrelse (ansatte) før en enhet vises for seg")
    early_cost: float = Field(1.0, gt=0, title="Kostnad per ekstravakt bestilt tidlig")
    late_cost: float = Field(1.5, gt=0, title="Kostnad per ekstravakt bestilt sent")
    horizon: int = Field(28, ge=7, le=56, title="Prognosehorisont (dager)")


def get_settings(platform: Platform, tenant_id: int) -> Settings:
    from ...core.models import Tenant

    with platform.db.read_session(unscoped=True) as session:
        tenant = session.get(Tenant, tenant_id)
        return Settings(**((tenant.settings or {}).get(SERVICE) or {}))


def store_upload(
    platform: Platform,
    tenant_id: int,
    history: bytes,
    minimum: bytes | None,
    *,
    filename: str | None,
    actor: str,
    mapping: dict[str, Any] | None = None,
    check: bool = True,
    rota: bytes | None = None,
    rota_filename: str | None = None,
) -> dict[str, int | None]:
    """Store the history (and the minimum file, and the rota export the planned staff is read from) first;
    then check that they can be read with the column mapping given, if any (a file that cannot is kept,
    marked failed, and the Norwegian error raised). ``check=False`` only stores them, for the column
    editor (:func:`set_history_mapping`)."""
    ids: dict[str, int | None] = {"history": None, "minimum": None, "rota": None}
    names = {"history": filename, "minimum": "minimum.csv", "rota": rota_filename or "turnus.csv"}
    parts = [
        (key, Incoming(data, filename=names[key], source="upload", kind=kind, meta=meta))
        for key, data, kind, meta in (
            ("history", history, "absence_counts", {"mapping": mapping} if mapping else None),
            ("minimum", minimum, "minimum_staffing", None),
            ("rota", rota, "rota", None),
        )
        if data is not None
    ]
    pipeline = uploads(platform, tenant_id, actor=actor)
    stored = pipeline.store_together(incoming for _key, incoming in parts)  # one arrival, all or none
    ids.update({key: item_id for (key, _in), item_id in zip(parts, stored, strict=True)})
    if not check:
        return ids
    try:
        read_history(_table_text(history, filename), mapping)
        if minimum is not None:
            read_minimum(minimum)
        if rota is not None:
            if minimum is None:
                raise InvalidInput(
                    "Turnusen gir planlagt bemanning per vakt, men minimumsbemanningen mangler: last opp "
                    "den også."
                )
            planned_from_rota(rota, names["rota"])
    except DomainError as exc:
        pipeline.mark_failed(stored, exc)
        raise
    return ids


def uploads(platform: Platform, tenant_id: int, *, actor: str) -> Arrivals:
    """Bemanning's arrival pipeline (``core/arrival.py``), storing and marking only: the aggregated history,
    the minimum staffing and the rota export arrive as one (one transaction), are checked, and feed
    forecast runs that may be repeated (another column mapping, a backtest), so there is no process-once
    step. The absence import is not on it: that file holds persons and is never stored (ADR 0009)."""
    return Arrivals(platform, tenant_id, service=SERVICE, kind="absence_counts", actor=actor)


def planned_from_rota(data: bytes, filename: str | None) -> dict:
    """The planned staff per (unit, day, shift) from a rota export (engine/rota.py)."""
    from .engine import rota as rota_engine

    return rota_engine.planned_staff(rota_engine.read_rota(data, None, filename or "turnus.csv"))


def _table_text(data: bytes, filename: str | None) -> bytes:
    """An uploaded history as CSV: an Excel sheet is converted in memory (the stored bytes stay as sent)."""
    return excel_as_csv(data, filename or "") if is_excel(filename) else data


def _stored_history(session, platform: Platform, tenant_id: int, item: Item) -> tuple[bytes, dict | None]:
    """The stored history's bytes as CSV and the column mapping saved with it."""
    data = platform.blobs.get(tenant_id, item.sha256)
    return _table_text(data, item.filename), (item.meta or {}).get("mapping")


def uploaded_history(platform: Platform, tenant_id: int, item_id: int) -> dict[str, Any]:
    """A stored history upload for the column editor: its bytes (as CSV), file name and saved mapping."""
    with platform.db.read_session(tenant_id) as session:
        item = session.get(Item, item_id)
        if (
            item is None
            or item.service != SERVICE
            or item.kind != "absence_counts"
            or item.source != "upload"
        ):
            raise NotFound("Opplastingen finnes ikke.")
        data, mapping = _stored_history(session, platform, tenant_id, item)
        return {
            "item_id": item.id,
            "data": data,
            "filename": item.filename or "fravaer.csv",
            "mapping": mapping,
        }


def set_history_mapping(
    platform: Platform, tenant_id: int, item_id: int, mapping: dict[str, Any], *, actor: str
) -> None:
    """Save the column editor's mapping with a stored history, after reading the file with it (a Norwegian
    error when it still cannot be read); the upload is then ready to forecast."""
    data = uploaded_history(platform, tenant_id, item_id)["data"]
    read_history(data, mapping)
    with platform.db.tenant_session(tenant_id) as session:
        item = session.get(Item, item_id)
        meta = {k: v for k, v in (item.meta or {}).items() if k != "error"}
        item.meta = {**meta, "mapping": mapping}
        if item.state == "failed":
            item.state = "received"


def forecast_task(platform: Platform, tenant_id: int, payload: dict[str, Any], report) -> dict[str, Any]:
    """The background task: forecast every unit of a stored upload and record the suggestions."""
    settings = get_settings(platform, tenant_id)
    with platform.db.tenant_session(tenant_id) as session:
        source = session.get(Item, payload["history_item_id"])
        if source is None:
            raise NotFound("Opplastingen finnes ikke.")
        data, mapping = _stored_history(session, platform, tenant_id, source)
        small_units = set((source.meta or {}).get("below_min_group") or [])
        minimum_item = (
            session.get(Item, payload["minimum_item_id"]) if payload.get("minimum_item_id") else None
        )
        minimum = platform.blobs.get(tenant_id, minimum_item.sha256) if minimum_item else None
        rota_item = session.get(Item, payload["rota_item_id"]) if payload.get("rota_item_id") else None
        rota = (platform.blobs.get(tenant_id, rota_item.sha256), rota_item.filename) if rota_item else None
    report(0.05, "Leser fraværstallene")
    history = read_history(data, mapping)
    path = ili.default_path()
    weekly = ili.read_weekly(path) if path else None
    report(0.15, f"Trener modellen på {len(history.units)} enheter")
    start = time.process_time()
    fc = forecast(history, settings.horizon, ili_weekly=weekly, seed=0, min_group=settings.min_group)
    proposal_rows: dict[str, list[dict]] = {}
    if minimum is not None:
        rules = read_minimum(minimum)
        for row in plan(
            fc,
            rules,
            probability=settings.probability,
            early_cost=settings.early_cost,
            late_cost=settings.late_cost,
            planned_staff=planned_from_rota(*rota) if rota else None,
        ):
            proposal_rows.setdefault(row["unit"], []).append(row)
    cpu_ms = (time.process_time() - start) * 1000 / max(len(history.units), 1)
    report(0.7, "Lagrer prognosene")
    input_hash = hashlib.sha256(data).hexdigest()
    recorded = 0
    with platform.db.tenant_session(tenant_id) as session:
        for u, unit in enumerate(history.units):
            if unit in fc.errors:
                continue
            observed = history.absent[u, -HISTORY_SHOWN:]
            days = history.days[-HISTORY_SHOWN:]
            item = _unit_item(session, platform, tenant_id, unit, source.id, payload["actor"])
            warning = list(fc.warnings.get(unit, []))
            if unit in small_units:
                warning.append(
                    f"Færre enn {settings.min_group} personer med fravær i perioden "
                    "(minste gruppestørrelse): tallene kan peke ut enkeltpersoner. Vis dem bare samlet "
                    "eller med forsiktighet."
                )
            value = {
                "unit": unit,
                "origin": fc.origin.isoformat(),
                "dates": [d.isoformat() for d in fc.dates],
                "expected": [round(float(v), 3) for v in fc.expected[u]],
                "q10": [float(v) for v in fc.q10[u]],
                "q50": [float(v) for v in fc.q50[u]],
                "q90": [float(v) for v in fc.q90[u]],
                "history": {
                    "dates": [d.isoformat() for d in days],
                    "absent": [None if v != v else float(v) for v in observed],
                },
                "warnings": warning,
            }
            mean = f"{fc.expected[u].mean():.1f}".replace(".", ",")
            summary = (
                f"Forventet fravær i {unit} de neste {fc.horizon} dagene: i snitt {mean} personer per dag."
            )
            explanation = {
                "summary": summary,
                "evidence": [{"type": "model", "model": fc.info.get("model", "ets"), "warnings": warning}],
            }
            suggestions.suggest(
                session,
                platform.registry,
                tenant_id,
                SERVICE,
                Proposal(
                    FORECAST_KIND, value, 0.8, explanation, MODEL_NAME, MODEL_VERSION, input_hash, cpu_ms
                ),
                item_id=item.id,
                actor=payload["actor"],
            )
            recorded += 1
            rows = proposal_rows.get(unit)
            if rows and "error" not in rows[0]:
                extra = sum(r["extra_shifts"] for r in rows)
                staffing = {
                    "unit": unit,
                    "probability": settings.probability,
                    "rows": rows,
                    "extra_shifts": extra,
                }
                met = min(r["p_minimum_met"] for r in rows)
                text = (
                    f"Forslag til {unit}: bestill {extra} ekstravakter de neste {fc.horizon} dagene, så "
                    f"minimumsbemanningen holder med minst {round(settings.probability * 100)} % "
                    "sannsynlighet per vakt. Et forslag til enhetslederen, ikke en ordre."
                )
                suggestions.suggest(
                    session,
                    platform.registry,
                    tenant_id,
                    SERVICE,
                    Proposal(
                        STAFFING_KIND,
                        staffing,
                        round(met, 3),
                        {
                            "summary": text,
                            "evidence": [{"type": "shift_plan", "shifts": len(rows), "extra_shifts": extra}],
                        },
                        MODEL_NAME,
                        MODEL_VERSION,
                        input_hash,
                        0.0,
                    ),
                    item_id=item.id,
                    actor=payload["actor"],
                )
    report(1.0, "Ferdig")
    failed = len(fc.errors)
    message = f"Prognose for {recorded} enheter." + (
        f" {failed} enheter kunne ikke få prognose." if failed else ""
    )
    return {"units": recorded, "failed": failed, "message": message}


def _unit_item(session, platform: Platform, tenant_id: int, unit: str, source_id: int, actor: str) -> Item:
    """The unit's own item for this run (restricted to the unit), with the unit's name as its bytes."""
    arrival = items.ingest(
        session,
        platform.blobs,
        tenant_id,
        service=SERVICE,
        kind="aggregate",
        data=f"bemanning:{source_id}:{unit}".encode(),
        external_id=f"{source_id}:{unit}"[:500],
        source="forecast",
        actor=actor,
        meta={"source_item_id": source_id},
    )
    item = arrival.item
    item.unit_code, item.title = unit_code(session, unit), unit
    return item


def unit_code(session, unit: str) -> str:
    """The core unit this unit of the file is (by code or name, case-insensitive); else its name as a
    code (lower case, a–z, digits and dashes), so that a membership of that code gives access."""
    wanted = unit.strip().lower()
    for code, name in session.execute(select(Unit.code, Unit.name)):
        if wanted in (code.lower(), (name or "").strip().lower()):
            return code
    slug = re.sub(r"[^a-z0-9]+", "-", wanted.replace("æ", "ae").replace("ø", "o").replace("å", "a"))
    return slug.strip("-")[:64] or "enhet"


def latest(platform: Platform, tenant_id: int, units: frozenset[str] | None) -> list[dict[str, Any]]:
    """The newest forecast (and staffing proposal) per unit the principal may see."""
    with platform.db.read_session(tenant_id) as session:
        newest = (
            select(Item.unit_code, func.max(Suggestion.id))
            .join(Item, Suggestion.item_id == Item.id)
            .where(Suggestion.service == SERVICE, Suggestion.kind == FORECAST_KIND)
            .group_by(Item.unit_code)
        )
        ids = [sid for code, sid in session.execute(newest) if units is None or code in units]
        out = []
        for s in session.scalars(select(Suggestion).where(Suggestion.id.in_(ids)).order_by(Suggestion.id)):
            staffing = session.scalar(
                select(Suggestion)
                .where(Suggestion.item_id == s.item_id, Suggestion.kind == STAFFING_KIND)
                .order_by(Suggestion.id.desc())
            )
            out.append(
                {
                    "forecast": suggestions.suggestion_dict(s),
                    "staffing": suggestions.suggestion_dict(staffing) if staffing else None,
                    "item_id": s.item_id,
                }
            )
        return out


def unit_view(
    platform: Platform, tenant_id: int, item_id: int, units: frozenset[str] | None
) -> dict[str, Any]:
    with platform.db.read_session(tenant_id) as session:
        item = session.get(Item, item_id)
        if item is None or item.service != SERVICE or (units is not None and item.unit_code not in units):
            raise NotFound("Enheten finnes ikke, eller du har ikke tilgang til den.")
        found = {}
        for kind in (FORECAST_KIND, STAFFING_KIND):
            s = session.scalar(
                select(Suggestion)
                .where(Suggestion.item_id == item_id, Suggestion.kind == kind)
                .order_by(Suggestion.id.desc())
            )
            found[kind] = suggestions.suggestion_dict(s) if s else None
        if found[FORECAST_KIND] is None:
            raise InvalidInput("Enheten har ingen prognose.")
        return {"unit": item.title, "forecast": found[FORECAST_KIND], "staffing": found[STAFFING_KIND]}


def import_absence_records(
    platform: Platform,
    tenant_id: int,
    data: bytes,
    *,
    filename: str | None,
    actor: str,
    mapping: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Absence records (person, unit, from, to, type) → daily counts per unit, stored as the aggregated
    history. The raw file and the pseudonyms are never stored (ADR 0009): only the counts are. Units with
    fewer distinct persons than the minimum group size are named in the result and get a warning."""
    from .engine.records import import_records

    settings = get_settings(platform, tenant_id)
    counts = import_records(data, mapping, filename=filename)
    del data
    small = sorted(u for u, n in counts.units.items() if n < settings.min_group)
    with platform.db.tenant_session(tenant_id) as session:
        arrival = items.ingest(
            session,
            platform.blobs,
            tenant_id,
            service=SERVICE,
            kind="absence_counts",
            data=counts.csv,
            filename="fravaer-per-enhet.csv",
            source="absence_records",
            actor=actor,
            meta={
                "from_absence_records": True,
                "rows": counts.rows,
                "counted_rows": counts.counted_rows,
                "planned_rows": counts.planned_rows,
                "merged_spells": counts.merged_spells,
                "below_min_group": small,
            },
        )
        item_id = arrival.item.id
    return {"history": item_id, "minimum": None, "below_min_group": small, "units": len(counts.units)}


BACKTEST_TASK = "bemanning.backtest"


def backtest_task(platform: Platform, tenant_id: int, payload: dict[str, Any], report) -> dict[str, Any]:
    """The background task behind *Kjør tilbakeblikk*: rolling-origin backtest on the stored history; the
    track record per unit (aggregate scores only) is kept on the history's item."""
    from sqlalchemy.orm.attributes import flag_modified

    from .engine.backtest import backtest

    with platform.db.tenant_session(tenant_id) as session:
        source = session.get(Item, payload["history_item_id"])
        if source is None or source.service != SERVICE:
            raise NotFound("Opplastingen finnes ikke.")
        data, mapping = _stored_history(session, platform, tenant_id, source)
    history = read_history(data, mapping)
    path = ili.default_path()
    weekly = ili.read_weekly(path) if path else None
    rows = backtest(
        history, origins=payload.get("origins", 12), horizon=28, ili_weekly=weekly, seed=0, progress=report
    )
    with platform.db.tenant_session(tenant_id) as session:
        source = session.get(Item, payload["history_item_id"])
        source.meta = {**source.meta, "track_record": {row["unit"]: row for row in rows}}
        flag_modified(source, "meta")
    done = sum("error" not in row for row in rows)
    return {"units": done, "message": f"Tilbakeblikk for {done} enheter."}


def track_record(platform: Platform, tenant_id: int, item_id: int) -> dict[str, Any] | None:
    """The unit's backtest row, if a backtest has run on the history its forecast came from."""
    with platform.db.read_session(tenant_id) as session:
        item = session.get(Item, item_id)
        source = session.get(Item, (item.meta or {}).get("source_item_id")) if item else None
        if source is None:
            return None
        return ((source.meta or {}).get("track_record") or {}).get(item.title)


def source_of(platform: Platform, tenant_id: int, item_id: int, units: frozenset[str] | None) -> int:
    """The history item a unit's forecast came from (the unit must be the principal's)."""
    with platform.db.read_session(tenant_id) as session:
        item = session.get(Item, item_id)
        source = (item.meta or {}).get("source_item_id") if item is not None else None
        if (
            item is None
            or item.service != SERVICE
            or source is None  # not a unit's forecast (an uploaded history, say)
            or (units is not None and item.unit_code not in units)
        ):
            raise NotFound("Enheten finnes ikke, eller du har ikke tilgang til den.")
        return int(source)


def rota_repair(
    platform: Platform,
    tenant_id: int,
    data: bytes,
    *,
    day: str,
    shift: str,
    arrangement: str,
    agreement: str,
    filename: str | None,
    actor: str,
) -> dict[str, Any]:
    """Who may take an extra shift, from the rota alone (engine/rota.py). The rota is stored first, as
    every input is; the answer is computed, shown and not stored (nothing is decided here)."""
    import datetime as dt

    from .engine import rota as rota_engine

    with platform.db.tenant_session(tenant_id) as session:
        items.ingest(
            session,
            platform.blobs,
            tenant_id,
            service=SERVICE,
            kind="rota",
            data=data,
            filename=filename or "turnus.csv",
            source="upload",
            actor=actor,
        )
    try:
        when = dt.date.fromisoformat(day)
    except ValueError as exc:
        raise InvalidInput(f"«{day}» er ikke en dato (ÅÅÅÅ-MM-DD).") from exc
    parsed = rota_engine.read_rota(data, None, filename or "turnus.csv")
    extra = rota_engine.open_shift(parsed, when, shift)
    result = rota_engine.eligible(parsed, extra, rota_engine.limits(arrangement, agreement))
    result["rules"] = [
        {"id": r.id, "law": r.law, "text": r.text, "count": result["blocked"].get(r.id, 0)}
        for r in rota_engine.RULES
    ]
    result["arrangement"], result["agreement"] = arrangement, agreement
    return result


EXPORT_COLUMNS = (
    "unit",
    "date",
    "shift",
    "minimum",
    "planned",
    "planned_from",
    "expected_absent",
    "expected_shortfall",
    "extra_shifts",
    "p_minimum_met",
    "outcome",
    "decided_at",
)


def decided_proposals_csv(
    platform: Platform, tenant_id: int, units: frozenset[str] | None, item_id: int | None = None
) -> str:
    """The decided staffing proposals as CSV (one row per unit, day and shift; the leader's final value
    where she changed it), for the units the principal may see, or one unit's item. Proposals not decided
    yet and rejected ones are left out: the export is what was decided to book. Cells go through
    ``core.exports`` (a unit name cannot become a formula). Counts per unit only, never a person."""
    from ...core.exports import csv_text

    rows: list[list[Any]] = []
    with platform.db.read_session(tenant_id) as session:
        query = (
            select(Suggestion, Item.unit_code)
            .join(Item, Suggestion.item_id == Item.id)
            .where(Suggestion.service == SERVICE, Suggestion.kind == STAFFING_KIND)
            .order_by(Suggestion.id)
        )
        if item_id is not None:
            query = query.where(Suggestion.item_id == item_id)
        newest: dict[str, Suggestion] = {}
        for s, code in session.execute(query):
            if units is not None and code not in units:
                continue
            if s.decision is None:
                continue
            newest[s.value.get("unit", code)] = s  # the newest decided proposal per unit
        for s in newest.values():
            d = s.decision
            if d.outcome not in ("accepted", "changed") or not isinstance(d.final_value, dict):
                continue
            decided_at = d.decided_at.isoformat() if d.decided_at else ""
            for row in d.final_value.get("rows") or []:
                rows.append(
                    [
                        row.get("unit", s.value.get("unit")),
                        row.get("date"),
                        row.get("shift"),
                        row.get("minimum"),
                        row.get("planned"),
                        row.get("planned_from", ""),
                        row.get("expected_absent"),
                        row.get("expected_shortfall"),
                        row.get("extra_shifts"),
                        row.get("p_minimum_met"),
                        d.outcome,
                        decided_at,
                    ]
                )
    return csv_text(EXPORT_COLUMNS, rows)
