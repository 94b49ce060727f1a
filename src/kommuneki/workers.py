"""The worker process ``kommuneki serve`` starts beside the web server in the embedded installation (one
machine, SQLite, nothing to install): a child ``kommuneki worker`` with the same settings, restarted if it
dies, stopped (gracefully: SIGINT lets a running job finish its step) when the server stops. A shared
installation runs ``kommuneki serve --no-worker`` and ``kommuneki worker`` separately instead."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger("kommuneki.workers")

RESTART_AFTER_S = 2.0
STOP_TIMEOUT_S = 15.0


def settings_environment(overrides: dict[str, Any] | None) -> dict[str, str]:
    """The command line's setting overrides as ``KOMMUNEKI_*`` environment variables, for a child
    process (a worker, or the web server processes of ``serve --web-workers``). Settings travel in the
    environment, not as arguments: a database URL may hold a password, and arguments are visible to
    every local user."""
    return {
        f"KOMMUNEKI_{key.upper()}": str(value.resolve() if isinstance(value, Path) else value)
        for key, value in (overrides or {}).items()
    }


class WorkerProcess:
    def __init__(self, overrides: dict[str, Any] | None = None) -> None:
        self.args = [sys.executable, "-m", "kommuneki", "worker"]
        self.env = {**os.environ, **settings_environment(overrides)}
        self.process: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._watch: threading.Thread | None = None

    def start(self) -> None:
        self._spawn()
        self._watch = threading.Thread(target=self._watch_loop, name="kommuneki-worker-watch", daemon=True)
        self._watch.start()

    def _spawn(self) -> None:
        self.process = subprocess.Popen(self.args, env=self.env)

    def _watch_loop(self) -> None:
        while not self._stopping.is_set():
            process = self.process
            if process is not None and process.poll() is not None and not self._stopping.is_set():
                log.warning("the worker stopped (exit code %s); starting a new one", process.returncode)
                self._spawn()
            self._stopping.wait(RESTART_AFTER_S)

    def stop(self) -> None:
        self._stopping.set()
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
