"""Bounded, seeded fuzzing of every reader and of the command line.

Inputs are random bytes, and valid files of every format (CSV, TSV, whitespace text, NPY, NPZ,
JSON in pandas' shapes, JSON Lines, Parquet, gzip) cut, spliced and mutated, written to files of
every extension and fed to stdin; command lines are random combinations of real options and
values, good and bad. What must hold, whatever the input:

- the readers raise nothing but losscli's own errors (``losscli.LossCliError``);
- the command line exits 0, 1 or 2, never with a traceback or an internal error (exit 70), and an
  exit 2 is one ``losscli: error:`` line on stderr and nothing on stdout.

The default run is bounded (a fixed number of derandomized examples, well under two minutes).
The long run before a release, ``python -m pytest -m fuzz``, draws many more.
"""

from __future__ import annotations

import contextlib
import copy
import gzip
import io
import json
import os
import re
import tempfile
import traceback
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonout import loaded

import losscli
from losscli.io.inputs import Columns, open_inputs

SHORT = {"readers": 1000, "structured": 800, "cli_files": 800, "cli_stdin": 400, "cli_options": 1000, "tensors": 300}
LONG = {name: count * 25 for name, count in SHORT.items()}  # about 15 minutes


def _settings(count: int):
    return settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )


EXTENSIONS = (
    ".csv",
    ".tsv",
    ".txt",
    ".dat",
    ".npy",
    ".npz",
    ".json",
    ".jsonl",
    ".parquet",
    ".csv.gz",
    ".tsv.gz",
    ".npy.gz",
    ".json.gz",
    ".jsonl.gz",
)
FORMATS = ("csv", "tsv", "txt", "npy", "npz", "json", "jsonl", "parquet")
TOKENS = (
    b"NaN",
    b"nan",
    b"inf",
    b"-Infinity",
    b"1e999",
    b"-",
    b".",
    b"e",
    b"\xff",
    b"\xc3",
    b"\x00",
    b'"',
    b"'",
    b"\n",
    b"\r",
    b"\r\n",
    b",",
    b";",
    b"\t",
    b" ",
    b"#",
    b"[",
    b"]",
    b"{",
    b"}",
    b":",
    b"null",
    b"true",
    b"NA",
    b"9" * 400,
    b"1" * 5000,
    b"[" * 2000,
    b"PK\x03\x04",
    b"\x93NUMPY",
    b"PAR1",
    b"\x1f\x8b",
    b"\xef\xbb\xbf",
    b'{"columns": 5, "index": 5, "data": [[1]]}',
    b'"schema"',
    b'"index"',
    b"0x1p3",
    b"1_000",
)


# --- valid files of every format, to be mutated --------------------------------------------------------


