"""The platform cache (core/cache.py): bounded LRU, per tenant, versioned, and safe across threads."""

from __future__ import annotations

import threading

import pytest

from kommuneki.core.cache import Caches, TenantCache


def test_a_value_is_kept_per_tenant_and_key_and_served_only_for_its_version():
    cache: TenantCache[str] = TenantCache("test", max_entries=8)
    cache.put(1, "index", ("v", 1), "tenant one")
    cache.put(2, "index", ("v", 1), "tenant two")
    assert cache.get(1, "index", ("v", 1)) == "tenant one"
    assert cache.get(2, "index", ("v", 1)) == "tenant two"
    assert cache.get(3, "index", ("v", 1)) is None
    # a newer version: the stale value is dropped, not served
    assert cache.get(1, "index", ("v", 2)) is None
    assert cache.stats.stale == 1
    assert (1, "index") not in cache.keys()
    assert cache.get(2, "index", ("v", 1)) == "tenant two"


def test_the_least_recently_used_entry_goes_first_beyond_the_bound():
    cache: TenantCache[int] = TenantCache("test", max_entries=3)
    for tenant in (1, 2, 3):
        cache.put(tenant, "k", 0, tenant)
    assert cache.get(1, "k", 0) == 1  # tenant 1 is now the most recently used
    cache.put(4, "k", 0, 4)
    assert len(cache) == 3
    assert cache.keys() == [(3, "k"), (1, "k"), (4, "k")]
    assert cache.get(2, "k", 0) is None
    assert cache.stats.evictions == 1


def test_get_or_build_builds_once_per_version_and_rebuilds_when_the_version_changes():
    cache: TenantCache[list[int]] = TenantCache("test", max_entries=4)
    built: list[int] = []

    def build(version: int):
        def make():
            built.append(version)
            return [version]

        return make

    assert cache.get_or_build(1, "k", 1, build(1)) == [1]
    assert cache.get_or_build(1, "k", 1, build(1)) == [1]
    assert cache.get_or_build(1, "k", 2, build(2)) == [2]
    assert built == [1, 2]
    assert len(cache) == 1  # only the newest version of a key is held


def test_a_failing_build_stores_nothing_and_the_next_call_builds_again():
    cache: TenantCache[str] = TenantCache("test")

    def broken():
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        cache.get_or_build(1, "k", 1, broken)
    assert len(cache) == 0
    assert cache.get_or_build(1, "k", 1, lambda: "ok") == "ok"


def test_invalidate_drops_one_tenant_or_one_key_or_everything():
    cache: TenantCache[str] = TenantCache("test")
    cache.put(1, "a", 0, "1a")
    cache.put(1, "b", 0, "1b")
    cache.put(2, "a", 0, "2a")
    assert cache.invalidate(1, "a") == 1
    assert sorted(cache.keys()) == [(1, "b"), (2, "a")]
    assert cache.invalidate(1) == 1
    assert cache.keys() == [(2, "a")]
    assert cache.invalidate() == 1
    assert len(cache) == 0


def test_threads_asking_for_the_same_key_at_once_share_one_build():
    cache: TenantCache[str] = TenantCache("test")
    started, release = threading.Event(), threading.Event()
    builds: list[str] = []

    def slow_build() -> str:
        builds.append(threading.current_thread().name)
        started.set()
        release.wait(timeout=30)
        return "index"

    results: list[str] = []

    def ask() -> None:
        results.append(cache.get_or_build(7, "open_cases", 1, slow_build))

    first = threading.Thread(target=ask, name="first")
    first.start()
    assert started.wait(timeout=30)
    others = [threading.Thread(target=ask, name=f"other-{n}") for n in range(7)]
    for thread in others:
        thread.start()
    # another key of the same cache is not held up by the build in progress
    assert cache.get_or_build(8, "open_cases", 1, lambda: "other tenant") == "other tenant"
    release.set()
    for thread in [first, *others]:
        thread.join(timeout=30)
    assert results == ["index"] * 8
    assert builds == ["first"]


def test_many_threads_reading_and_writing_keep_the_bound_and_lose_no_value():
    cache: TenantCache[tuple[int, int]] = TenantCache("test", max_entries=16)
    errors: list[str] = []

    def work(worker: int) -> None:
        for round_ in range(300):
            tenant = (worker * 31 + round_) % 40
            value = cache.get_or_build(tenant, "k", round_ // 50, lambda t=tenant, r=round_: (t, r // 50))
            if value != (tenant, round_ // 50):
                errors.append(f"tenant {tenant} got {value}")
            if len(cache) > 16:
                errors.append("over the bound")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(cache) <= 16


def test_the_platform_names_each_cache_once():
    caches = Caches()
    first = caches.get("postmottak.case_index", max_entries=2)
    assert caches.get("postmottak.case_index") is first
    assert first.max_entries == 2
    caches.get("other").put(5, "k", 0, "x")
    first.put(5, "k", 0, "y")
    first.put(6, "k", 0, "z")
    assert caches.invalidate_tenant(5) == 2
    assert caches.names() == ["other", "postmottak.case_index"]
    with pytest.raises(ValueError):
        TenantCache("empty", max_entries=0)
