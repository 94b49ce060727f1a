"""Fixtures for the task-queue tests (``test_queue.py``, ``test_batches.py``): a platform whose jobs go
on a real broker, and real ``kommuneki worker`` processes started on it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import make_platform, require

REDIS_URL = os.environ.get("KOMMUNEKI_TEST_REDIS", "redis://127.0.0.1:6379/15")
STALE_S = 3


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001 - any failure means: not available
        return False


def _broker_database() -> str:
    """A PostgreSQL database for the queue's tables (made once; Huey creates its tables in it)."""
    import psycopg

    from tests.conftest import PG_ADMIN_URL

    name = "kommuneki_test_broker"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", "redis", "postgresql"])
def queued(request, tmp_path):
    """A platform whose jobs go on a task queue: SQLite database and SQLite broker (embedded), or a
    PostgreSQL database with a Redis or PostgreSQL broker (shared installation)."""
    broker = request.param
    if broker == "sqlite":
        shutil.copy(request.getfixturevalue("sqlite_template"), tmp_path / "kommuneki.db")
        database_url = None
        task_queue = "sqlite"
    else:
        pg = request.getfixturevalue("pg_database")
        from tests.conftest import _truncate_all

        _truncate_all(pg)
        database_url = pg
        if broker == "redis":
            require(
                _redis_up(),
                "Redis on 127.0.0.1:6379",
                "apt install redis-server (or set KOMMUNEKI_TEST_REDIS)",
            )
            task_queue = REDIS_URL
        else:  # a database of its own: the broker's huey_* tables are not the platform's schema
            task_queue = _broker_database()
    platform = make_platform(
        tmp_path, database_url, task_queue=task_queue, job_stale_after_s=STALE_S, job_retry_delay_s=0.5
    )
    platform.task_queue.huey.flush()
    workers: list[subprocess.Popen] = []

    def start_worker(**extra_env: str) -> subprocess.Popen:
        env = {
            **os.environ,
            **extra_env,
            "KOMMUNEKI_TASK_QUEUE": task_queue,
            "KOMMUNEKI_JOB_STALE_AFTER_S": str(STALE_S),
            "KOMMUNEKI_JOB_RETRY_DELAY_S": "0.5",
        }
        args = [sys.executable, "-m", "kommuneki", "--data-dir", str(tmp_path)]
        if database_url:
            args += ["--database-url", database_url]
        process = subprocess.Popen(
            [*args, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path
        )
        workers.append(process)
        return process

    platform.start_worker = start_worker  # type: ignore[attr-defined]
    yield platform
    for process in workers:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        if process.stderr:
            said = process.stderr.read().decode(errors="replace")
            if "Traceback" in said:
                print(said[-4000:])  # shown with a failing test
            process.stderr.close()
    platform.task_queue.huey.flush()
    platform.close()


@pytest.fixture
def sqlite_queued(tmp_path, sqlite_template):
    shutil.copy(sqlite_template, tmp_path / "kommuneki.db")
    platform = make_platform(tmp_path, task_queue="sqlite", job_stale_after_s=STALE_S, job_retry_delay_s=0.5)
    yield platform
    platform.close()