def _npy_bytes(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _npz_bytes(arrays: dict, compressed: bool) -> bytes:
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def _parquet_bytes(columns: dict) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    return buffer.getvalue()


def _text_table(values: np.ndarray, delimiter: str, header: bool, index: bool) -> bytes:
    lines = []
    if header:
        names = [f"c{j}" for j in range(values.shape[1])]
        lines.append(delimiter.join(([""] if index else []) + names))
    for i, row in enumerate(values):
        cells = [repr(float(v)) for v in row]
        lines.append(delimiter.join(([str(i)] if index else []) + cells))
    return ("\n".join(lines) + "\n").encode()


@st.composite
def valid_files(draw):
    """(extension, bytes) of a valid file holding a small table."""
    n = draw(st.integers(1, 6))
    c = draw(st.integers(1, 4))
    finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
    values = np.array(draw(st.lists(st.lists(finite, min_size=c, max_size=c), min_size=n, max_size=n)))
    kind = draw(st.sampled_from(("csv", "tsv", "txt", "npy", "npz", "json", "jsonl", "parquet")))
    if kind in ("csv", "tsv", "txt"):
        delimiter = {"csv": ",", "tsv": "\t", "txt": " "}[kind]
        data = _text_table(values, delimiter, draw(st.booleans()), kind == "csv" and draw(st.booleans()))
    elif kind == "npy":
        dtype = draw(st.sampled_from(("<f8", "<f4", ">f8", "<i4", "|b1")))
        array = values.astype(dtype)
        if draw(st.booleans()):
            array = np.asfortranarray(array)
        data = _npy_bytes(array if draw(st.booleans()) else array[:, 0])
    elif kind == "npz":
        data = _npz_bytes({"p": values, "t": values[::-1].copy()}, draw(st.booleans()))
    elif kind == "json":
        shape = draw(st.sampled_from(("values", "records", "split", "columns", "arrays", "list")))
        names = [f"c{j}" for j in range(c)]
        if shape == "values":
            doc = values.tolist()
        elif shape == "records":
            doc = [dict(zip(names, row, strict=True)) for row in values.tolist()]
        elif shape == "split":
            doc = {"columns": names, "index": list(range(n)), "data": values.tolist()}
        elif shape == "columns":
            doc = {name: {str(i): v for i, v in enumerate(values[:, j].tolist())} for j, name in enumerate(names)}
        elif shape == "arrays":
            doc = {name: values[:, j].tolist() for j, name in enumerate(names)}
        else:
            doc = values[:, 0].tolist()
        data = json.dumps(doc).encode()
    elif kind == "jsonl":
        records = draw(st.booleans())
        lines = [json.dumps({f"c{j}": v for j, v in enumerate(row)} if records else row) for row in values.tolist()]
        data = ("\n".join(lines) + "\n").encode()
    else:
        data = _parquet_bytes({f"c{j}": values[:, j] for j in range(c)})
    extension = {"txt": ".txt"}.get(kind, f".{kind}")
    if kind not in ("npz", "parquet") and draw(st.booleans()):
        data, extension = gzip.compress(data), extension + ".gz"
    return extension, data


@st.composite
def mutated(draw, data: bytes):
    """``data`` after a few cuts, splices, flips and insertions of troublesome tokens."""
    data = bytearray(data)
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(("flip", "insert", "delete", "truncate", "duplicate", "replace")))
        at = draw(st.integers(0, max(0, len(data))))
        if op == "flip" and data:
            data[at % len(data)] ^= draw(st.integers(1, 255))
        elif op == "insert":
            data[at:at] = draw(st.sampled_from(TOKENS))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif op == "truncate":
            del data[at:]
        elif op == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 64))]
        else:
            data[at : at + 4] = draw(st.binary(min_size=1, max_size=8))
    return bytes(data)


# JSON of any shape, with pandas' orient keys more likely than chance would make them
KEYS = st.sampled_from(("columns", "index", "data", "schema", "fields", "primaryKey", "name", "a", "b", "0", "1"))
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**320), 10**320),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=4)),
    max_leaves=20,
)
CELLS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(("", "NA", "nan", "None", "True", "false", '"1"', '"', "1,5", "x", "#", "١٢", " 1 ", "1e", "+")),
    st.text(max_size=6),
)


@st.composite
def structured_files(draw):
    """(extension, bytes) of a text file with a plausible structure and implausible contents."""
    kind = draw(st.sampled_from(("csv", "tsv", "txt", "json", "jsonl")))
    if kind == "json":
        return ".json", json.dumps(draw(JSON_VALUES)).encode()
    if kind == "jsonl":
        return ".jsonl", "\n".join(json.dumps(v) for v in draw(st.lists(JSON_VALUES, max_size=5))).encode()
    width = draw(st.integers(1, 4))
    rows = draw(st.lists(st.lists(CELLS, min_size=1, max_size=width + 1), max_size=6))
    delimiter = {"csv": ",", "tsv": "\t", "txt": " "}[kind]
    newline = draw(st.sampled_from(("\n", "\r\n")))
    return f".{kind}", newline.join(delimiter.join(row) for row in rows).encode("utf-8", "surrogatepass")


ANY_FILE = st.one_of(
    st.tuples(st.sampled_from(EXTENSIONS), st.binary(max_size=300)),
    valid_files(),
    structured_files(),
    valid_files().flatmap(lambda f: st.tuples(st.just(f[0]), mutated(f[1]))),
    valid_files().flatmap(lambda f: st.tuples(st.sampled_from(EXTENSIONS), mutated(f[1]))),
)


# --- the checks ---------------------------------------------------------------------------------------


class ContractBroken(AssertionError):
    """A run that broke the contract; ``key`` says how, without the paths and numbers of this example."""

    def __init__(self, how: str, args, result):
        self.key = f"{how}: {_normalized(_first_line(result.stderr))}"
        where = "losscli " + " ".join(map(str, args))
        super().__init__(
            f"{how}\n  command: {where[:600]}\n  exit: {result.exit_code}\n  stderr: {result.stderr[:1000]!r}"
            f"\n  exception: {result.exception!r}"
        )


def _first_line(text: str) -> str:
    lines = text.splitlines()
    return lines[0].removeprefix("losscli: error: ") if lines else ""


def _normalized(text: str) -> str:
    text = re.sub(r"\S*[/\\]\S*", "<path>", text)
    text = re.sub(r"'[^']{20,}'", "'...'", text)
    return re.sub(r"[0-9]+", "#", text)[:90]


