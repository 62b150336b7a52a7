"""Benchmark: the time the shrunken ranking adds to a report.

Run: ``.venv/bin/python -m bench.bench_ranking [--centers 41] [--branches 8] [--repeat 20]``.
Builds ranking rows shaped like the demo network (41 centres with 10–900 answers, appeals, an NPS
question; 8 branches) and times :func:`app.analysis.operations._assign_ranks` for the centres and for
the branches: the prior fits (five components) and 2000 joint posterior draws each. Prints the median
and best wall and CPU times in milliseconds as JSON. Target: well under 0.5 s for both together.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

from app.analysis import operations
from app.config import DefaultConfig

WEIGHTS = dict(DefaultConfig.ANALYSIS_RANK_WEIGHTS)


def _rows(groups: int, rng: np.random.Generator, scale: int = 1) -> list[dict]:
    rows = []
    for i in range(groups):
        n = int(rng.integers(10, 900)) * scale
        appeals = int(rng.integers(0, 300)) * scale
        p = rng.beta(40, 10)
        nps = rng.multinomial(n, rng.dirichlet([30, 18, 12]))
        counts = {
            "top2box": (int(rng.binomial(n, p)), n),
            "nps": tuple(int(x) for x in nps),
            "complaints": (int(rng.binomial(appeals, 0.05)), appeals),
            "on_time": (int(rng.binomial(appeals, 0.9)), appeals),
            "promises": (int(rng.binomial(appeals // 4, 0.85)), appeals // 4),
        }
        rows.append({"name": f"G{i}", "n": n, "low_n": n < 30, "components": dict.fromkeys(WEIGHTS), "_counts": counts})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--centers", type=int, default=41)
    parser.add_argument("--branches", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    wall, cpu = [], []
    for _ in range(args.repeat):
        centers, branches = _rows(args.centers, rng), _rows(args.branches, rng, scale=5)
        w0, c0 = time.perf_counter(), time.process_time()
        operations._assign_ranks(centers, WEIGHTS, 0.95)
        operations._assign_ranks(branches, WEIGHTS, 0.95)
        wall.append((time.perf_counter() - w0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    print(
        json.dumps(
            {
                "centers": args.centers,
                "branches": args.branches,
                "repeat": args.repeat,
                "wall_ms_median": round(statistics.median(wall), 1),
                "wall_ms_best": round(min(wall), 1),
                "cpu_ms_median": round(statistics.median(cpu), 1),
                "cpu_ms_best": round(min(cpu), 1),
            }
        )
    )


if __name__ == "__main__":
    main()
