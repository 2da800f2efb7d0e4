"""losscli side by side with the plain NumPy way and with its peers, in one run.

    python benchmarks/bench.py [--rows 1000000] [--repeat 5] [--only csv,npy,...] [--big]

Every job is a fresh process, as a user runs it, measured from outside (wall time, and the
peak resident memory the kernel accounts to it). A job and its baseline run in turn
(A B A B ...), after one warm-up each, and the table gives the MEDIAN of each and their
ratio: ``ratio < 1`` means losscli is faster (or smaller). Every job that prints a number
is checked against its baseline's number (rtol 1e-12): a fast wrong answer fails the run.

Groups (``--only``):

- ``start``: the two-sample example (2 x 10 CSV) against ``python -c "import numpy, typer"`` (the
  value) and ``... rich.console, rich.table`` (the table): the least any command on the mission's
  stack can cost (issue 23: value <= 1.10x, table <= 1.15x).
- ``csv``, ``onefile``, ``gz``, ``npy``, ``jsonl``: a ROWS x 10 pair read and reduced to
  one MSE (``--format value``), against ``np.loadtxt`` / ``np.load`` / ``json.loads`` and
  a mean, and against pandas, polars and pyarrow doing the same (each where installed;
  their imports included, as a user pays them).
- ``work``: ``--explain``, ``--compare``, ``--grad``, three losses and ``--format json``
  against ``--format value`` on the NPY pair (issue 12: <= 1.3x; json <= 2x).
- ``memory``: peak memory of each output format on the NPY pair, as a fraction of the
  inputs' size (issue 12: under 0.3x).
- ``stats``: ``--ci`` (2,000 studentized resamples of the samples' 4,096 buckets) and
  ``--against`` (a paired bootstrap and a permutation test) against ``--format value`` on the
  NPY pair (issue 22: ``--ci`` within 2x, ``--against`` within 3x).
- ``tokens`` (not in the default run; ``--tokens N,T,V``, default 8,1024,32000: a 1 GB
  float32 ``.npy`` of logits, labels with 10% -100): ``sparse_cce --from-logits --like torch``
  (PyTorch's ``CrossEntropyLoss()``, ignore_index -100) against NumPy's own log-softmax over the
  loaded array and against torch's ``cross_entropy`` (issue 20: under 300 MB, within 1.5x NumPy).
- ``groups``: ``--groups`` of 1,000 and of 100,000 groups over the rows of the NPY pair (``mse``,
  a ROWS x 10 pair) as a CSV of a row per group, against the ungrouped ``--format value`` run and
  against pandas' ``groupby`` of the per-row losses; 100,000 groups as the table and as JSON against
  the ungrouped run in the same format (issue 21: within 1.5x the ungrouped run).
- ``--big`` adds ``jobs``: ``--jobs 2`` against ``--jobs 1`` on a 10,000,000 x 10 CSV pair
  (4 GB), and ``huge``: peak memory on a pair of 4 GB ``.npy`` files and a pair of 1 GB
  CSV files (issue 12: under 300 MB). These write about 14 GB to the temporary folder.
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

# As a user's machine runs it: bytecode caches written (pip install compiles them too).
ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "NO_COLOR")}
MIB = 1 << 20

# --- the baselines and the peers, as a user would write them ------------------------------

SCRIPTS = {
    "numpy-loadtxt": "import numpy as np, sys\n"
    "p = np.loadtxt(sys.argv[1], delimiter=',', ndmin=2)\n"
    "t = np.loadtxt(sys.argv[2], delimiter=',', ndmin=2)\n"
    "print(repr(float(np.mean((p - t) ** 2))))\n",
    "numpy-tokens": "import numpy as np, sys\n"
    "x = np.load(sys.argv[1]).astype(np.float64)\n"
    "y = np.load(sys.argv[2])\n"
    "keep = y != -100\n"
    "x, y = x[keep], y[keep]\n"
    "top = x.max(axis=1, keepdims=True)\n"
    "log_q = x - top - np.log(np.exp(x - top).sum(axis=1, keepdims=True))\n"
    "print(repr(float(-log_q[np.arange(len(y)), y].mean())))\n",
    "torch-tokens": "import numpy as np, sys, torch\n"
    "x = torch.from_numpy(np.load(sys.argv[1])).double()\n"
    "y = torch.from_numpy(np.load(sys.argv[2]))\n"
    "print(repr(float(torch.nn.functional.cross_entropy(x.movedim(-1, 1), y))))\n",
    "numpy-load": "import numpy as np, sys\n"
    "p = np.load(sys.argv[1])\n"
    "t = np.load(sys.argv[2])\n"
    "print(repr(float(np.mean((p - t) ** 2))))\n",
    "pandas": "import pandas as pd, numpy as np, sys\n"
    "p = pd.read_csv(sys.argv[1], header=None).to_numpy()\n"
    "t = pd.read_csv(sys.argv[2], header=None).to_numpy()\n"
    "print(repr(float(np.mean((p - t) ** 2))))\n",
    "polars": "import polars as pl, numpy as np, sys\n"
    "p = pl.read_csv(sys.argv[1], has_header=False).to_numpy()\n"
    "t = pl.read_csv(sys.argv[2], has_header=False).to_numpy()\n"
    "print(repr(float(np.mean((p - t) ** 2))))\n",
    "pyarrow": "import pyarrow.csv as pc, numpy as np, sys\n"
    "o = pc.ReadOptions(autogenerate_column_names=True)\n"
    "p = np.column_stack([c.to_numpy() for c in pc.read_csv(sys.argv[1], read_options=o).columns])\n"
    "t = np.column_stack([c.to_numpy() for c in pc.read_csv(sys.argv[2], read_options=o).columns])\n"
    "print(repr(float(np.mean((p - t) ** 2))))\n",
    "pandas-groups": "import pandas as pd, numpy as np, sys\n"
    "p, t, g = np.load(sys.argv[1]), np.load(sys.argv[2]), np.load(sys.argv[3])\n"
    "by = pd.DataFrame({'g': g, 'l': ((p - t) ** 2).mean(axis=1)}).groupby('g', sort=False)['l']\n"
    "pd.DataFrame({'n': by.size() * p.shape[1], 'value': by.mean()}).to_csv(sys.argv[4])\n",
    "numpy-onefile": "import numpy as np, sys\n"
    "d = np.loadtxt(sys.argv[1], delimiter=',', skiprows=1)\n"
    "print(repr(float(np.mean((d[:, :10] - d[:, 10:]) ** 2))))\n",
    "pandas-onefile": "import pandas as pd, numpy as np, sys\n"
    "d = pd.read_csv(sys.argv[1])\n"
    "p = d[[f'p{j}' for j in range(10)]].to_numpy(); t = d[[f't{j}' for j in range(10)]].to_numpy()\n"
    "print(repr(float(np.mean((p - t) ** 2))))\n",
    "polars-onefile": "import polars as pl, numpy as np, sys\n"
    "d = pl.read_csv(sys.argv[1])\n"
    "p = d.select([f'p{j}' for j in range(10)]).to_numpy(); t = d.select([f't{j}' for j in range(10)]).to_numpy()\n"
    "print(repr(float(np.mean((p - t) ** 2))))\n",
    "json-loads": "import json, numpy as np, sys\n"
    "with open(sys.argv[1]) as f:\n"
    "    rows = [json.loads(line) for line in f]\n"
    "p = np.array([[r[f'p{j}'] for j in range(10)] for r in rows])\n"
    "t = np.array([[r[f't{j}'] for j in range(10)] for r in rows])\n"
    "print(repr(float(np.mean((p - t) ** 2))))\n",
    "pandas-jsonl": "import pandas as pd, numpy as np, sys\n"
    "d = pd.read_json(sys.argv[1], lines=True, precise_float=True)\n"
    "p = d[[f'p{j}' for j in range(10)]].to_numpy(); t = d[[f't{j}' for j in range(10)]].to_numpy()\n"
    "print(repr(float(np.mean((p - t) ** 2))))\n",
    "polars-jsonl": "import polars as pl, numpy as np, sys\n"
    "d = pl.read_ndjson(sys.argv[1])\n"
    "p = d.select([f'p{j}' for j in range(10)]).to_numpy(); t = d.select([f't{j}' for j in range(10)]).to_numpy()\n"
    "print(repr(float(np.mean((p - t) ** 2))))\n",
}
NEEDS = {"pandas": "pandas", "polars": "polars", "pyarrow": "pyarrow", "torch": "torch"}


def _available(script: str) -> bool:
    module = NEEDS.get(script.split("-")[0])
    if module is None:
        return True
    return subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True).returncode == 0


# --- measuring ----------------------------------------------------------------------------


def _measured(argv: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak memory (MiB) and stdout of one process: run from a fresh Python, so
    that the peak is the child's alone (RUSAGE_CHILDREN keeps the largest child's)."""
    code = (
        "import os, subprocess, sys, time, json\n"
        "s = time.perf_counter()\n"
        "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)\n"
        "out, err = p.communicate()\n"
        "w = time.perf_counter() - s\n"
        "import resource\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(json.dumps([p.returncode, w, peak, out.decode(), err.decode()[-2000:]]))\n"
    )
    import json

    proc = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, env=ENV, text=True)
    code_, wall, peak, out, err = json.loads(proc.stdout)
    if code_ != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {err}")
    return wall, peak, out.strip()


