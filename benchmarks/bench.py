"""losscli against the plain NumPy way of doing the same job, side by side in one run.

    python benchmarks/bench.py [--rows 1000000] [--repeat 3]

Each job runs as a fresh process (as a user would run it), ``--repeat`` times; the
table shows the best wall time and the peak resident memory of each, and their
ratios to the plain way:

- tiny: the seed example (2 x 10 CSV). Baseline: ``python -c "import numpy"``, the
  least any NumPy tool can cost; also the plain loadtxt-and-mean script.
- large CSV / large NPY: ROWS x 10 predictions and targets. Baseline: a script that
  does ``np.loadtxt`` (or ``np.load``) of both, then ``np.mean((p - t) ** 2)``.

losscli runs with ``--format value`` so that the comparison is of the same work:
read, check, compute, print one number.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PLAIN = {
    "csv": "import numpy as np, sys\n"
    "p = np.loadtxt(sys.argv[1], delimiter=',', ndmin=2)\n"
    "t = np.loadtxt(sys.argv[2], delimiter=',', ndmin=2)\n"
    "print(repr(float(np.mean((p - t) ** 2))))\n",
    "npy": "import numpy as np, sys\n"
    "p = np.load(sys.argv[1])\n"
    "t = np.load(sys.argv[2])\n"
    "print(repr(float(np.mean((p - t) ** 2))))\n",
}


# As a user's machine runs it: bytecode caches written (pip install compiles them too).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _run(argv: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MiB and stdout of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    out, err = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {err.decode()}")
    return wall, usage.ru_maxrss / 1024, out.decode().strip()


def _best_pair(plain: list[str], ours: list[str], repeat: int):
    """Best wall time and peak memory of each; runs alternate, so drift hits both alike."""
    _run(plain), _run(ours)  # warm-up: bytecode and file caches, as on a second run
    runs = [(_run(plain), _run(ours)) for _ in range(repeat)]
    return [(min(r[k][0] for r in runs), max(r[k][1] for r in runs), runs[0][k][2]) for k in (0, 1)]


def _losscli() -> list[str]:
    script = Path(sys.executable).with_name("losscli")
    return [str(script)] if script.exists() else [shutil.which("losscli") or "losscli"]


def _write_pair(folder: Path, rows: int) -> None:
    rng = np.random.default_rng(0)
    p = rng.random((rows, 10))
    t = (rng.random((rows, 10)) > 0.5).astype(np.float64)
    for name, array in (("preds", p), ("targets", t)):
        np.save(folder / f"{name}.npy", array)
        np.savetxt(folder / f"{name}.csv", array, delimiter=",", fmt="%.6f")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write-to", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_to:
        _write_pair(args.write_to, args.rows)
        return 0
    losscli = _losscli()
    py = sys.executable
    samples = Path(__file__).resolve().parent.parent / "samples"

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plain_script = {fmt: folder / f"plain_{fmt}.py" for fmt in PLAIN}
        for fmt, path in plain_script.items():
            path.write_text(PLAIN[fmt])
        tiny = (str(samples / "preds.csv"), str(samples / "targets.csv"))
        print(f"writing {args.rows:,} x 10 pairs ...", file=sys.stderr)
        # In a child process: a forked child's peak memory would count this one's arrays.
        subprocess.run([py, __file__, "--write-to", str(folder), "--rows", str(args.rows)], check=True)
        large = {fmt: (folder / f"preds.{fmt}", folder / f"targets.{fmt}") for fmt in ("npy", "csv")}

        jobs = [
            ("tiny CSV", [py, "-c", "import numpy"], [*losscli, "mse", *tiny, "-f", "value"]),
            ("tiny CSV", [py, str(plain_script["csv"]), *tiny], [*losscli, "mse", *tiny, "-f", "value"]),
        ]
        for fmt in ("csv", "npy"):
            paths = [str(p) for p in large[fmt]]
            jobs.append(
                (
                    f"{args.rows:,} x 10 {fmt.upper()}",
                    [py, str(plain_script[fmt]), *paths],
                    [*losscli, "mse", *paths, "-f", "value"],
                )
            )
        for label, plain, ours in jobs:
            repeat = args.repeat if "x 10" in label else max(args.repeat, 25)  # tiny jobs are noisy
            (plain_wall, plain_mem, plain_out), (our_wall, our_mem, our_out) = _best_pair(plain, ours, repeat)
            if plain_out and abs(float(plain_out) - float(our_out)) > 1e-12 * abs(float(plain_out)):
                raise SystemExit(f"{label}: plain NumPy says {plain_out}, losscli says {our_out}")
            baseline = "import numpy" if plain[1] == "-c" else "np.loadtxt/np.load + np.mean"
            rows.append((label, baseline, plain_wall, our_wall, plain_mem, our_mem))

    print(
        f"{'job':<22} {'baseline':<30} {'plain s':>8} {'losscli s':>9} {'ratio':>6} "
        f"{'plain MiB':>9} {'losscli MiB':>11} {'ratio':>6}"
    )
    for label, baseline, pw, ow, pm, om in rows:
        print(f"{label:<22} {baseline:<30} {pw:8.3f} {ow:9.3f} {ow / pw:6.2f} {pm:9.1f} {om:11.1f} {om / pm:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