def _check_cli(result, args) -> None:
    """What the contract promises of any run."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise ContractBroken(f"an exception escaped ({type(result.exception).__name__})", args, result)
    if result.exit_code not in (0, 1, 2):
        raise ContractBroken(f"exit {result.exit_code}", args, result)
    if "Traceback" in result.stderr or "internal error" in result.stderr:
        raise ContractBroken("a traceback or an internal error", args, result)
    if result.exit_code == 2:
        lines = result.stderr.splitlines()
        if len(lines) != 1:
            raise ContractBroken(f"exit 2 with {len(lines)} stderr lines", args, result)
        if not lines[0].startswith("losscli: error: "):
            raise ContractBroken("exit 2 without a 'losscli: error:' line", args, result)
        if result.stdout:
            raise ContractBroken("exit 2 with output on stdout", args, result)


def _read_directly(path: str, data: bytes, chunk_bytes) -> None:
    """Every way in to the readers: a file, stdin (sniffed or named), the pass over two inputs."""
    for call in (
        lambda: losscli.read_array(path),
        lambda: losscli.read_array("-", stdin=io.BytesIO(data)),
        lambda: losscli.read_array("-", stdin=io.BytesIO(data), input_format=FORMATS[len(data) % len(FORMATS)]),
        lambda: _pass(path, chunk_bytes),
    ):
        with contextlib.suppress(losscli.LossCliError):
            call()


def _pass(path: str, chunk_bytes) -> None:
    inputs = open_inputs(path, str(SAMPLES / "preds.csv"), stdin=None, chunk_bytes=chunk_bytes)
    try:
        for _ in inputs.blocks():
            pass
    finally:
        inputs.close()
    one = open_inputs(path, None, columns=Columns("0", "0"), stdin=None, chunk_bytes=chunk_bytes)
    try:
        for _ in one.blocks():
            pass
    finally:
        one.close()


def _readers(data_strategy, draw_file):
    extension, data = draw_file
    chunk_bytes = data_strategy.draw(st.sampled_from((None, 1, 7, 64, 4096)))
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "input" + extension)
        Path(path).write_bytes(data)
        _read_directly(path, data, chunk_bytes)


# --- command lines ---------------------------------------------------------------------------------------

LOSS_NAMES = sorted({loss.name for loss in losscli.LOSSES} | {"mean_squared_error", "mse,mae", "bce,focal", "msee"})


def _options(folder: Path) -> dict[str, list]:
    baseline = folder / "baseline.json"
    baseline.write_text(json.dumps({"loss": "mse", "reduce": "all", "value": 0.01}))
    (folder / "bad_baseline.json").write_text('{"loss": "mse", "reduce": "all", "value": null}')
    (folder / "w.csv").write_text("1\n2\n")
    (folder / "one.csv").write_text("2\n")
    numbers = ["0", "0.5", "1", "2", "-1", "nan", "inf", "-inf", "1e400", "x", ""]
    return {
        "--reduce": ["all", "samples", "outputs", "none", "mean"],
        "--format": ["table", "json", "csv", "jsonl", "markdown", "value", "xml"],
        "--level": ["element", "sample", "output", "batch"],
        "--max-rows": ["2", "3", "1", "-5", "99999999999999999999"],
        "--top": ["0", "1", "5", "-1", "99999999999999999999"],
        "--fail-above": numbers,
        "--fail-below": numbers,
        "--tolerance": ["0", "5%", "1e-9", "nan", "inf%", "-1", "x"],
        "--baseline": [str(baseline), str(folder / "bad_baseline.json"), str(folder / "missing.json")],
        "--weights": [str(folder / "w.csv"), str(folder / "one.csv"), str(SAMPLES / "preds.csv")],
        "--weight-divisor": ["sum", "count", "x"],
        "--max-inflate": ["1", "1K", "0", "none", "inf", "1e400", "-3", "x"],
        "--input-format": [*FORMATS, "xml"],
        "--pred-col": ["0", "1", "y_pred", "p*", "0:1", "zz", "", ",", "-1", "0,0"],
        "--target-col": ["0", "1", "y_true", "zz", "0:1"],
        "--id-col": ["0", "id", "zz", "y_pred"],
        "--weight-col": ["0", "1", "id", "y_true"],
        "--classes": ["a,b", ",", "0,1,2"],
        "--delta": numbers,
        "--beta": numbers,
        "--quantile": numbers,
        "--gamma": numbers,
        "--alpha": numbers,
        "--margin": numbers,
        "--p": ["1", "2", "3", "x"],
        "--power": ["0", "0.5", "1", "1.5", "2", "3", "nan"],
        "--eps": numbers,
        "--label-smoothing": numbers,
        "--ignore-index": ["0", "1", "-100", "x"],
        "--var": ["1", "0", "-1", "nan", str(folder / "w.csv"), str(folder / "one.csv")],
        "--pos-weight": ["1", "0", "-1", "nan", str(folder / "one.csv")],
        "--class-weights": [str(folder / "w.csv"), str(folder / "one.csv")],
        "--output": [str(folder / "out.txt"), str(folder), os.devnull],
        "--save-baseline": [str(folder / "saved.json"), os.devnull],
        "--plot": [str(folder / "figure.png"), str(folder / "figure.txt")],
    }


FLAGS = [
    "--header",
    "--no-header",
    "--drop-missing",
    "--by-position",
    "--quiet",
    "--explain",
    "--compare",
    "--grad",
    "--from-logits",
    "--log-input",
    "--no-log-input",
    "--log-target",
    "--full",
    "--fraction",
    "--per-output-root",
]


def _input_pool(folder: Path) -> list[list[str]]:
    (folder / "labels.csv").write_text("0\n1\n")
    (folder / "probs.csv").write_text("0.7,0.3\n0.4,0.6\n")
    (folder / "signs.csv").write_text("1\n-1\n")
    (folder / "logp.csv").write_text("-0.3,-1.2\n-0.9,-0.5\n")
    samples = {name: str(SAMPLES / name) for name in os.listdir(SAMPLES)}
    return [
        [samples["preds.csv"], samples["targets.csv"]],
        [samples["preds.npy"], samples["targets.npy"]],
        [samples["preds.json"], samples["targets.json"]],
        [samples["binary_preds.csv"], samples["binary_targets.csv"]],
        [samples["results.csv"]],
        [str(folder / "probs.csv"), str(folder / "labels.csv")],
        [str(folder / "logp.csv"), str(folder / "labels.csv")],
        [str(folder / "probs.csv"), str(folder / "probs.csv")],
        [samples["binary_preds.csv"], str(folder / "signs.csv")],
    ]


def _cli_options(data, run):
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        options = _options(folder)
        inputs = data.draw(st.sampled_from(_input_pool(folder)))
        args = [data.draw(st.sampled_from(LOSS_NAMES)), *inputs]
        for _ in range(data.draw(st.integers(0, 6))):
            if data.draw(st.booleans()):
                args.append(data.draw(st.sampled_from(FLAGS)))
            else:
                flag = data.draw(st.sampled_from(sorted(options)))
                args += [flag, data.draw(st.sampled_from(options[flag]))]
        _check_cli(run(*args), args)


TENSOR_LOSSES = (
    "mse",
    "mae",
    "huber",
    "bce",
    "sparse_cce",
    "cce",
    "nll",
    "kld",
    "cosine_similarity",
    "perplexity",
    "dice",
    "categorical_focal_cross_entropy",
    "mse,mae",
)
TENSOR_VALUES = (0.0, 1.0, -1.0, 0.5, 2.0, 1e308, -1e308, 5e-324, float("nan"), float("inf"), -100.0, 3.0)


def _cli_tensors(data, run):
    """N-D inputs (rank 1 to 4) with masks, labels, lengths and weights of right and wrong shapes, and the
    N-D flags with good and bad values: the N-D pass keeps the same contract."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    shape = tuple(data.draw(st.lists(st.integers(0, 4), min_size=1, max_size=4)))
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)

        def saved(key, array):
            path = folder / f"{key}.npy"
            np.save(path, array)
            return str(path)

        def values(shape_):
            base = rng.uniform(0.0, 1.0, shape_)
            if data.draw(st.booleans()):  # some hostile numbers in place
                flat = base.reshape(-1)
                for _ in range(min(flat.size, data.draw(st.integers(0, 3)))):
                    flat[rng.integers(flat.size)] = data.draw(st.sampled_from(TENSOR_VALUES))
            return base

        cells = shape[:-1] if len(shape) > 1 else shape
        wrong = tuple(d + 1 for d in cells)
        preds = saved("p", values(shape))
        labels = saved("y", rng.integers(-1, max(2, shape[-1] + 1), cells if data.draw(st.booleans()) else wrong))
        targets = saved("t", values(shape if data.draw(st.booleans()) else wrong))
        loss = data.draw(st.sampled_from(TENSOR_LOSSES))
        second = labels if loss in ("sparse_cce", "nll", "perplexity") and data.draw(st.booleans()) else targets
        args = [loss, preds, second]
        flags = {
            "--axis": ["1", "-1", "0", "2,3", "1,2", "none", "9", "x"],
            "--mask": [saved("m", rng.integers(0, 2, cells)), saved("m2", rng.integers(0, 3, wrong))],
            "--lengths": [saved("n", rng.integers(-1, 5, shape[:1])), saved("n2", np.zeros(2))],
            "--weights": [saved("w", values(cells)), saved("w1", values(shape[:1]))],
            "--ignore-index": ["-1", "-100", "0"],
            "--reduce": ["all", "none", "samples", "positions", "samples,positions", "outputs,positions", "x,y"],
            "--empty": ["nan", "zero", "error"],
            "--like": ["torch", "keras", "optax", "torchmetrics"],
            "-f": ["json", "csv", "value", "table"],
            "--level": ["batch", "sample", "output", "position", "element"],
            "--top": ["0", "3"],
            "--jobs": ["1", "2"],
        }
        for _ in range(data.draw(st.integers(0, 5))):
            if data.draw(st.integers(0, 4)) == 0:
                args.append(data.draw(st.sampled_from(("--grad", "--from-logits", "--log-input", "--explain"))))
            else:
                flag = data.draw(st.sampled_from(sorted(flags)))
                args += [flag, data.draw(st.sampled_from(flags[flag]))]
        _check_cli(run(*args), args)