def _pair(ours: list[str], baseline: list[str], repeat: int):
    """Median wall time and peak memory of each, run in turn after a warm-up of each."""
    _measured(ours), _measured(baseline)
    runs = [(_measured(ours), _measured(baseline)) for _ in range(repeat)]
    out = []
    for k in (0, 1):
        out.append(
            (
                statistics.median(r[k][0] for r in runs),
                statistics.median(r[k][1] for r in runs),
                runs[0][k][2],
            )
        )
    return out


def _check(label: str, ours: str, theirs: str) -> None:
    """Both printed one number: they must agree."""
    try:
        a, b = float(ours), float(theirs)
    except ValueError:
        return
    if abs(a - b) > 1e-12 * abs(b):
        raise SystemExit(f"{label}: the baseline says {theirs}, losscli says {ours}")


# --- the inputs ---------------------------------------------------------------------------


def write_inputs(folder: Path, rows: int, big: bool) -> None:
    """The benchmark's files, written once (in a child process: its memory is not counted)."""
    rng = np.random.default_rng(0)
    p = rng.random((rows, 10))
    t = (rng.random((rows, 10)) > 0.5).astype(np.float64)
    np.save(folder / "preds.npy", p)
    np.save(folder / "targets.npy", t)
    np.save(folder / "preds_b.npy", np.clip(p + rng.normal(scale=0.05, size=p.shape), 0, 1))  # a second model
    _write_csv(folder / "preds.csv", p)
    _write_csv(folder / "targets.csv", t)
    for name in ("preds", "targets"):
        with open(folder / f"{name}.csv", "rb") as src, gzip.open(folder / f"{name}.csv.gz", "wb", 6) as dst:
            shutil.copyfileobj(src, dst, 1 << 22)
    header = ",".join([f"p{j}" for j in range(10)] + [f"t{j}" for j in range(10)])
    _write_csv(folder / "data.csv", np.hstack([p, t]), header)
    _write_jsonl(folder / "data.jsonl", p, t)
    np.save(folder / "group_labels.npy", rng.integers(0, 100_000, rows))  # 100,000 groups, in no order
    np.save(folder / "group_labels_1k.npy", rng.integers(0, 1_000, rows))
    if big:
        _write_big(folder, rng)


