"""The sealed audit log (issue 12, "An audit log that cannot be quietly rewritten"): an attacker who can
write the database and the data folder, but not the audit key nor the shipped checkpoints, cannot
truncate, delete, forge or rewrite the log unseen; ``verify`` names the first bad entry in each case. A
damaged checkpoint file is reported and never fails a committed write. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select, text, update

from kommuneki.config import ConfigError
from kommuneki.core import accounts, audit
from kommuneki.core.audit_seal import new_key_file, read_shipped
from kommuneki.core.models import AuditEntry, AuditHead
from kommuneki.demo import DEMO_PASSWORD
from tests.conftest import audit_guard_lifted, login_client, make_platform


@pytest.fixture
def outside(tmp_path_factory):
    """A folder outside the data folder: where the key and the shipped checkpoints live."""
    return tmp_path_factory.mktemp("outside")


@pytest.fixture
def sealed(db_url, tmp_path, outside):
    key = outside / ".kommuneki-audit-test.key"
    new_key_file(key)
    p = make_platform(tmp_path, db_url, audit_key_file=key, audit_ship_to=f"file:{outside / 'shipped.jsonl'}")
    yield p
    p.close()


def _seed(platform, n=5, slug="testkommune") -> int:
    with platform.db.installation_session() as s:
        t = accounts.create_tenant(s, slug=slug, name=slug.title())
    with platform.db.tenant_session(t.id) as s:
        for i in range(n):
            accounts.create_unit(
                s, t.id, code=f"e-{i}", name=f"Enhet {i}", email=f"e{i}@x.test", actor="test"
            )
    return t.id


def _report(platform, **kw):
    with platform.db.installation_session() as s:
        return audit.verify_installation(s, platform.settings.checkpoint_dir, **kw)


def _result(report, chain):
    return next(r for r in report.results if r.chain == chain)


def _delete_tail(platform, chain, after_seq):
    """The attacker: remove entries after ``after_seq`` and set the head row back, as a consistent DB."""
    with platform.db.engine.begin() as conn, audit_guard_lifted(conn):
        conn.execute(delete(AuditEntry).where(AuditEntry.chain == chain, AuditEntry.seq > after_seq))
        last = conn.execute(
            select(AuditEntry.hash).where(AuditEntry.chain == chain, AuditEntry.seq == after_seq)
        ).scalar()
        conn.execute(update(AuditHead).where(AuditHead.chain == chain).values(seq=after_seq, hash=last))


def test_a_sealed_installation_verifies_and_seals_every_entry(sealed, outside):
    tid = _seed(sealed)
    report = _report(sealed)
    assert report.exit_code == 0, [r.as_dict() for r in report.results] + report.problems
    assert _result(report, f"t{tid}").sealed == 6
    with sealed.db.installation_session() as s:
        assert all(s.scalars(select(AuditEntry.mac)))
        # the installation chain records the new chain (a deleted chain shows)
        started = s.scalar(select(AuditEntry.data).where(AuditEntry.event == "audit.chain_started"))
    assert json.loads(started) == {"chain": f"t{tid}"}
    checkpoint = json.loads((sealed.settings.checkpoint_dir / f"t{tid}.json").read_text())
    assert checkpoint["seq"] == 6 and len(checkpoint["mac"]) == 64
    shipped = list(read_shipped(outside / "shipped.jsonl"))
    assert {(r["chain"], r["seq"]) for r in shipped} >= {(f"t{tid}", 6), ("installation", 1)}


def test_truncated_tail_and_deleted_checkpoint_are_caught(sealed):
    tid = _seed(sealed)
    _delete_tail(sealed, f"t{tid}", 4)
    (sealed.settings.checkpoint_dir / f"t{tid}.json").unlink()
    # against the shipped checkpoints: a rollback, entries from 5 on gone
    r = _result(_report(sealed), f"t{tid}")
    assert r.status == "tampered" and r.first_bad_seq == 5 and "shipped checkpoint records seq 6" in r.problem
    # with nothing shipped the missing sealed checkpoint alone gives it away
    r = _result(_report(sealed, shipped_files=[]), f"t{tid}")
    assert r.status == "tampered" and r.first_bad_seq == 5 and "checkpoint missing" in r.problem


def test_a_deleted_tenant_chain_and_its_checkpoint_are_caught(sealed):
    tid = _seed(sealed)
    other = _seed(sealed, 1, slug="annen")
    with sealed.db.engine.begin() as conn, audit_guard_lifted(conn):
        conn.execute(delete(AuditEntry).where(AuditEntry.chain == f"t{tid}"))
        conn.execute(delete(AuditHead).where(AuditHead.chain == f"t{tid}"))
        conn.execute(text("DELETE FROM tenant WHERE id = :id"), {"id": tid})
    (sealed.settings.checkpoint_dir / f"t{tid}.json").unlink()
    report = _report(sealed, shipped_files=[])
    assert report.exit_code == 1
    gone = _result(report, f"t{tid}")
    assert gone.first_bad_seq == 1 and "chain deleted" in gone.problem
    assert _result(report, f"t{other}").ok


def test_a_forged_entry_with_a_valid_hash_is_caught(sealed):
    """The attacker appends an entry whose hash is correct (sha256 is public) and moves the head row and
    the checkpoint file on to it; they cannot make its seal."""
    tid = _seed(sealed)
    chain = f"t{tid}"
    with sealed.db.installation_session() as s:
        head = s.get(AuditHead, chain)
        forged = {
            "chain": chain,
            "seq": head.seq + 1,
            "at": audit.now_iso(),
            "event": "unit.created",
            "actor": "user:1",
            "subject_type": "unit",
            "subject_id": "99",
            "item_id": None,
            "data": audit.canonical_json({"code": "falsk"}),
        }
        forged_hash = audit.entry_hash(head.hash, forged)
    with sealed.db.engine.begin() as conn:
        conn.execute(
            AuditEntry.__table__.insert().values(
                **forged, prev_hash=head.hash, hash=forged_hash, mac="0" * 64
            )
        )
        conn.execute(update(AuditHead).where(AuditHead.chain == chain).values(seq=7, hash=forged_hash))
    (sealed.settings.checkpoint_dir / f"{chain}.json").write_text(
        json.dumps({"chain": chain, "seq": 7, "hash": forged_hash, "at": forged["at"]})
    )
    r = _result(_report(sealed), chain)
    assert r.status == "tampered" and r.first_bad_seq == 7 and "entry forged" in r.problem


def test_chain_and_checkpoint_rewritten_together_are_caught(sealed):
    """Entry 3 changed, every later hash recomputed, head row and checkpoint file rewritten to match: a
    consistent chain, but the seals no longer fit from entry 3 on."""
    tid = _seed(sealed)
    chain = f"t{tid}"
    with sealed.db.installation_session() as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.chain == chain).order_by(AuditEntry.seq)))
        prev, new = rows[1].hash, {}
        for e in rows[2:]:
            fields = {k: getattr(e, k) for k in ("chain", "seq", "at", "event", "actor")}
            fields |= {k: getattr(e, k) for k in ("subject_type", "subject_id", "item_id", "data")}
            if e.seq == 3:
                fields["data"] = audit.canonical_json({"code": "omskrevet"})
            new[e.id] = (fields["data"], prev, audit.entry_hash(prev, fields))
            prev = new[e.id][2]
    with sealed.db.engine.begin() as conn, audit_guard_lifted(conn):
        for entry_id, (data, prev_hash, hash_) in new.items():
            conn.execute(
                update(AuditEntry)
                .where(AuditEntry.id == entry_id)
                .values(data=data, prev_hash=prev_hash, hash=hash_)
            )
        conn.execute(update(AuditHead).where(AuditHead.chain == chain).values(hash=prev))
    (sealed.settings.checkpoint_dir / f"{chain}.json").write_text(
        json.dumps({"chain": chain, "seq": 6, "hash": prev, "at": rows[-1].at})
    )
    r = _result(_report(sealed, shipped_files=[]), chain)
    assert r.status == "tampered" and r.first_bad_seq == 3 and "entry forged" in r.problem


def test_a_joint_rollback_shows_only_against_shipped_checkpoints(sealed, outside):
    """Database and data folder set back together to an earlier, validly sealed state (the attacker kept
    a copy of the old checkpoint): locally consistent, caught against what was shipped before."""
    tid = _seed(sealed, 2)
    chain = f"t{tid}"
    old_checkpoint = (sealed.settings.checkpoint_dir / f"{chain}.json").read_bytes()
    with sealed.db.tenant_session(tid) as s:
        accounts.create_unit(s, tid, code="senere", name="Senere", email="s@x.test", actor="test")
    _delete_tail(sealed, chain, 3)
    (sealed.settings.checkpoint_dir / f"{chain}.json").write_bytes(old_checkpoint)
    local = _report(sealed, shipped_files=[])
    assert local.exit_code == 0  # undetectable without a shipped checkpoint ...
    assert any("joint rollback" in w for w in local.warnings)  # ... and verify says so
    r = _result(_report(sealed), chain)
    assert r.status == "tampered" and r.first_bad_seq == 4 and "rolled back" in r.problem


def test_a_forged_shipped_record_is_reported(sealed, outside):
    tid = _seed(sealed, 1)
    with open(outside / "shipped.jsonl", "a") as f:
        forged = {"kind": "head", "chain": f"t{tid}", "seq": 99, "hash": "f" * 64, "mac": "0"}
        f.write(json.dumps(forged) + "\n")
    report = _report(sealed)
    assert report.exit_code == 1 and any("forged" in p for p in report.problems)
    assert _result(report, f"t{tid}").ok  # the forged record is not taken as the head


def test_an_unsealed_chain_needs_seal_existing(db_url, tmp_path, outside):
    """Entries written before the key was set: verify refuses them under a key (exit 1) until
    `kommuneki audit seal-existing` appends one sealed entry that vouches for them (its hash chains every
    earlier one); then exit 0. Through the real commands."""
    from kommuneki.cli import main

    plain = make_platform(tmp_path, db_url)
    tid = _seed(plain, 2)
    plain.close()
    key = outside / "k.key"
    base = ["--data-dir", str(tmp_path), "--database-url", db_url]
    runner = CliRunner()
    made = runner.invoke(main, [*base, "audit", "new-key", str(key), "--json"])
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    again = runner.invoke(main, [*base, "audit", "new-key", str(key)])
    assert again.exit_code != 0 and "finnes allerede" in again.output
    inside = runner.invoke(main, [*base, "audit", "new-key", str(tmp_path / "k.key")])
    assert inside.exit_code != 0 and "datamappen" in inside.output
    env = {"KOMMUNEKI_AUDIT_KEY_FILE": str(key)}
    before = runner.invoke(main, [*base, "audit", "verify", "--all", "--json"], env=env)
    assert before.exit_code == 1
    rows = {r.get("chain"): r for r in map(json.loads, before.stdout.splitlines())}
    assert "chain not sealed" in rows[f"t{tid}"]["problem"]
    sealing = runner.invoke(main, [*base, "audit", "seal-existing", "--json"], env=env)
    assert sealing.exit_code == 0, sealing.output
    assert set(json.loads(sealing.stdout.splitlines()[-1])["sealed"]) == {"installation", f"t{tid}"}
    after = runner.invoke(main, [*base, "audit", "verify", "--all"], env=env)
    assert after.exit_code == 0, after.output


def test_a_damaged_checkpoint_never_fails_a_committed_write(db_url, tmp_path, outside):
    """Login (which records auth.login) and a tenant write succeed with a damaged checkpoint file; the
    file is kept aside, replaced, and verify reports it."""
    from kommuneki.web.app import create_app

    key = outside / "k.key"
    new_key_file(key)
    p = make_platform(tmp_path, db_url, audit_key_file=key)
    try:
        tid = _seed(p, 0)
        with p.db.installation_session() as s:
            u = accounts.create_user(s, username="saksbehandler", password=DEMO_PASSWORD)
        with p.db.tenant_session(tid) as s:
            accounts.grant_role(s, tid, u, "admin", actor="test")
        for chain in (f"t{tid}", "installation"):
            (p.settings.checkpoint_dir / f"{chain}.json").write_bytes(b"\x00{ikke json")
        client = login_client(create_app(platform=p), "saksbehandler", DEMO_PASSWORD)
        try:
            # the API's verify reports the damaged file instead of failing with a 500
            answer = client.get("/api/v1/audit/verify")
            assert answer.status_code == 200, answer.text
            assert answer.json()["status"] == "tampered" and "checkpoint damaged" in answer.json()["problem"]
        finally:
            client.close()
        with p.db.tenant_session(tid) as s:
            accounts.create_unit(s, tid, code="etter", name="Etter", email="e@x.test", actor="test")
        with p.db.installation_session() as s:
            events = list(s.scalars(select(AuditEntry.event).where(AuditEntry.chain == f"t{tid}")))
        assert "auth.login" in events and events[-1] == "unit.created"
        r = _result(_report(p), f"t{tid}")
        assert r.status == "tampered" and "checkpoint damaged" in r.problem
        assert list(p.settings.checkpoint_dir.glob(f"t{tid}.json.corrupt-*"))
        # a damaged file that no write has replaced yet is reported too, and verify does not crash
        (p.settings.checkpoint_dir / f"t{tid}.json").write_text("[1, 2")
        assert "checkpoint damaged" in _result(_report(p), f"t{tid}").problem
    finally:
        p.close()


def test_checkpoints_are_shipped_to_syslog(db_url, tmp_path, outside):
    """A real UDP syslog listener on loopback receives the sealed heads; saved to a file (as a syslog
    server would) they serve `verify --shipped` like a shipped file."""
    key = outside / "k.key"
    new_key_file(key)
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(5)
    port = listener.getsockname()[1]
    p = make_platform(tmp_path, db_url, audit_key_file=key, audit_ship_to=f"syslog://127.0.0.1:{port}")
    try:
        tid = _seed(p, 1)
        lines = []
        while len(lines) < 3:  # installation chain, t<id> twice (tenant.created, unit.created)
            lines.append(listener.recv(65536).decode())
        assert all(line.startswith("<37>kommuneki-audit: {") for line in lines)
        syslog_file = outside / "syslog.log"
        syslog_file.write_text("".join(f"Dec  3 14:00:00 host {line}\n" for line in lines))
        assert _report(p, shipped_files=[syslog_file]).exit_code == 0
        _delete_tail(p, f"t{tid}", 1)
        (p.settings.checkpoint_dir / f"t{tid}.json").unlink()
        r = _result(_report(p, shipped_files=[syslog_file]), f"t{tid}")
        assert r.first_bad_seq == 2 and "shipped checkpoint records seq 2" in r.problem
    finally:
        listener.close()
        p.close()


def test_the_key_must_live_outside_the_data_folder(tmp_path):
    inside = tmp_path / "secret.key"
    new_key_file(inside)
    assert stat.S_IMODE(os.stat(inside).st_mode) == 0o600
    with pytest.raises(ConfigError, match="inside the data folder"):
        make_platform(tmp_path, None, audit_key_file=inside)
    with pytest.raises(ConfigError, match="new-key"):
        make_platform(tmp_path / "d", None, audit_key_file=tmp_path / "none.key")
    with pytest.raises(ConfigError, match="inside the data folder"):
        make_platform(tmp_path, None, audit_ship_to=f"file:{tmp_path / 'x.jsonl'}")
    shutil.rmtree(tmp_path / "d", ignore_errors=True)


def test_a_failing_ship_target_is_retried_and_never_fails_a_write(db_url, tmp_path, outside):
    """Issue 12: a shipped checkpoint that a target did not take was only logged, and lost. Now it
    waits in the data folder (``audit-ship-spool``) and goes out, in order and before the next one, at
    the next commit that ships: the writes themselves commit as usual while the target is down."""
    from kommuneki.core.audit_seal import pending

    key = outside / "k.key"
    new_key_file(key)
    blocker = outside / "remote"
    blocker.write_text("not a folder: the target's mount is missing")
    shipped = blocker / "shipped.jsonl"
    p = make_platform(tmp_path, db_url, audit_key_file=key, audit_ship_to=f"file:{shipped}")
    try:
        tid = _seed(p, 3)  # tenant.created and three units: every write commits
        with p.db.tenant_session(tid) as s:
            assert len(accounts.list_units(s)) == 3
        spool = p.db.sealing.spool_dir
        waiting = pending(spool, p.db.sealing.ship_to)
        assert list(waiting.values()) == [3]  # one head per commit: the tenant's creation, the units
        blocker.unlink()
        blocker.mkdir()  # the target is back
        with p.db.tenant_session(tid) as s:
            accounts.create_unit(s, tid, code="e-9", name="Enhet 9", email="e9@x.test", actor="test")
        assert pending(spool, p.db.sealing.ship_to) == {}
        records = list(read_shipped(shipped))
        seqs = [r["seq"] for r in records if r["chain"] == f"t{tid}"]
        assert seqs == [1, 4, 5]  # the waiting ones first, in order, then the new one
        assert _report(p, shipped_files=[shipped]).exit_code == 0
    finally:
        p.close()


def test_production_refuses_to_start_without_an_audit_key_unless_told(tmp_path, outside):
    """Issue 12: production mode without a key only logged a warning, and the audit log ran unsealed.
    Now the platform does not start, with a Norwegian message saying how to make a key; a trial
    installation may say so explicitly (KOMMUNEKI_AUDIT_ALLOW_UNSEALED)."""
    import secrets

    from kommuneki.cli import main

    prod = {"mode": "production", "secret_key": secrets.token_urlsafe(48)}
    with pytest.raises(ConfigError, match="Produksjonsmodus krever en revisjonsnøkkel.*audit new-key"):
        make_platform(tmp_path / "a", None, **prod)
    p = make_platform(tmp_path / "b", None, audit_allow_unsealed=True, **prod)
    assert p.db.sealing.key is None
    p.close()
    key = outside / "prod.key"
    new_key_file(key)
    p = make_platform(tmp_path / "c", None, audit_key_file=key, **prod)
    assert p.db.sealing.key is not None
    p.close()
    # making the key needs no platform: it works in production before a key exists
    r = CliRunner().invoke(
        main,
        ["--data-dir", str(tmp_path / "d"), "audit", "new-key", str(outside / "new.key")],
        env={"KOMMUNEKI_MODE": "production", "KOMMUNEKI_SECRET_KEY": prod["secret_key"]},
    )
    assert r.exit_code == 0, r.output
    assert (outside / "new.key").exists()


def test_rotating_the_key_keeps_old_entries_verifiable_and_the_old_key_read_only(db_url, tmp_path, outside):
    """`kommuneki audit rotate-key`: a new key seals from then on; the old one stays in the key file,
    retired at every chain's head, so everything it sealed still verifies (entries, checkpoints, shipped
    heads) and nothing it seals after the rotation does (a leaked old key cannot extend a chain). The
    rotation is itself an entry, sealed with the new key and endorsed by the old."""
    from kommuneki.cli import main
    from kommuneki.core.audit_seal import endorsement, key_id, load_key, load_retired

    key = outside / "rotate.key"
    new_key_file(key)
    shipped = outside / "rotate-shipped.jsonl"
    settings = {"audit_key_file": key, "audit_ship_to": f"file:{shipped}"}
    p = make_platform(tmp_path, db_url, **settings)
    try:
        tid = _seed(p, 2)
    finally:
        p.close()
    old = load_key(key)
    r = CliRunner().invoke(
        main,
        ["--data-dir", str(tmp_path), "--database-url", db_url, "audit", "rotate-key", "--json"],
        env={"KOMMUNEKI_AUDIT_KEY_FILE": str(key), "KOMMUNEKI_AUDIT_SHIP_TO": f"file:{shipped}"},
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout.splitlines()[-1])
    new = load_key(key)
    assert out["old_key_id"] == key_id(old) != out["new_key_id"] == key_id(new)
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    (retired,) = load_retired(key)
    assert retired.key == old and retired.heads[f"t{tid}"] == 3  # tenant.created + two units
    p = make_platform(tmp_path, db_url, **settings)
    try:
        with p.db.tenant_session(tid) as s:  # sealed with the new key
            accounts.create_unit(s, tid, code="etter", name="Etter", email="etter@x.test", actor="test")
        assert _report(p, shipped_files=[shipped]).exit_code == 0  # old and new seals, old checkpoints
        with p.db.installation_session() as s:
            entry = s.scalar(select(AuditEntry).where(AuditEntry.event == "audit.key_rotated"))
            data = json.loads(entry.data)
        assert entry.mac == audit.entry_mac(new, entry.hash)
        assert data["endorsement"] == endorsement(old, new, data["heads"])
        # someone holding the old key appends to the chain after the rotation: reported, by seq
        chain = f"t{tid}"
        with p.db.installation_session() as s:
            head = s.get(AuditHead, chain)
            forged = {
                "chain": chain,
                "seq": head.seq + 1,
                "at": audit.now_iso(),
                "event": "unit.created",
                "actor": "user:1",
                "subject_type": "unit",
                "subject_id": "99",
                "item_id": None,
                "data": audit.canonical_json({"code": "falsk"}),
            }
            forged_hash = audit.entry_hash(head.hash, forged)
        with p.db.engine.begin() as conn:
            conn.execute(
                AuditEntry.__table__.insert().values(
                    **forged, prev_hash=head.hash, hash=forged_hash, mac=audit.entry_mac(old, forged_hash)
                )
            )
            conn.execute(
                update(AuditHead).where(AuditHead.chain == chain).values(seq=forged["seq"], hash=forged_hash)
            )
        from kommuneki.core.audit_seal import write_checkpoint

        write_checkpoint(p.settings.checkpoint_dir, chain, forged["seq"], forged_hash, forged["at"], old)
        res = _result(_report(p), chain)
        assert not res.ok and res.first_bad_seq == forged["seq"]
        assert "retired key" in res.problem and key_id(old) in res.problem
    finally:
        p.close()


def test_a_forged_rotation_entry_is_reported_as_tampering(db_url, tmp_path, outside):
    """`audit verify` checks the old key's endorsement in every `audit.key_rotated` entry: an entry that
    claims a rotation, sealed with the current key (someone who holds it, or runs code as the service)
    but not endorsed by the old key, is named as tampering; the real rotation entry verifies."""
    from kommuneki.cli import main
    from kommuneki.core.audit_seal import key_id, load_key

    key = outside / "rotate-forged.key"
    new_key_file(key)
    p = make_platform(tmp_path, db_url, audit_key_file=key)
    try:
        _seed(p, 1)
    finally:
        p.close()
    old = load_key(key)
    r = CliRunner().invoke(
        main,
        ["--data-dir", str(tmp_path), "--database-url", db_url, "audit", "rotate-key", "--json"],
        env={"KOMMUNEKI_AUDIT_KEY_FILE": str(key)},
    )
    assert r.exit_code == 0, r.output
    new = load_key(key)
    p = make_platform(tmp_path, db_url, audit_key_file=key)
    try:
        assert _report(p).exit_code == 0  # the real rotation entry: endorsed by the old key
        with p.db.installation_session() as s:
            real = json.loads(
                s.scalar(select(AuditEntry).where(AuditEntry.event == "audit.key_rotated")).data
            )
            head = s.get(AuditHead, "installation")
            claimed = {**real, "endorsement": "0" * 64}  # a rotation the old key never endorsed
            forged = {
                "chain": "installation",
                "seq": head.seq + 1,
                "at": audit.now_iso(),
                "event": "audit.key_rotated",
                "actor": "cli",
                "subject_type": None,
                "subject_id": None,
                "item_id": None,
                "data": audit.canonical_json(claimed),
            }
            forged_hash = audit.entry_hash(head.hash, forged)
        with p.db.engine.begin() as conn:
            conn.execute(
                AuditEntry.__table__.insert().values(
                    **forged, prev_hash=head.hash, hash=forged_hash, mac=audit.entry_mac(new, forged_hash)
                )
            )
            conn.execute(
                update(AuditHead)
                .where(AuditHead.chain == "installation")
                .values(seq=forged["seq"], hash=forged_hash)
            )
        from kommuneki.core.audit_seal import write_checkpoint

        write_checkpoint(
            p.settings.checkpoint_dir, "installation", forged["seq"], forged_hash, forged["at"], new
        )
        report = _report(p)
        assert report.exit_code == 1
        res = _result(report, "installation")
        assert not res.ok and res.first_bad_seq == forged["seq"]
        assert "rotation forged" in res.problem and "endorse" in res.problem
        assert key_id(old) == real["old_key_id"]
    finally:
        p.close()
