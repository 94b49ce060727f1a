"""Model registry: register, export as a package, import into a second installation (its own data folder
and database) with checksums verified and origin recorded; tampered packages and personal-data models
without a lawful basis are refused."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import shutil
import zipfile

import pytest
from sqlalchemy import select

from kommuneki.core import audit, modelreg
from kommuneki.core.errors import Conflict, Forbidden, InvalidInput
from kommuneki.core.models import ModelVersion
from tests.conftest import make_platform
from tests.core.world import fresh_tenant, mplatform  # noqa: F401 - module-scoped fixture

ARTIFACT = b"\x80\x04 a trained model, pickled" * 10

CARD = {
    "name": "postmottak-tfidf",
    "version": "2026.1",
    "service": "malform",
    "intended_use": "Foreslå mottakende enhet for innkommende post.",
    "training_data": {
        "description": "Journalposter 2020–2025",
        "rows": 1200,
        "period": "2020–2025",
        "sha256": "cd" * 32,
        "personal_data": False,
    },
    "metrics": {"macro_f1": 0.81, "split": "2025 held out"},
    "limitations": ["Kjenner ikke enheter opprettet etter 2025."],
}


@pytest.fixture
def second(tmp_path, sqlite_template):
    """Another installation: its own data folder, SQLite database and installation id."""
    shutil.copy(sqlite_template, tmp_path / "kommuneki.db")
    p = make_platform(tmp_path, f"sqlite:///{tmp_path / 'kommuneki.db'}")
    yield p, fresh_tenant(p)
    p.close()


def _register(platform, t, card=CARD, artifact=ARTIFACT) -> int:
    with platform.db.tenant_session(t) as s:
        return modelreg.register(
            s, tenant_id=t, card=card, artifact=artifact, artifact_dir=platform.model_dir, created_by="user:1"
        ).id


def _export(platform, t, model_id, lawful_basis=None) -> bytes:
    with platform.db.tenant_session(t) as s:
        mv = modelreg.get_model(s, t, model_id)
        return modelreg.export_package(
            s,
            mv,
            tenant_id=t,
            actor="cli",
            installation_id=platform.installation_id,
            lawful_basis=lawful_basis,
        )


def _import(platform, t, data):
    with platform.db.tenant_session(t) as s:
        return modelreg.model_dict(
            modelreg.import_package(s, data, tenant_id=t, artifact_dir=platform.model_dir, actor="cli")
        )


def _events(platform, t, event):
    with platform.db.installation_session() as s:
        return [audit.decoded_data(e) for e in audit.query(s, t, event=event)]


def test_export_and_import_into_another_installation(mplatform, second):
    platform, t = mplatform, fresh_tenant(mplatform)
    other, t2 = second
    assert platform.installation_id != other.installation_id
    mid = _register(platform, t)
    package = _export(platform, t, mid)
    imported = _import(other, t2, package)
    assert imported["card"] == CARD and imported["artifact_sha256"] == hashlib.sha256(ARTIFACT).hexdigest()
    assert imported["origin"]["installation"] == platform.installation_id
    assert imported["origin"]["package_sha256"] == hashlib.sha256(package).hexdigest()
    with other.db.tenant_session(t2) as s:
        path = s.scalar(select(ModelVersion.artifact_path).where(ModelVersion.id == imported["id"]))
    assert open(path, "rb").read() == ARTIFACT
    assert _events(other, t2, "model.imported")[0]["origin_installation"] == platform.installation_id
    assert _events(platform, t, "model.exported")[0]["package_sha256"] == hashlib.sha256(package).hexdigest()
    with pytest.raises(Conflict):  # the same version twice is refused, not silently replaced
        _import(other, t2, package)


def _repack(package: bytes, *, artifact=None, card=None, manifest_update=None) -> bytes:
    with zipfile.ZipFile(io.BytesIO(package)) as z:
        files = {n: z.read(n) for n in z.namelist()}
    if artifact is not None:
        files["artifact.bin"] = artifact
    if card is not None:
        files["card.json"] = json.dumps(card).encode()
    if manifest_update:
        m = json.loads(files["manifest.json"])
        m.update(manifest_update(files))
        files["manifest.json"] = json.dumps(m).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, d in files.items():
            z.writestr(n, d)
    return buf.getvalue()


def _sha(b):
    return hashlib.sha256(b).hexdigest()


# (how the package is damaged, why it must be refused)
TAMPERED = [
    (lambda p: _repack(p, artifact=ARTIFACT + b"backdoor"), "artifact changed after export"),
    (
        lambda p: _repack(p, card={**CARD, "metrics": {"macro_f1": 0.99}}),
        "card changed (better metrics claimed)",
    ),
    (lambda p: p[: len(p) // 2], "truncated file"),
    (lambda p: b"not a zip at all", "not a package"),
    (lambda p: _repack(p, manifest_update=lambda f: {"format": "other/1"}), "unknown format"),
    # a personal-data card with checksums recomputed but no lawful basis
    (
        lambda p: _repack(
            p,
            card={**CARD, "training_data": {**CARD["training_data"], "personal_data": True}},
            manifest_update=lambda f: {"card_sha256": _sha(f["card.json"])},
        ),
        "personal-data model without a recorded basis",
    ),
]


@pytest.mark.parametrize("tamper, why", TAMPERED, ids=[t[1] for t in TAMPERED])
def test_tampered_package_is_refused(mplatform, second, tamper, why):
    platform, t = mplatform, fresh_tenant(mplatform)
    other, t2 = second
    package = _export(platform, t, _register(platform, t))
    with pytest.raises(InvalidInput):
        _import(other, t2, tamper(package))
    with other.db.tenant_session(t2) as s:
        assert s.scalars(select(ModelVersion)).all() == []
    assert _events(other, t2, "model.imported") == []


def test_personal_data_model_needs_a_lawful_basis_to_be_exported(mplatform, second):
    platform, t = mplatform, fresh_tenant(mplatform)
    other, t2 = second
    card = copy.deepcopy(CARD)
    card["training_data"]["personal_data"] = True
    mid = _register(platform, t, card)
    for basis in (None, "", "fordi"):  # missing, empty, too short to say anything
        with pytest.raises(Forbidden):
            _export(platform, t, mid, basis)
    assert _events(platform, t, "model.exported") == []
    basis = "Databehandleravtale mellom kommunene, jf. personvernforordningen art. 28."
    package = _export(platform, t, mid, basis)
    (event,) = _events(platform, t, "model.exported")
    assert event["lawful_basis_sha256"] == audit.sha256_text(basis)  # audited, by hash
    imported = _import(other, t2, package)
    assert imported["card"]["lawful_basis"] == basis and imported["trained_on_personal_data"] is True


def test_incomplete_card_is_refused(mplatform):
    platform, t = mplatform, fresh_tenant(mplatform)
    card = {k: v for k, v in CARD.items() if k != "training_data"}
    with pytest.raises(InvalidInput):
        _register(platform, t, card)