def _write_csv(path: Path, values: np.ndarray, header: str | None = None) -> None:
    """As pandas' to_csv(index=False) writes floats: the shortest text that reads back exactly."""
    with open(path, "w") as out:
        if header:
            out.write(header + "\n")
        for start in range(0, len(values), 100_000):
            block = values[start : start + 100_000]
            text = repr(block.tolist()).replace("], [", "\n").replace(" ", "")
            out.write(text[2:-2] + "\n")


def _write_jsonl(path: Path, p: np.ndarray, t: np.ndarray) -> None:
    keys = [f'"p{j}": ' for j in range(10)] + [f'"t{j}": ' for j in range(10)]
    with open(path, "w") as out:
        for start in range(0, len(p), 100_000):
            block = np.hstack([p[start : start + 100_000], t[start : start + 100_000]]).tolist()
            out.write(
                "".join("{" + ", ".join(k + repr(v) for k, v in zip(keys, row, strict=True)) + "}\n" for row in block)
            )


def _write_big(folder: Path, rng) -> None:
    rows = 10_000_000
    for name in ("preds", "targets"):
        path = folder / f"big_{name}.csv"
        with open(path, "w") as out:
            for _ in range(rows // 1_000_000):
                block = rng.random((1_000_000, 10))
                out.write(repr(block.tolist()).replace("], [", "\n").replace(" ", "")[2:-2] + "\n")
        # 4 GB .npy: written block by block into a memory map
        array = np.lib.format.open_memmap(
            folder / f"huge_{name}.npy", mode="w+", dtype=np.float64, shape=(50_000_000, 10)
        )
        for start in range(0, 50_000_000, 5_000_000):
            array[start : start + 5_000_000] = rng.random((5_000_000, 10))
        array.flush()
        del array
    # 1 GB CSV pair: the first 5,200,000 rows (1.0 GB) of the 10,000,000-row pair
    for name in ("preds", "targets"):
        with open(folder / f"big_{name}.csv", "rb") as src, open(folder / f"gb_{name}.csv", "wb") as dst:
            for _ in range(5_200_000):
                dst.write(src.readline())


# --- the groups -----------------------------------------------------------------------------


class Table:
    def __init__(self):
        self.rows: list[tuple] = []

    def add(self, group, job, baseline, ours, theirs):
        self.rows.append((group, job, baseline, *ours[:2], *theirs[:2]))
        print(self.line(self.rows[-1]), flush=True)

    @staticmethod
    def header() -> str:
        return (
            f"{'group':<7} {'job':<30} {'baseline':<24} {'losscli s':>9} {'base s':>8} {'time':>6} "
            f"{'losscli MiB':>11} {'base MiB':>9} {'memory':>6}"
        )

    @staticmethod
    def line(row) -> str:
        group, job, baseline, ow, om, bw, bm = row
        return (
            f"{group:<7} {job:<30} {baseline:<24} {ow:9.3f} {bw:8.3f} {ow / bw:6.2f} {om:11.1f} {bm:9.1f} "
            f"{om / bm:6.2f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", default="start,csv,onefile,gz,npy,jsonl,work,memory,stats,groups")
    parser.add_argument("--big", action="store_true", help="also the 10M-row --jobs and the 4 GB memory jobs")
    parser.add_argument("--folder", type=Path, help="keep the inputs here (written when missing)")
    parser.add_argument("--tokens", default="8,1024,32000", help="N,T,V of the tokens group's logits")
    parser.add_argument("--write-to", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_to:
        write_inputs(args.write_to, args.rows, args.big)
        return 0
    groups = set(args.only.split(",")) | ({"jobs", "huge"} if args.big else set())
    tmp = None
    if args.folder is None:
        tmp = tempfile.TemporaryDirectory()
        folder = Path(tmp.name)
    else:
        folder = args.folder
        folder.mkdir(parents=True, exist_ok=True)
    try:
        if (
            not (folder / "data.jsonl").exists()
            or not (folder / "preds_b.npy").exists()
            or not (folder / "group_labels_1k.npy").exists()
            or (args.big and not (folder / "gb_targets.csv").exists())
        ):
            print(f"writing the inputs ({args.rows:,} x 10) to {folder} ...", file=sys.stderr, flush=True)
            cmd = [sys.executable, __file__, "--write-to", str(folder), "--rows", str(args.rows)]
            subprocess.run([*cmd, *(["--big"] if args.big else [])], check=True)
        for name, code in SCRIPTS.items():
            (folder / f"bench_{name}.py").write_text(code)
        if "tokens" in groups:
            _write_tokens(folder, tuple(int(k) for k in args.tokens.split(",")))
        run_groups(folder, groups, args.repeat, args.rows)
    finally:
        if tmp is not None:
            tmp.cleanup()
    return 0


def _write_tokens(folder: Path, shape: tuple[int, ...]) -> None:
    """Logits (N, T, V) float32 written a sample at a time (a memory map), labels with 10% -100."""
    logits, labels = folder / "token_logits.npy", folder / "token_labels.npy"
    if logits.exists() and np.load(logits, mmap_mode="r").shape == shape:
        return
    print(f"writing token logits {shape} to {folder} ...", file=sys.stderr, flush=True)
    rng = np.random.default_rng(20)
    out = np.lib.format.open_memmap(logits, mode="w+", dtype=np.float32, shape=shape)
    for i in range(shape[0]):
        out[i] = rng.standard_normal(shape[1:], dtype=np.float32)
    out.flush()
    del out
    y = rng.integers(0, shape[-1], shape[:-1])
    y[rng.random(shape[:-1]) < 0.1] = -100
    np.save(labels, y)


def _losscli() -> list[str]:
    script = Path(sys.executable).with_name("losscli")
    return [str(script)] if script.exists() else [shutil.which("losscli") or "losscli"]


def run_groups(folder: Path, groups: set[str], repeat: int, rows: int) -> None:
    losscli, py = _losscli(), sys.executable
    table = Table()
    print(Table.header(), flush=True)
    f = {name: str(folder / name) for name in os.listdir(folder)}
    size = f"{rows // 1_000_000}M" if rows >= 1_000_000 else f"{rows:,}"

    def job(group, label, ours, baseline_name, baseline, times=repeat):
        result = _pair(ours, baseline, times)
        _check(label, result[0][2], result[1][2])
        table.add(group, label, baseline_name, result[0], result[1])

    def peers(group, label, ours, names, inputs):
        for name in names:
            if _available(name):
                job(group, label, ours, name, [py, f[f"bench_{name}.py"], *inputs])

    if "start" in groups:
        # As installed: pip compiles every module at install; a clone run with PYTHONDONTWRITEBYTECODE set
        # would otherwise compile the edited ones at every start.
        subprocess.run([py, "-m", "compileall", "-q", str(Path(__file__).resolve().parent.parent / "losscli")])
        samples = Path(__file__).resolve().parent.parent / "samples"
        tiny = [str(samples / "preds.csv"), str(samples / "targets.csv")]
        stack = "import numpy, typer"  # the mission's stack: the floor of any command built on it (issue 23)
        job("start", "2 x 10 example, value", [*losscli, "mse", *tiny, "-f", "value"], stack, [py, "-c", stack], 21)
        with_rich = stack + ", rich.console, rich.table"
        job("start", "2 x 10 example, table", [*losscli, "mse", *tiny], with_rich, [py, "-c", with_rich], 21)
    csv_pair = [f["preds.csv"], f["targets.csv"]]
    if "csv" in groups:
        ours = [*losscli, "mse", *csv_pair, "-f", "value"]
        job("csv", f"{size} x 10 CSV pair", ours, "np.loadtxt + mean", [py, f["bench_numpy-loadtxt.py"], *csv_pair])
        peers("csv", f"{size} x 10 CSV pair", ours, ("pandas", "polars", "pyarrow"), csv_pair)

    def one_file(group, label, name, baseline_name, script, peer_names):
        """A file holding predictions p0..p9 and targets t0..t9: losscli, the plain way, the peers."""
        ours = [*losscli, "mse", f[name], "--pred-col", "p0:p9", "--target-col", "t0:t9", "-f", "value"]
        job(group, label, ours, baseline_name, [py, f[script], f[name]])
        peers(group, label, ours, peer_names, [f[name]])

    if "onefile" in groups:
        one_file(
            "onefile",
            f"{size} x 20 one-file CSV",
            "data.csv",
            "np.loadtxt + mean",
            "bench_numpy-onefile.py",
            ("pandas-onefile", "polars-onefile"),
        )
    if "gz" in groups:
        gz = [f["preds.csv.gz"], f["targets.csv.gz"]]
        ours = [*losscli, "mse", *gz, "-f", "value"]
        job("gz", f"{size} x 10 CSV.gz pair", ours, "np.loadtxt + mean", [py, f["bench_numpy-loadtxt.py"], *gz])
        peers("gz", f"{size} x 10 CSV.gz pair", ours, ("pandas",), gz)
    npy_pair = [f["preds.npy"], f["targets.npy"]]
    value = [*losscli, "mse", *npy_pair, "-f", "value"]
    if "npy" in groups:
        job("npy", f"{size} x 10 NPY pair", value, "np.load + mean", [py, f["bench_numpy-load.py"], *npy_pair])
    if "jsonl" in groups:
        one_file(
            "jsonl",
            f"{size} x 20 JSON Lines",
            "data.jsonl",
            "json.loads + np.array",
            "bench_json-loads.py",
            ("pandas-jsonl", "polars-jsonl"),
        )
    if "work" in groups:
        base = [*losscli, "mse", *npy_pair]
        for label, extra in (
            ("--explain", ["--explain"]),
            ("--compare", ["--compare"]),
            ("--grad (table)", ["--grad"]),
            ("three losses (value)", None),
            ("--format json", ["-f", "json"]),
            ("--format csv", ["-f", "csv"]),
        ):
            ours = [*losscli, "mse,mae,huber", *npy_pair, "-f", "value"] if extra is None else [*base, *extra]
            job("work", label, ours, "--format value", value)
    if "memory" in groups:
        inputs_mib = sum(os.path.getsize(p) for p in npy_pair) / MIB
        for fmt in ("value", "table", "csv", "json"):
            wall, peak, _ = _measured([*losscli, "mse", *npy_pair, "-f", fmt])
            print(
                f"memory  {fmt:<30} peak {peak:7.1f} MiB = {peak / inputs_mib:.2f}x the inputs ({inputs_mib:.0f} MiB)"
            )
    if "stats" in groups:
        job("stats", "--ci (2,000 resamples)", [*value, "--ci"], "--format value", value, 1)
        against = [*losscli, "mse", *npy_pair, "--against", f["preds_b.npy"], "-f", "json", "-o", os.devnull]
        job("stats", "--against (bootstrap + permutation)", against, "--format value", value, 1)
    if "groups" in groups:
        few = [*losscli, "mse", *npy_pair, "--groups", f["group_labels_1k.npy"], "-f", "csv", "-o", os.devnull]
        job("groups", "--groups (1,000 groups), csv", few, "--format value", value)
        grouped = [*losscli, "mse", *npy_pair, "--groups", f["group_labels.npy"], "-f", "csv", "-o", os.devnull]
        job("groups", "--groups (100,000 groups), csv", grouped, "--format value", value)
        for fmt in ("table", "json"):  # the same format ungrouped: what the groups themselves cost
            plain = [*losscli, "mse", *npy_pair, "-f", fmt, "-o", os.devnull]
            job("groups", f"--groups (100,000 groups), {fmt}", [*plain, "--groups", f["group_labels.npy"]], fmt, plain)
        pandas_groups = [py, f["bench_pandas-groups.py"], *npy_pair, f["group_labels.npy"], os.devnull]
        if _available("pandas"):
            job("groups", "--groups (100,000 groups), csv", grouped, "pandas groupby", pandas_groups)
    if "tokens" in groups:
        tokens = [f["token_logits.npy"], f["token_labels.npy"]]
        ours = [*losscli, "sparse_cce", *tokens, "--from-logits", "--like", "torch", "-f", "value"]
        label = "token logits " + "x".join(map(str, np.load(tokens[0], mmap_mode="r").shape))
        job("tokens", label, ours, "numpy log-softmax", [py, f["bench_numpy-tokens.py"], *tokens], 1)
        peers("tokens", label, ours, ("torch-tokens",), tokens)
    if "jobs" in groups:
        big = [f["big_preds.csv"], f["big_targets.csv"]]
        job(
            "jobs",
            "10M x 10 CSV, --jobs 2",
            [*losscli, "mse", *big, "-f", "value", "--jobs", "2"],
            "--jobs 1",
            [*losscli, "mse", *big, "-f", "value", "--jobs", "1"],
            max(1, repeat // 2),
        )
    if "huge" in groups:
        for label, pair in (
            ("4 GB NPY pair", [f["huge_preds.npy"], f["huge_targets.npy"]]),
            ("1 GB CSV pair", [f["gb_preds.csv"], f["gb_targets.csv"]]),
        ):
            for fmt in ("value", "table", "csv"):
                out = folder / "out.csv"
                argv = [*losscli, "mse", *pair, "-f", fmt, *(["-o", str(out)] if fmt == "csv" else [])]
                wall, peak, _ = _measured(argv)
                print(f"huge    {label + ', ' + fmt:<30} peak {peak:7.1f} MiB, {wall:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
