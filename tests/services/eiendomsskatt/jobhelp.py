"""Following a valuation job from the web tests: the POST redirects to /jobber/{id}; poll the API until
the job has ended, as the job page's script does."""

from __future__ import annotations

import re
import time


def job_id_of(response) -> int:
    """The job id a POST redirected to (``response`` not followed, or followed to the job page)."""
    url = response.headers.get("location") or str(response.url)
    m = re.search(r"/jobber/(\d+)$", url)
    assert m, f"not a job page: {url}"
    return int(m.group(1))


def finish_job(client, response, timeout: float = 120.0) -> dict:
    """Poll ``GET /api/v1/jobs/{id}`` until the job is no longer running; returns its last state."""
    job_id = job_id_of(response)
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["state"] != "running":
            return job
        assert time.monotonic() < deadline, f"job {job_id} still running: {job}"
        time.sleep(0.1)
