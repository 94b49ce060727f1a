"""Real objects of every service in one tenant, for the attack sweep (tests/web/test_api_roles.py).

Each is made through the service's own code (what its own tests do), small enough that both tenants of
a module's world get a full set in a few seconds: a postmottak message (triaged: its suggestions
pending), a screened skjerming document, an eiendomsskatt run on a small generated kommune (its
valuations, a dwelling, the uploaded sales file), a saksinnsikt document, a tale recording with a
pending note, a bemanning unit with its forecast, a KI-register system with a DPIA, a job, a user, a
unit, an API token. The ids are keyed by (owner, path parameter): the owner is the service whose routes
take that parameter, or ``"core"``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from kommuneki.core import accounts, items, jobs, suggestions
from kommuneki.core.models import Suggestion, User
from kommuneki.core.permissions import Principal
from kommuneki.core.proposal import Proposal


@dataclass
class TenantObjects:
    tenant_id: int
    ids: dict[tuple, Any] = field(default_factory=dict)  # (owner, param[, route path]) -> id
    markers: dict[str, bytes] = field(default_factory=dict)  # owner -> text in its objects
    suggestions: dict[str, int] = field(default_factory=dict)  # service -> a pending suggestion
    item_service: dict[int, str] = field(default_factory=dict)  # item id -> its service

    def value(self, owner: str, param: str, path: str | None = None) -> Any:
        """The object for ``param`` on ``owner``'s routes; a route that takes another kind of object
        under the same name has its own entry, keyed (owner, param, route path)."""
        return self.ids.get((owner, param, path), self.ids.get((owner, param), self.ids.get(("core", param))))


def _pending(platform, tenant_id: int, service: str, item_ids: list[int] | None = None) -> int | None:
    with platform.db.read_session(tenant_id) as s:
        q = select(Suggestion.id).where(Suggestion.service == service, Suggestion.status == "pending")
        if item_ids is not None:
            q = q.where(Suggestion.item_id.in_(item_ids))
        return s.scalar(q.order_by(Suggestion.id).limit(1))


def _postmottak(platform, o: TenantObjects, tag: str) -> None:
    from kommuneki.services.postmottak import service

    marker = f"MARKOR-postmottak-{tag}"
    raw = (
        "From: Kari Nordmann <kari.nordmann@gmail.com>\r\nTo: postmottak@kommune.test\r\n"
        f"Subject: Innsynskrav {marker}\r\nDate: Tue, 01 Apr 2025 09:00:00 +0200\r\n"
        f"Message-ID: <{tag}@example.test>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"Jeg ber om innsyn i avtalen om brøyting. {marker}\r\n"
    ).encode()
    pm_id, _new = service.receive(platform, o.tenant_id, raw, source="upload", actor="test")
    service.process(platform, o.tenant_id, pm_id, actor="test")
    o.ids["postmottak", "pm_id"] = pm_id
    o.markers["postmottak"] = marker.encode()
    from kommuneki.services.postmottak.models import PostmottakMessage

    with platform.db.read_session(o.tenant_id) as s:
        item_id = s.get(PostmottakMessage, pm_id).item_id
    o.item_service[item_id] = "postmottak"
    o.suggestions["postmottak"] = _pending(platform, o.tenant_id, "postmottak", [item_id])
    o.ids["postmottak", "suggestion_id"] = o.suggestions["postmottak"]


def _skjerming(platform, o: TenantObjects, tag: str) -> None:
    from kommuneki.services.skjerming import service

    marker = f"MARKOR-skjerming-{tag}"
    text = f"Søknad fra Ola Nordmann, fødselsnummer 01010112345, Storgata 1, 0155 Oslo. {marker}"
    out = service.screen_document(platform, o.tenant_id, text.encode(), filename="s.txt", actor="test")
    o.ids["skjerming", "item_id"] = out["item_id"]
    o.item_service[out["item_id"]] = "skjerming"
    o.markers["skjerming"] = marker.encode()
    o.suggestions["skjerming"] = _pending(platform, o.tenant_id, "skjerming", [out["item_id"]])


def _eiendomsskatt(platform, o: TenantObjects, tag: str) -> None:
    from kommuneki.services.eiendomsskatt import service
    from kommuneki.services.eiendomsskatt.engine import demo
    from kommuneki.services.eiendomsskatt.models import DwellingValuation

    service.set_settings(
        platform,
        o.tenant_id,
        {"promille": 3, "bunnfradrag": 100_000, "valuation_date": "2025-01-01"},
        actor="test",
    )
    sales, dwellings = demo.generate(n_dwellings=60, n_sales=300, seed=7)
    # each tenant's own matrikkel numbers (kommunenummer), so that B's dwelling is not also one of A's
    kommune = {"a": "0101", "b": "0202"}.get(tag, "0303")
    for frame in (f for f in (sales, dwellings) if "matrikkelenhet" in f):
        frame["matrikkelenhet"] = frame["matrikkelenhet"].str.replace(demo.KOMMUNENUMMER, kommune, n=1)
    dwellings.loc[0, "bra"] = 700  # far larger than anything sold: flagged, so a review suggestion
    res = service.value_from_files(
        platform,
        o.tenant_id,
        sales=demo.to_csv_bytes(sales),
        sales_name="salg.csv",
        dwellings=demo.to_csv_bytes(dwellings),
        dwellings_name="boliger.csv",
        mapping_text=json.dumps(demo.DEMO_MAPPING),
        actor="test",
        valuation_date=dt.date(2025, 1, 1),
        max_suggestions=2,
    )
    o.ids["eiendomsskatt", "run_id"] = res["run_id"]
    with platform.db.read_session(o.tenant_id) as s:
        dv = s.scalar(select(DwellingValuation).where(DwellingValuation.run_id == res["run_id"]).limit(1))
        o.ids["eiendomsskatt", "valuation_id"] = dv.id
        o.ids["eiendomsskatt", "unit_id"] = dv.unit_id
    sales_item, _dwellings_item = service.store_files(
        platform,
        o.tenant_id,
        sales=demo.to_csv_bytes(sales),
        sales_name=f"salg-{tag}.csv",
        dwellings=demo.to_csv_bytes(dwellings),
        dwellings_name=f"boliger-{tag}.csv",
        actor="test",
    )
    o.ids["eiendomsskatt", "item_id"] = sales_item
    o.item_service[sales_item] = "eiendomsskatt"
    o.suggestions["eiendomsskatt"] = _pending(platform, o.tenant_id, "eiendomsskatt")


def _saksinnsikt(platform, o: TenantObjects, tag: str) -> None:
    from kommuneki.services.saksinnsikt import service
    from kommuneki.services.saksinnsikt.models import SaksDocument

    marker = f"MARKOR-saksinnsikt-{tag}"
    text = (
        "Vedtak i byggesak 2024/17. Søknaden om dispensasjon for garasje nær nabogrensen innvilges med "
        f"hjemmel i plan- og bygningsloven § 19-2. {marker}"
    )
    out = service.index_document(
        platform, o.tenant_id, text.encode(), filename="vedtak.txt", external_id=f"sak-{tag}", actor="test"
    )
    with platform.db.read_session(o.tenant_id) as s:
        doc = s.scalar(select(SaksDocument).order_by(SaksDocument.id.desc()).limit(1))
        o.ids["saksinnsikt", "document_id"] = doc.id
        o.item_service[doc.item_id] = "saksinnsikt"
        item_id = doc.item_id
    o.markers["saksinnsikt"] = marker.encode()
    del out
    o.suggestions["saksinnsikt"] = _pending(platform, o.tenant_id, "saksinnsikt", [item_id])
    if o.suggestions["saksinnsikt"]:
        o.ids["saksinnsikt", "suggestion_id"] = o.suggestions["saksinnsikt"]


def _tale(platform, o: TenantObjects, tag: str, recorder: int) -> None:
    from kommuneki.services.tale import KIND, service

    marker = f"MARKOR-tale-{tag}"
    p = Principal(
        user_id=recorder,
        tenant_id=o.tenant_id,
        roles=frozenset({"helsepersonell"}),
        policy=platform.policy,
    )
    item_id = service.store_recording(platform, p, b"RIFF" + marker.encode() * 20, filename="diktat.wav")
    # the note a transcription makes (the Whisper model is not needed to make one pending note)
    with platform.db.tenant_session(o.tenant_id) as s:
        proposal = Proposal(
            kind=KIND,
            value={"template": "fritekst", "sections": [{"name": "Notat", "text": marker}]},
            confidence=0.8,
            explanation={"summary": "Utskrift av diktat.", "evidence": [{"type": "rule"}]},
            model_name="test",
            model_version="1",
            input_hash="0" * 64,
        )
        o.suggestions["tale"] = suggestions.suggest(
            s, platform.registry, o.tenant_id, "tale", proposal, item_id=item_id, actor="test"
        ).id
    o.ids["tale", "item_id"] = item_id
    o.item_service[item_id] = "tale"
    o.markers["tale"] = marker.encode()


def _bemanning(platform, o: TenantObjects, tag: str) -> None:
    from kommuneki.services.bemanning import service
    from kommuneki.services.bemanning.engine import generator

    units = generator.generate(1, dt.date(2024, 1, 1), dt.date(2025, 6, 30), seed=3, staff=[20])
    ids = service.store_upload(
        platform, o.tenant_id, generator.to_csv(units).encode(), None, filename="fravaer.csv", actor="test"
    )
    service.forecast_task(
        platform, o.tenant_id, {"history_item_id": ids["history"], "actor": "test"}, lambda *_: None
    )
    with platform.db.read_session(o.tenant_id) as s:
        unit_item = s.scalar(
            select(items.Item.id)
            .where(items.Item.service == "bemanning", items.Item.kind == "aggregate")
            .order_by(items.Item.id.desc())
            .limit(1)
        )
    o.ids["bemanning", "item_id"] = unit_item
    # the column editor takes the uploaded history itself, not a unit's aggregate
    o.ids["bemanning", "item_id", "/bemanning/oppsett/{item_id:int}"] = ids["history"]
    o.item_service[ids["history"]] = "bemanning"
    o.item_service[unit_item] = "bemanning"
    o.suggestions["bemanning"] = _pending(platform, o.tenant_id, "bemanning", [unit_item])


def _governance(platform, o: TenantObjects, tag: str) -> None:
    from kommuneki.services.governance import service

    marker = f"MARKOR-governance-{tag}"
    p = Principal(user_id=None, tenant_id=o.tenant_id, via="cli", policy=platform.policy)
    service.add_external(platform, p, {"name": f"System {marker}", "purpose": "Test."})
    doc = service.generate_document(platform, p, _own_system(platform, o.tenant_id), "dpia")
    # the register's entry of one of kommuneki's own services: it has a monitoring page as well
    o.ids["governance", "system_id"] = _own_system(platform, o.tenant_id)
    o.ids["governance", "doc_id"] = doc["id"]
    # an open alert, as monitoring writes one when a threshold is passed (raising a real one needs weeks
    # of decisions; tests/services/governance/test_monitoring.py does that)
    from kommuneki.core.db import utcnow
    from kommuneki.services.governance.models import KiAlert

    with platform.db.tenant_session(o.tenant_id) as s:
        now = utcnow()
        alert = KiAlert(
            tenant_id=o.tenant_id,
            system_id=o.ids["governance", "system_id"],
            model_version="test 1",
            metric="override_rate",
            value=0.5,
            threshold=0.3,
            window_from=now,
            window_to=now,
            volume=40,
        )
        s.add(alert)
        s.flush()
        o.ids["governance", "alert_id"] = alert.id
    o.markers["governance"] = marker.encode()


def _own_system(platform, tenant_id: int) -> int:
    from kommuneki.services.governance import register
    from kommuneki.services.governance.models import KiSystem

    with platform.db.tenant_session(tenant_id) as s:
        register.sync_own_services(s, platform.registry, tenant_id, actor="system")
        return s.scalar(select(KiSystem.id).where(KiSystem.service == "postmottak"))


def _core(platform, o: TenantObjects, tag: str, world) -> None:
    from tests.core.world import _token, _user

    uid = _user(platform, o.tenant_id, f"offer-{tag}", ["saksbehandler"])
    o.ids["core", "user_id"] = uid
    with platform.db.tenant_session(o.tenant_id) as s:
        o.ids["core", "unit_id"] = accounts.create_unit(
            s, o.tenant_id, code=f"enhet-{tag}", name=f"Enhet {tag}", email=f"{tag}@x.test", actor="test"
        ).id
    o.ids["core", "token_id"] = _token(platform, o.tenant_id, uid, f"offer {tag}")[0]
    job = jobs.start(platform, o.tenant_id, service="malform", title="Test", actor="test", fn=lambda r: 1)
    jobs.wait(platform, o.tenant_id, job)
    o.ids["core", "job_id"] = job
    o.ids["core", "suggestion_id"] = world.new_suggestion(
        o.tenant_id, f"Eg skriv nynorsk, MARKOR-forslag-{tag}"
    )
    o.suggestions["malform"] = o.ids["core", "suggestion_id"]
    o.markers["malform"] = f"MARKOR-forslag-{tag}".encode()


def build(world, tenant_id: int, tag: str, recorder: int) -> TenantObjects:
    """Every service's objects in ``tenant_id``; ``recorder`` is the tale user who owns the recording."""
    o = TenantObjects(tenant_id)
    p = world.platform
    _core(p, o, tag, world)
    _postmottak(p, o, tag)
    _skjerming(p, o, tag)
    _eiendomsskatt(p, o, tag)
    _saksinnsikt(p, o, tag)
    _tale(p, o, tag, recorder)
    _bemanning(p, o, tag)
    _governance(p, o, tag)
    with p.db.read_session(tenant_id) as s:
        assert s.get(User, recorder) is not None
    return o
