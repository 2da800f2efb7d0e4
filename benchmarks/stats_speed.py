"""How long losscli.stats takes on a large batch, and how much memory it adds.

    python benchmarks/stats_speed.py [--samples 1000000] [--resamples 2000] [--threads N]

Each job runs once on per-sample squared errors of N(0, 1) noise (and, for the weighted
job, uniform weights). Reported per job: wall seconds; CPU seconds of all threads (the
steadier figure on a shared machine); and the peak of memory allocated during the call
above what was allocated before it (NumPy reports its arrays to tracemalloc). At the
end, the process's peak resident memory, inputs included.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from losscli.stats import (  # noqa: E402
    RatioStatistic,
    bootstrap_interval,
    paired_bootstrap,
    paired_permutation_test,
)
from losscli.stats.resampling import default_threads  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    loss_a = rng.normal(size=args.samples) ** 2
    loss_b = (1.01 * rng.normal(size=args.samples)) ** 2
    weights = rng.random(args.samples)
    plain_a, plain_b = RatioStatistic.mean(loss_a), RatioStatistic.mean(loss_b)
    weighted = RatioStatistic.mean(loss_a, weights)
    options = {"resamples": args.resamples, "threads": args.threads}
    jobs = {
        "bootstrap BCa, mean": lambda: bootstrap_interval(plain_a, **options),
        "bootstrap BCa, weighted mean": lambda: bootstrap_interval(weighted, **options),
        "paired bootstrap BCa, two means": lambda: paired_bootstrap(plain_a, plain_b, **options),
        "paired permutation test, two means": lambda: paired_permutation_test(plain_a, plain_b, **options),
    }

    threads = args.threads if args.threads is not None else default_threads()
    print(f"{args.samples:,} samples, {args.resamples:,} resamples, {threads} threads")
    print(f"{'job':<36} {'seconds':>8} {'CPU s':>7} {'peak MiB':>9}  result")
    tracemalloc.start()
    for name, job in jobs.items():
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        start, cpu_start = time.perf_counter(), time.process_time()
        result = job()
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        peak = (tracemalloc.get_traced_memory()[1] - before) / 2**20
        print(f"{name:<36} {seconds:>8.2f} {cpu:>7.1f} {peak:>9.1f}  {_brief(result)}")
    tracemalloc.stop()
    # ru_maxrss is in KiB on Linux
    print(f"peak resident memory of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


def _brief(result) -> str:
    if hasattr(result, "interval"):
        result = result.interval
    if hasattr(result, "low"):
        return f"[{result.low:.6f}, {result.high:.6f}]"
    return f"p = {result.p_value:.4f}"


if __name__ == "__main__":
    main()