def _cli_files(data, run, draw_file):
    extension, content = draw_file
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        preds = folder / f"preds{extension}"
        preds.write_bytes(content)
        second = data.draw(st.sampled_from(("same", "samples", "labels", "one-file", "other")))
        loss = data.draw(st.sampled_from(("mse", "mae", "bce", "sparse_cce", "mse,huber", "kld", "hinge", "dice")))
        if second == "same":
            args = [loss, preds, preds]
        elif second == "samples":
            args = [loss, preds, SAMPLES / "targets.csv"]
        elif second == "labels":
            (folder / "labels.csv").write_text("0\n1\n")
            args = ["sparse_cce", preds, folder / "labels.csv"]
        elif second == "one-file":
            args = [loss, preds, "--pred-col", "0", "--target-col", data.draw(st.sampled_from(("0", "1", "c1")))]
        else:
            other_extension, other = data.draw(ANY_FILE)
            targets = folder / f"targets{other_extension}"
            targets.write_bytes(other)
            args = [loss, targets, preds]
        extra = data.draw(
            st.sampled_from(
                ([], ["-f", "json", "--level", "element"], ["--drop-missing"], ["--header"], ["--grad", "-r", "none"])
            )
        )
        args = [*args, *extra]
        _check_cli(run(*args), args)
        assert preds.read_bytes() == content  # an input never changes


