"""Seals, checkpoints and shipping for the audit chains: what makes the chain head unforgeable by someone
who can write the database and the data folder (threat model: docs/security.md, "Audit log").

* **Key**: 32 random bytes in a file outside the data folder (``KOMMUNEKI_AUDIT_KEY_FILE``, made by
  ``kommuneki audit new-key``). Every entry carries ``mac = HMAC-SHA256(key, hash)``; the hash covers the
  entry's fields and the previous hash, so one valid seal vouches for the whole chain before it. Without
  the key nobody can append, alter or recompute an entry that verifies.
* **Checkpoints**: after each commit the head of each chain it extended is written, sealed, to
  ``<data_dir>/audit-checkpoints/<chain>.json``. A damaged file is kept aside (``.corrupt-<time>``) and
  reported by ``verify``; writing a checkpoint never fails the commit it follows.
* **Shipping** (``KOMMUNEKI_AUDIT_SHIP_TO``): the same sealed heads are appended, one JSON object a line,
  to files elsewhere (another disk, an append-only mount) and/or sent to syslog, so that a joint rollback
  of database and data folder shows against what was shipped before it.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import logging
import os
import secrets
import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

log = logging.getLogger("kommuneki.audit")

KEY_BYTES = 32
KEY_HEADER = "kommuneki-audit-key v1"
KEY_HEADER_V2 = "kommuneki-audit-key v2"  # with retired keys (rotate_key_file)


class AuditKeyError(RuntimeError):
    """The audit key file is missing, unreadable or malformed; the message says what to do."""


# --- the key --------------------------------------------------------------------------------------------


def new_key_file(path: Path) -> str:
    """Write a new random key to ``path`` (mode 0600, refusing to overwrite). Returns the key id."""
    path = Path(path)
    if path.exists():
        raise AuditKeyError(
            f"{path} finnes allerede. En ny nøkkel gjør eldre forseglinger ukontrollerbare; "
            "velg en annen fil eller behold den gamle."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"{KEY_HEADER}\n{key.hex()}\n")
    return key_id(key)


def load_key(path: Path) -> bytes:
    path = Path(path)
    try:
        lines = path.read_text().split()
    except FileNotFoundError as exc:
        raise AuditKeyError(
            f"Revisjonsnøkkelen {path} finnes ikke. Lag den med «kommuneki audit new-key» "
            "(utenfor datamappen) eller rett KOMMUNEKI_AUDIT_KEY_FILE."
        ) from exc
    except OSError as exc:
        raise AuditKeyError(f"Kan ikke lese revisjonsnøkkelen {path}: {exc.strerror}.") from exc
    try:
        key = bytes.fromhex(lines[-1])
    except (ValueError, IndexError):
        key = b""
    if len(key) != KEY_BYTES:
        raise AuditKeyError(f"{path} er ikke en revisjonsnøkkel laget av «kommuneki audit new-key».")
    if path.stat().st_mode & 0o007:
        log.warning("audit key %s can be read by every user on this machine: chmod o-rwx it", path)
    return key


@dataclass(frozen=True)
class RetiredKey:
    """A key replaced by ``kommuneki audit rotate-key``: kept in the key file, read-only. It vouches
    for what it sealed before the rotation (each chain up to ``heads[chain]``) and for nothing after."""

    key: bytes
    heads: dict[str, int]


def load_retired(path: Path | None) -> tuple[RetiredKey, ...]:
    """The retired keys of a key file, oldest first (``retired <hex> <heads as JSON>`` lines)."""
    if path is None:
        return ()
    out = []
    for line in Path(path).read_text().splitlines():
        if line.startswith("retired "):
            _, hexkey, heads = line.split(" ", 2)
            out.append(
                RetiredKey(bytes.fromhex(hexkey), {str(k): int(v) for k, v in json.loads(heads).items()})
            )
    return tuple(out)


def rotate_key_file(path: Path, heads: dict[str, int]) -> tuple[bytes, bytes]:
    """Replace the key of ``path`` by a new random one; the old one stays in the file, retired at
    ``heads`` (each chain's last seq). Atomic (a new file renamed over the old, mode 0600). Returns
    (old key, new key)."""
    path = Path(path)
    old = load_key(path)
    kept = [line for line in path.read_text().splitlines() if line.startswith("retired ")]
    kept.append(f"retired {old.hex()} {json.dumps(heads, sort_keys=True, separators=(',', ':'))}")
    new = secrets.token_bytes(KEY_BYTES)
    tmp = path.with_name(path.name + ".rotating")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("\n".join([KEY_HEADER_V2, *kept, new.hex()]) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return old, new


def endorsement(old: bytes, new: bytes, heads: dict[str, int]) -> str:
    """The old key's word that the new key follows it at ``heads`` (kept in the rotation entry)."""
    body = f"rotate\n{key_id(new)}\n{json.dumps(heads, sort_keys=True, separators=(',', ':'))}"
    return hmac.new(old, body.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Keyring:
    """The key that seals now and the retired ones, for verifying."""

    current: bytes
    retired: tuple[RetiredKey, ...] = ()

    def entry_problem(self, chain: str, seq: int, hash_: str, mac: str) -> str | None:
        """None when ``mac`` is a valid seal of the entry; else what is wrong with it."""
        if hmac.compare_digest(mac, entry_mac(self.current, hash_)):
            return None
        for r in self.retired:
            if hmac.compare_digest(mac, entry_mac(r.key, hash_)):
                last = r.heads.get(chain, 0)
                if seq <= last:
                    return None
                return (
                    f"entry forged: sealed with the retired key {key_id(r.key)} after it was rotated "
                    f"(it sealed this chain up to seq {last})"
                )
        return "entry forged: its seal does not match (written without the audit key, or with another key)"

    def rotation_problem(self, data: dict[str, Any]) -> str | None:
        """None when a rotation entry (``audit.key_rotated``) carries the old key's word for the new key
        at the heads the old key was retired at; else what is wrong with it. Someone who holds the
        current key can seal an entry, but cannot make the endorsement without the old key."""
        if not isinstance(data, dict):
            return "rotation forged: the entry does not say which keys it rotated"
        old = next((r for r in self.retired if key_id(r.key) == data.get("old_key_id")), None)
        if old is None:
            return (
                f"rotation forged: its old key {data.get('old_key_id')} is not a retired key of the key file"
            )
        heads = data.get("heads")
        try:
            same = {str(k): int(v) for k, v in heads.items()} == old.heads
        except (AttributeError, TypeError, ValueError):
            same = False
        if not same:
            return "rotation forged: its heads are not those the old key was retired at"
        new = next(
            (
                k
                for k in (self.current, *(r.key for r in self.retired))
                if key_id(k) == data.get("new_key_id")
            ),
            None,
        )
        if new is None or new == old.key:
            return f"rotation forged: its new key {data.get('new_key_id')} is not in the key file"
        if not hmac.compare_digest(str(data.get("endorsement") or ""), endorsement(old.key, new, old.heads)):
            return "rotation forged: the old key did not endorse it (the endorsement does not match)"
        return None

    def record_ok(self, record: dict[str, Any]) -> bool:
        """A sealed checkpoint or shipped record: by the current key, or by a retired one for a head no
        later than where that key was retired."""
        kid = record.get("key_id")
        if kid == key_id(self.current):
            return seal_ok(self.current, record)
        for r in self.retired:
            if kid == key_id(r.key):
                if not seal_ok(r.key, record):
                    return False
                seq = record.get("seq")
                return not isinstance(seq, int) or seq <= r.heads.get(str(record.get("chain")), 0)
        return False


def as_keyring(key: "bytes | Keyring | None") -> "Keyring | None":
    return key if key is None or isinstance(key, Keyring) else Keyring(key)


def key_id(key: bytes) -> str:
    """A short public name for a key (not secret: a hash of it)."""
    return hashlib.sha256(b"kommuneki-audit-key-id\n" + key).hexdigest()[:12]


def entry_mac(key: bytes, entry_hash: str) -> str:
    # hmac.digest: OpenSSL's one-shot HMAC, several times faster than building an hmac.HMAC per entry
    return hmac.digest(key, b"entry\n" + entry_hash.encode(), "sha256").hex()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def seal(key: bytes, record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with ``key_id`` and ``mac`` over everything else."""
    body = {k: v for k, v in record.items() if k not in ("mac", "key_id")}
    body["key_id"] = key_id(key)
    mac = hmac.new(key, b"record\n" + _canonical(body).encode(), hashlib.sha256).hexdigest()
    return {**body, "mac": mac}


def seal_ok(key: bytes, record: dict[str, Any]) -> bool:
    mac = record.get("mac")
    return isinstance(mac, str) and hmac.compare_digest(seal(key, record)["mac"], mac)


# --- checkpoints in the data folder ---------------------------------------------------------------------


class CorruptCheckpoint(ValueError):
    """A checkpoint file that is not a checkpoint (damaged, truncated, edited)."""


def _checkpoint_path(checkpoint_dir: Path, chain: str) -> Path:
    return checkpoint_dir / f"{chain}.json"


def read_checkpoint(checkpoint_dir: Path, chain: str) -> dict[str, Any] | None:
    """The checkpoint of ``chain``, None when there is none. Raises :class:`CorruptCheckpoint`."""
    path = _checkpoint_path(checkpoint_dir, chain)
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise CorruptCheckpoint(f"{path.name}: kan ikke leses ({exc})") from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CorruptCheckpoint(f"{path.name}: ikke gyldig JSON") from exc
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("seq"), int)
        or not isinstance(data.get("hash"), str)
        or data.get("chain", chain) != chain
    ):
        raise CorruptCheckpoint(f"{path.name}: mangler seq/hash eller gjelder en annen kjede")
    return data


def write_checkpoint(
    checkpoint_dir: Path, chain: str, seq: int, hash_: str, at: str, key: bytes | None = None
) -> None:
    """Write the chain head unless the file already holds a newer one. Atomic (rename). A damaged file is
    moved aside to ``<chain>.json.corrupt-<utc time>`` (for ``verify`` to report) and replaced."""
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    path = _checkpoint_path(checkpoint_dir, chain)
    with open(checkpoint_dir / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            current = read_checkpoint(checkpoint_dir, chain)
        except CorruptCheckpoint as exc:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
            aside = path.with_name(f"{path.name}.corrupt-{stamp}")
            os.replace(path, aside)
            log.error("audit checkpoint damaged, kept as %s and replaced: %s", aside.name, exc)
            current = None
        if current and current["seq"] >= seq:
            return
        record: dict[str, Any] = {"chain": chain, "seq": seq, "hash": hash_, "at": at}
        if key is not None:
            record = seal(key, record)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record))
        os.replace(tmp, path)


def corrupt_checkpoints(checkpoint_dir: Path | None) -> list[str]:
    """Names of damaged checkpoint files kept aside by :func:`write_checkpoint`."""
    if checkpoint_dir is None or not checkpoint_dir.is_dir():
        return []
    return sorted(p.name for p in checkpoint_dir.glob("*.json.corrupt-*"))


def checkpoint_chains(checkpoint_dir: Path | None) -> set[str]:
    if checkpoint_dir is None or not checkpoint_dir.is_dir():
        return set()
    return {p.stem for p in checkpoint_dir.glob("*.json")}


# --- shipping to another place --------------------------------------------------------------------------


@dataclass(frozen=True)
class ShipTarget:
    kind: str  # "file" or "syslog"
    path: Path | None = None
    address: tuple[str, int] | str | None = None  # (host, port) for UDP, a socket path for local syslog

    def __str__(self) -> str:
        if self.kind == "file":
            return f"file:{self.path}"
        return f"syslog:{self.address}"


def parse_ship_to(value: str | None) -> list[ShipTarget]:
    """``KOMMUNEKI_AUDIT_SHIP_TO``: comma-separated ``file:/path``, ``/path``, ``syslog`` (the local
    /dev/log) or ``syslog://host:port`` (UDP)."""
    targets: list[ShipTarget] = []
    for part in (value or "").split(","):
        part = part.strip()
        if not part:
            continue
        if part == "syslog":
            targets.append(ShipTarget("syslog", address="/dev/log"))
        elif part.startswith("syslog://"):
            host, _, port = part[len("syslog://") :].rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"syslog-mål må være syslog://vert:port, ikke {part!r}")
            targets.append(ShipTarget("syslog", address=(host.strip("[]"), int(port))))
        elif part.startswith("file:") or part.startswith("/"):
            path = Path(part[len("file:") :] if part.startswith("file:") else part)
            if not path.is_absolute():
                raise ValueError(f"filmålet må være en absolutt sti, ikke {part!r}")
            targets.append(ShipTarget("file", path=path))
        else:
            raise ValueError(f"ukjent mål {part!r} (file:/sti, syslog eller syslog://vert:port)")
    return targets


SYSLOG_TAG = "kommuneki-audit"


SPOOL_MAX_LINES = 100_000  # about 30 MB of heads: weeks of an unreachable target at a busy kommune


def _send(target: ShipTarget, line: str) -> None:
    """Deliver one line to one target, or raise. Never waits: a syslog socket whose reader is behind
    raises instead of blocking the commit that follows."""
    if target.kind == "file":
        assert target.path is not None
        target.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)
        return
    # RFC 3164 framing: <priority>tag: message; facility auth (4), severity notice (5)
    payload = f"<37>{SYSLOG_TAG}: {line}".encode()
    if isinstance(target.address, tuple):
        family = socket.AF_INET6 if ":" in target.address[0] else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.setblocking(False)
            s.sendto(payload, target.address)
    else:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.setblocking(False)
            s.sendto(payload, str(target.address))


def spool_path(spool_dir: Path, target: ShipTarget) -> Path:
    """Where the records a target has not taken yet wait (one file per target, in order)."""
    name = hashlib.sha256(str(target).encode()).hexdigest()[:16]
    return spool_dir / f"{name}.jsonl"


def pending(spool_dir: Path | None, targets: Iterable[ShipTarget]) -> dict[str, int]:
    """Records waiting per target (its ``str``), for ``verify`` and the operator."""
    if spool_dir is None:
        return {}
    out = {}
    for target in targets:
        path = spool_path(spool_dir, target)
        if path.exists():
            out[str(target)] = sum(1 for line in path.read_text().splitlines() if line.strip())
    return out


def ship(targets: Iterable[ShipTarget], record: dict[str, Any], spool_dir: Path | None = None) -> None:
    """Send one sealed record to every target. Never raises and never waits: a failure is logged (the
    commit it follows has already happened). With ``spool_dir``, a record a target did not take is kept
    there and sent again, in order and before the new one, with every later record, until the target
    takes it (retried shipping); without it, the failed record is only logged."""
    line = json.dumps(record, sort_keys=True, separators=(",", ":"))
    for target in targets:
        try:
            if spool_dir is None:
                _send(target, line)
            else:
                _ship_spooled(spool_dir, target, line)
        except Exception as exc:  # noqa: BLE001 - shipping must never undo or fail a committed write
            log.error("could not ship audit checkpoint to %s: %s", target, exc)


def _ship_spooled(spool_dir: Path, target: ShipTarget, line: str) -> None:
    spool_dir.mkdir(parents=True, exist_ok=True)
    path = spool_path(spool_dir, target)
    with open(spool_dir / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        waiting = [x for x in path.read_text().splitlines() if x.strip()] if path.exists() else []
        queue = [*waiting, line]
        sent = 0
        error: Exception | None = None
        for item in queue:
            try:
                _send(target, item)
            except Exception as exc:  # noqa: BLE001 - kept for the next try
                error = exc
                break
            sent += 1
        rest = queue[sent:]
        if len(rest) > SPOOL_MAX_LINES:
            log.error(
                "audit ship spool for %s over %d records: the oldest are dropped", target, SPOOL_MAX_LINES
            )
            rest = rest[-SPOOL_MAX_LINES:]
        if rest:
            tmp = path.with_suffix(".tmp")
            tmp.write_text("\n".join(rest) + "\n")
            os.replace(tmp, path)
            log.error(
                "could not ship audit checkpoint to %s (%d waiting, retried with the next): %s",
                target,
                len(rest),
                error,
            )
        elif path.exists():
            path.unlink()
            if waiting:
                log.info("shipped %d waiting audit checkpoints to %s", len(waiting), target)


def read_shipped(path: Path) -> Iterator[dict[str, Any]]:
    """Records from a shipped file, or from a syslog file (each line's JSON after the tag), in order.
    Lines that are not records are skipped; their sealing is checked by the caller."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return
    for line in text.splitlines():
        start = line.find("{")
        if start < 0:
            continue
        try:
            record = json.loads(line[start:])
        except ValueError:
            continue
        if isinstance(record, dict) and "kind" in record:
            yield record
