"""The shapes of data the API and the pages hand out: users, items, audit entries, units; and the
strict base model every API input uses (unknown fields are refused)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..core.models import Item, User


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def user_dict(u: User, roles: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": u.id,
        "username": u.username,
        "full_name": u.full_name,
        "email": u.email,
        "is_active": u.is_active,
        "is_operator": u.is_operator,
        "roles": roles or [],
        "sign_in": ["password"] * bool(u.password_hash) + ["oidc"] * bool(u.oidc_subject),
    }


def item_dict(i: Item, *, with_text: bool = True) -> dict[str, Any]:
    out = {
        "id": i.id,
        "service": i.service,
        "kind": i.kind,
        "sha256": i.sha256,
        "source": i.source,
        "external_id": i.external_id,
        "filename": i.filename,
        "title": i.title,
        "state": i.state,
        "metadata": i.meta,
        "duplicate_of_id": i.duplicate_of_id,
        "received_at": i.received_at.isoformat() if i.received_at else None,
        "content_removed_at": i.content_removed_at.isoformat() if i.content_removed_at else None,
        "content_removed_reason": i.content_removed_reason,
    }
    if with_text:
        out["text"] = i.text
    return out


def audit_dict(e) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "at": e.at,
        "event": e.event,
        "actor": e.actor,
        "subject_type": e.subject_type,
        "subject_id": e.subject_id,
        "item_id": e.item_id,
        "data": json.loads(e.data),
        "hash": e.hash,
    }


def unit_dict(u) -> dict[str, Any]:
    return {
        "id": u.id,
        "code": u.code,
        "name": u.name,
        "email": u.email,
        "description": u.description,
        "active": u.active,
    }
