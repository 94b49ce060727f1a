"""Platform caches: bounded, locked, per tenant, invalidated by a version key.

A service that keeps something expensive between calls (an index of the tenant's open cases, a loaded
model) asks the platform for a named cache instead of holding a module-level dict::

    cache = platform.caches.get("postmottak.case_index", max_entries=64)
    index = cache.get_or_build(tenant_id, "open_cases", version, build)

* **Bounded.** A cache holds at most ``max_entries`` values; the least recently used goes first.
* **Locked.** Every read and write holds the cache's lock, so threads (the web server's workers, the
  background job runner) share it safely; a value for one key is built by one thread at a time, and a
  thread that asks while it is being built waits for it instead of building it again.
* **Per tenant.** Keys are ``(tenant_id, key)``: one tenant's entries are never served to another, and
  :meth:`TenantCache.invalidate` drops one tenant's entries alone.
* **Versioned.** Each value is stored with the version it was built from (e.g. a count and the newest
  change time of the rows it summarises). A value whose version differs from the one asked with is
  stale: it is dropped and rebuilt, and only the newest version of a key is kept.

The caches live on the :class:`~kommuneki.core.platform.Platform`, so two platforms in one process (two
databases in a test run) never see each other's entries.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

Value = TypeVar("Value")
DEFAULT_MAX_ENTRIES = 128


@dataclass
class CacheStats:
    """What a cache has done since it was made (for tests and the operator's curiosity)."""

    hits: int = 0
    misses: int = 0
    builds: int = 0
    evictions: int = 0
    stale: int = 0


class TenantCache(Generic[Value]):
    """One bounded LRU cache of values keyed by tenant and key, each stored with its version."""

    def __init__(self, name: str, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ValueError("a cache must hold at least one entry")
        self.name = name
        self.max_entries = max_entries
        self.stats = CacheStats()
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[int | None, Hashable], tuple[Hashable, Value]] = OrderedDict()
        self._building: dict[tuple[int | None, Hashable], threading.Lock] = {}

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def keys(self) -> list[tuple[int | None, Hashable]]:
        """The ``(tenant_id, key)`` pairs held, least recently used first."""
        with self._lock:
            return list(self._entries)

    def get(self, tenant_id: int | None, key: Hashable, version: Hashable) -> Value | None:
        """The value built from ``version``, or None (a stale value is dropped)."""
        with self._lock:
            return self._get_locked((tenant_id, key), version)

    def _get_locked(self, full_key: tuple[int | None, Hashable], version: Hashable) -> Value | None:
        found = self._entries.get(full_key)
        if found is None:
            self.stats.misses += 1
            return None
        if found[0] != version:
            del self._entries[full_key]
            self.stats.stale += 1
            self.stats.misses += 1
            return None
        self._entries.move_to_end(full_key)
        self.stats.hits += 1
        return found[1]

    def put(self, tenant_id: int | None, key: Hashable, version: Hashable, value: Value) -> None:
        """Store ``value`` as the key's only version; evict the least recently used beyond the bound."""
        with self._lock:
            self._put_locked((tenant_id, key), version, value)

    def _put_locked(self, full_key: tuple[int | None, Hashable], version: Hashable, value: Value) -> None:
        self._entries[full_key] = (version, value)
        self._entries.move_to_end(full_key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
            self.stats.evictions += 1

    def get_or_build(
        self, tenant_id: int | None, key: Hashable, version: Hashable, build: Callable[[], Value]
    ) -> Value:
        """The value for ``version``, built by ``build()`` when missing or stale. Threads asking for the
        same key at once wait for the one building it; other keys are not held up. An exception from
        ``build`` reaches the caller and nothing is stored."""
        full_key = (tenant_id, key)
        with self._lock:
            value = self._get_locked(full_key, version)
            if value is not None:
                return value
            building = self._building.setdefault(full_key, threading.Lock())
        with building:
            with self._lock:  # another thread may have built it while this one waited
                found = self._entries.get(full_key)
                if found is not None and found[0] == version:
                    self._entries.move_to_end(full_key)
                    return found[1]
            try:
                value = build()
                with self._lock:
                    self.stats.builds += 1
                    self._put_locked(full_key, version, value)
            finally:
                with self._lock:
                    if self._building.get(full_key) is building:
                        del self._building[full_key]
        return value

    def invalidate(self, tenant_id: int | None = None, key: Hashable | None = None) -> int:
        """Drop entries: all of them, one tenant's, or one tenant's key. Returns how many went."""
        with self._lock:
            doomed = [
                full_key
                for full_key in self._entries
                if (tenant_id is None or full_key[0] == tenant_id) and (key is None or full_key[1] == key)
            ]
            for full_key in doomed:
                del self._entries[full_key]
            return len(doomed)


class Caches:
    """The platform's named caches. A name is made once, with the bound given the first time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._caches: dict[str, TenantCache[Any]] = {}

    def get(self, name: str, max_entries: int = DEFAULT_MAX_ENTRIES) -> TenantCache[Any]:
        with self._lock:
            cache = self._caches.get(name)
            if cache is None:
                cache = self._caches[name] = TenantCache(name, max_entries)
            return cache

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._caches)

    def invalidate_tenant(self, tenant_id: int) -> int:
        """Drop one tenant's entries from every cache (e.g. after a restore)."""
        with self._lock:
            caches = list(self._caches.values())
        return sum(cache.invalidate(tenant_id) for cache in caches)