def _cli_stdin(data, run, draw_file):
    _, content = draw_file
    fmt = data.draw(st.sampled_from((None, *FORMATS)))
    args = ["mse", "-", SAMPLES / "targets.csv", *(["--input-format", fmt] if fmt else [])]
    if data.draw(st.booleans()):
        args = ["mse", SAMPLES / "preds.csv", "-", *args[3:]]
    _check_cli(run(*args, input=content), args)


# --- the runs: every distinct failure is collected, then reported together -------------------------------


class Findings:
    """Distinct failures of one fuzz run, keyed by what failed (the error, where in losscli), with the first
    input that showed each: a run reports every bug it met, not only the first."""

    def __init__(self):
        self.seen: dict[str, str] = {}

    def run(self, body, *args) -> None:
        try:
            body(*args)
        except Exception as exc:  # a ContractBroken of _check_cli, or anything a reader let through
            example = f"{type(exc).__name__}: {str(exc)[:1500]}"
            if not isinstance(exc, ContractBroken):
                example += f"\n  input: {args[1:]!r}"[:1500]
            self.seen.setdefault(_signature(exc), example)

    def check(self) -> None:
        report = "\n\n".join(f"[{key}]\n{example}" for key, example in sorted(self.seen.items()))
        assert not self.seen, f"{len(self.seen)} distinct failures:\n\n{report}"


def _signature(exc: BaseException) -> str:
    if isinstance(exc, ContractBroken):
        return exc.key
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f"{os.sep}losscli{os.sep}" in f.filename]
    where = f" at {os.path.basename(frames[-1].filename)}:{frames[-1].name}" if frames else ""
    return f"{type(exc).__name__}{where}: {_normalized(str(exc))[:60]}"


