"""Bemanning speed: forecasting N units × 8 weeks from a cold process, including reading the CSV and
training, with the exact configuration the accuracy figures came from (``forecast.CONFIG``: the direct
linear model with conformal quantiles). Data: the frozen generator (v1), N units of 8–300 staff, two
years of daily counts (2024-05-01 … 2026-04-30; ``--start 2022-01-03`` for the accuracy bench's four
years, where the model trains on up to four years of origins). Baseline measured in the same run: a
cold process that reads the same file and makes the seasonal-naive forecast. Goal (issue 17): 1,000
units ≤ 30 s on 2 cores. Timings on a shared machine are an upper bound.

    .venv/bin/python bench/bemanning_speed.py [--units 1000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kommuneki.services.bemanning.engine import generator, ili

NAIVE = (
    "import sys; from kommuneki.services.bemanning.engine.history import read_history;"
    "from kommuneki.services.bemanning.engine.forecast import seasonal_naive;"
    "h = read_history(open(sys.argv[1], 'rb').read()); seasonal_naive(h.absent, h.absent.shape[1] - 1, 56)"
)


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of the child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2024, 5, 1))
    args = parser.parse_args()
    start, end = args.start, dt.date(2026, 4, 30)
    path = ili.default_path()
    daily = ili.daily_filled(ili.read_weekly(path), start, end) if path else None
    units = generator.generate(args.units, start, end, seed=3, ili_daily=daily)
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "history.csv"
        csv.write_text(generator.to_csv(units))
        cli = [
            sys.executable,
            "-m",
            "kommuneki",
            "bemanning",
            "forecast",
            "--history",
            str(csv),
            "--horizon",
            "56",
            "--json",
        ] + (["--ili", str(path)] if path else [])
        model = timed(cli)
        naive = timed([sys.executable, "-c", NAIVE, str(csv)])
    years = (end - start).days / 365.25
    print(f"{args.units} units × 56 days, {years:.1f} years of history (generated data), cold process:")
    print(f"  model (shipped forecast.CONFIG): {model[0]:.1f} s wall, {model[1]:.1f} s CPU")
    print(
        f"  baseline (read + seasonal naive): {naive[0]:.1f} s wall, {naive[1]:.1f} s CPU   "
        f"ratio {model[0] / naive[0]:.1f}× wall, {model[1] / naive[1]:.1f}× CPU"
    )
    print(
        f"  goal 30 s for 1,000 units: {model[0] / 30 * 1000 / args.units:.2f}× the goal wall "
        f"({model[1] / 30 * 1000 / args.units:.2f}× in CPU seconds; scaled linearly)"
    )


if __name__ == "__main__":
    main()
