"""What the shared review queue shows a principal: the services, kinds and units it may review."""

from __future__ import annotations

from typing import Any

from ..core.permissions import Principal


def reviewable_services(platform, principal: Principal) -> list[str] | None:
    """The services whose suggestions ``principal`` may review in the shared queue; None when that is all
    of them (then the queue query needs no ``service IN (…)`` filter, which would keep it off its index).
    A service with its own item-read rule (e.g. only the recorder) is reviewed on its own pages only."""
    names = [
        s.name
        for s in platform.registry
        if principal.can("queue.read", service=s.name) and not s.item_read_rule
    ]
    return None if len(names) == len(platform.registry.names()) else names


def queue_scope(platform, principal: Principal) -> dict[str, Any]:
    """What the shared review queue shows ``principal``: services, kinds, units (``list_queue``'s filters)."""
    services = reviewable_services(platform, principal)
    excluded = platform.registry.queue_kinds_excluded()
    if services is not None:
        # a kind of a service the queue does not list is out already: no ``kind NOT IN`` test per row
        listed = set(services)
        excluded = [
            k.name
            for spec in platform.registry
            if spec.name in listed
            for k in spec.kinds
            if k.name in excluded
        ]
    return {"services": services, "excluded_kinds": excluded, "units": principal.units}