def _fuzz(count: int, body, *strategies, run=None) -> None:
    findings = Findings()

    @_settings(count)
    @given(st.data(), st.tuples(*strategies))
    def explore(data, drawn):
        findings.run(body, data, *drawn, *([run] if run is not None else []))

    explore()
    findings.check()


def _readers_body(data, file):
    _readers(data, file)


def _cli_files_body(data, file, run):
    _cli_files(data, run, file)


def _cli_stdin_body(data, file, run):
    _cli_stdin(data, run, file)


def _cli_options_body(data, run):
    _cli_options(data, run)


def _cli_tensors_body(data, run):
    _cli_tensors(data, run)


# the bounded run (every CI run)


def test_readers_raise_only_losscli_errors():
    _fuzz(SHORT["readers"], _readers_body, ANY_FILE)


def test_readers_on_structured_text():
    _fuzz(SHORT["structured"], _readers_body, structured_files())


def test_cli_on_hostile_files(run):
    _fuzz(SHORT["cli_files"], _cli_files_body, ANY_FILE, run=run)


def test_cli_on_hostile_stdin(run):
    _fuzz(SHORT["cli_stdin"], _cli_stdin_body, ANY_FILE, run=run)


def test_cli_on_random_options(run):
    _fuzz(SHORT["cli_options"], _cli_options_body, run=run)


def test_cli_on_random_tensors(run):
    _fuzz(SHORT["tensors"], _cli_tensors_body, run=run)


# the long run before a release: python -m pytest -m fuzz


@pytest.mark.fuzz
def test_long_readers_raise_only_losscli_errors():
    _fuzz(LONG["readers"], _readers_body, ANY_FILE)


@pytest.mark.fuzz
def test_long_readers_on_structured_text():
    _fuzz(LONG["structured"], _readers_body, structured_files())


@pytest.mark.fuzz
def test_long_cli_on_hostile_files(run):
    _fuzz(LONG["cli_files"], _cli_files_body, ANY_FILE, run=run)


@pytest.mark.fuzz
def test_long_cli_on_hostile_stdin(run):
    _fuzz(LONG["cli_stdin"], _cli_stdin_body, ANY_FILE, run=run)


@pytest.mark.fuzz
def test_long_cli_on_random_tensors(run):
    _fuzz(LONG["tensors"], _cli_tensors_body, run=run)


@pytest.mark.fuzz
def test_long_cli_on_random_options(run):
    _fuzz(LONG["cli_options"], _cli_options_body, run=run)


def test_the_fuzz_checks_catch_an_internal_error(run, monkeypatch):
    """The checks above would see a crash: an error no check foresaw is exit 70, which they refuse."""
    from losscli.io import source

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(source, "open_file", broken)
    args = ["mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv"]
    with pytest.raises(AssertionError):
        _check_cli(run(*args), args)


# --- state files, settings files and shard sets (hostile pass II) ------------------------------------------

SHORT.update(states=300, settings=200, shards=120)
LONG.update({name: SHORT[name] * 25 for name in ("states", "settings", "shards")})
HOSTILE_JSON = (
    -5,
    0,
    1,
    2**40,
    2**53 + 1,
    2**64,
    10**18,
    -1.5,
    1e308,
    float("nan"),
    "1e2000000000",
    "1/3",
    "-" + "9" * 1200 + "/1",
    "0x1p+1023",
    "0x1p99999999",
    "-0x0p+0",
    "inf",
    "",
    "3000000000",
    "9" * 5000,
    [],
    {},
    None,
    True,
    [1, 2],
    [[0, 0]],
    {"3000000000": 1},
)
_STATES: list[str] = []


def _valid_states() -> list[str]:
    """Real states, once: several losses and formats, rows kept and not (their JSON text)."""
    if not _STATES:
        from typer.testing import CliRunner

        from losscli.cli.app import app

        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            for k, args in enumerate(
                (
                    ["mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv"],
                    ["mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "-f", "value"],
                    ["sparse_cce", SAMPLES / "forest_proba.csv", SAMPLES / "forest_labels.csv", "--grad"],
                    ["hinge", SAMPLES / "binary_preds.csv", SAMPLES / "binary_targets.csv", "--like", "sklearn"],
                    ["cosine_similarity", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "--max-rows", "2"],
                    ["mse,mae", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "-f", "value"],
                    ["sparse_cce", SAMPLES / "forest_proba.csv", SAMPLES / "forest_labels.csv", "--like", "sklearn"],
                )
            ):
                path = folder / f"s{k}.json"
                result = CliRunner().invoke(app, [*map(str, args), "--save-state", str(path), "-q"])
                assert result.exit_code == 0, result.stderr
                _STATES.append(path.read_text())
    return _STATES


def _nodes(doc, path=()):
    """Every (path, value) in a JSON document."""
    yield path, doc
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _nodes(value, (*path, key))
    elif isinstance(doc, list):
        for k, value in enumerate(doc):
            yield from _nodes(value, (*path, k))


def _at(doc, path):
    for key in path:
        doc = doc[key]
    return doc


@st.composite
def hostile_states(draw):
    """A real state with a few of its fields replaced, deleted or grown, or its bytes cut and flipped."""
    doc = loaded(draw(st.sampled_from(_valid_states())))
    for _ in range(draw(st.integers(1, 3))):
        nodes = [path for path, _ in _nodes(doc) if path]
        path = draw(st.sampled_from(nodes))
        parent, key = _at(doc, path[:-1]), path[-1]
        op = draw(st.sampled_from(("replace", "replace", "delete", "grow")))
        # copies: the hostile values are shared, and a later step may change what it put in
        if op == "replace":
            parent[key] = copy.deepcopy(draw(st.sampled_from(HOSTILE_JSON)))
        elif op == "delete":
            del parent[key]
        elif isinstance(parent[key], list) and parent[key]:
            parent[key].append(copy.deepcopy(parent[key][0]))
        elif isinstance(parent[key], dict):
            grown = draw(st.sampled_from(("3000000000", "-1", "x", "0")))
            parent[key][grown] = copy.deepcopy(draw(st.sampled_from(HOSTILE_JSON)))
    data = json.dumps(doc).encode()
    return draw(mutated(data)) if draw(st.integers(0, 4)) == 0 else data


def _cli_states(data, run, state):
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "bad.json").write_bytes(state)
        good = folder / "good.json"
        good.write_text(data.draw(st.sampled_from(_valid_states())))
        files = data.draw(st.sampled_from((["bad.json"], ["bad.json", "good.json"], ["good.json", "bad.json"])))
        fmt = data.draw(st.sampled_from(("table", "value", "json", "csv", "markdown")))
        args = ["merge", *(folder / f for f in files), "-f", fmt]
        _check_cli(run(*args), args)


SETTING_KEYS = ("fail-above", "fail_above", "fail-below", "baseline", "tolerance", "fail", "FAIL-ABOVE", '"fail-above"')
SETTING_VALUES = (
    "0.01",
    "1e300",
    "-1",
    "inf",
    "nan",
    "true",
    "'5%'",
    "'x'",
    '"/dev/zero"',
    '"missing.json"',
    '"baseline.json"',
    '"."',
    "[1, 2]",
    "{a = 1}",
    "1979-05-27",
    "'''\nx'''",
    "0x10",
    "",
)
SETTING_HEADERS = ("", "[tool.losscli]\n", "[tool]\n", "[tool.losscli.sub]\n", "[[tool.losscli]]\n", "[project]\n")


@st.composite
def settings_texts(draw) -> bytes:
    lines = []
    for _ in range(draw(st.integers(0, 5))):
        if draw(st.integers(0, 3)) == 0:
            lines.append(draw(st.sampled_from(SETTING_HEADERS)) + "# a comment")
        else:
            lines.append(f"{draw(st.sampled_from(SETTING_KEYS))} = {draw(st.sampled_from(SETTING_VALUES))}")
    data = "\n".join(lines).encode()
    return draw(mutated(data)) if draw(st.integers(0, 4)) == 0 else data


def _cli_settings(data, run, local, project):
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "baseline.json").write_text(json.dumps({"loss": "mse", "reduce": "all", "value": 0.01}))
        kind = data.draw(st.sampled_from(("file", "file", "file", "none", "folder", "dev-zero")))
        if kind == "file":
            (folder / "losscli.toml").write_bytes(local)
        elif kind == "folder":
            (folder / "losscli.toml").mkdir()
        elif kind == "dev-zero" and os.path.exists("/dev/zero"):
            (folder / "losscli.toml").symlink_to("/dev/zero")
        if data.draw(st.booleans()):
            (folder / "pyproject.toml").write_bytes(b"[tool.losscli]\n" + project)
        args = ["mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "-f", "value"]
        if data.draw(st.integers(0, 3)) == 0:
            args = ["mse", SAMPLES / "forecasts.csv", "--pred-col", "new", "--target-col", "y_true"]
            args += ["--against-col", "base", "--resamples", "50"]
        with contextlib.chdir(folder):
            _check_cli(run(*args), args)


SHARD_NAMES = ("part-0", "part-1", "part-2", "part-01", "part-10", "part-11", "a", "b", "c")
SHARD_EXTENSIONS = (".csv", ".npy", ".csv.gz", ".json")


def _write_shard(path: Path, values: np.ndarray, header: list[str] | None) -> None:
    extension = "".join(path.suffixes[-2:]) if path.name.endswith(".gz") else path.suffix
    if extension == ".npy":
        np.save(path, values)
        return
    if extension == ".json":
        path.write_text(json.dumps(values.tolist()))
        return
    lines = ([",".join(header)] if header else []) + [",".join(repr(float(v)) for v in row) for row in values]
    text = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(text) if extension.endswith(".gz") else text)


def _cli_shards(data, run):
    """Shard sets whose predictions equal their targets NAME BY NAME: a run that succeeds must give 0."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "p").mkdir()
        (folder / "t").mkdir()
        extension = data.draw(st.sampled_from(SHARD_EXTENSIONS))
        names = data.draw(st.lists(st.sampled_from(SHARD_NAMES), min_size=1, max_size=4, unique=True))
        # a shard's two files list the columns in the same order (two files' columns pair by position),
        # which may be another order than other shards' (shards' columns pair by name)
        swaps = {shard: extension == ".csv" and data.draw(st.booleans()) for shard in names}
        for role in ("p", "t"):
            kept = names if data.draw(st.integers(0, 3)) else data.draw(st.lists(st.sampled_from(names), unique=True))
            for shard in kept:
                seed = SHARD_NAMES.index(shard)
                values = np.random.default_rng(seed).random((1 + seed % 3, 2)) + seed
                swapped = swaps[shard]
                header = (["b", "a"] if swapped else ["a", "b"]) if extension == ".csv" else None
                _write_shard(folder / role / f"{shard}{extension}", values[:, ::-1] if swapped else values, header)
        twist = data.draw(st.sampled_from(("none", "none", "gz", "link", "copy", "pad")))
        shards = sorted((folder / "p").iterdir())
        if twist == "pad":  # the targets' names zero-padded (part-1 -> part-01): the same shards, named otherwise
            for path in sorted((folder / "t").iterdir()):
                match = re.fullmatch(r"part-(\d+)(\..*)", path.name)
                if match:
                    path.rename(path.with_name(f"part-{int(match[1]):02d}{match[2]}.tmp"))
            for path in (folder / "t").glob("*.tmp"):
                path.rename(path.with_name(path.name.removesuffix(".tmp")))
        elif twist == "gz" and shards and extension == ".csv":
            (folder / "p" / (shards[0].name + ".gz")).write_bytes(gzip.compress(shards[0].read_bytes()))
        elif twist == "link" and len(shards) > 1:
            shards[0].unlink()
            shards[0].symlink_to(shards[1].name)
        elif twist == "copy" and shards:
            for role in ("p", "t"):
                source = folder / role / shards[0].name
                if source.exists():
                    (folder / role / f"z{extension}").write_bytes(source.read_bytes())
        spec = data.draw(st.sampled_from(("dir", "glob", "glob-all")))
        pattern = {"dir": "{}", "glob": "{}/*" + extension, "glob-all": "{}/*"}[spec]
        args = ["mse", pattern.format(folder / "p"), pattern.format(folder / "t"), "-f", "value"]
        result = run(*args)
        _check_cli(result, args)
        if result.exit_code == 0 and float(result.stdout) != 0.0:
            raise ContractBroken(f"shards mispaired: mse {result.stdout.strip()}, not 0", args, result)


def _cli_states_body(data, state, run):
    _cli_states(data, run, state)


def _cli_settings_body(data, local, project, run):
    _cli_settings(data, run, local, project)


def _cli_shards_body(data, run):
    _cli_shards(data, run)


def test_cli_on_hostile_states(run):
    _fuzz(SHORT["states"], _cli_states_body, hostile_states(), run=run)


def test_cli_on_hostile_settings(run):
    _fuzz(SHORT["settings"], _cli_settings_body, settings_texts(), settings_texts(), run=run)


def test_cli_on_hostile_shard_sets(run):
    _fuzz(SHORT["shards"], _cli_shards_body, run=run)


@pytest.mark.fuzz
def test_long_cli_on_hostile_states(run):
    _fuzz(LONG["states"], _cli_states_body, hostile_states(), run=run)


@pytest.mark.fuzz
def test_long_cli_on_hostile_settings(run):
    _fuzz(LONG["settings"], _cli_settings_body, settings_texts(), settings_texts(), run=run)


@pytest.mark.fuzz
def test_long_cli_on_hostile_shard_sets(run):
    _fuzz(LONG["shards"], _cli_shards_body, run=run)
