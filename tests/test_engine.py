"""Issue 12: one pass in blocks, every core, shards, merge and Dask.

The engine's promises, on small inputs read in small blocks (every input spans many
blocks and many parse chunks): the result equals the in-memory result of the same arrays
(rtol 1e-12) and scikit-learn's value; it is the same to the last bit whatever --jobs is;
shards give what one file gives; merged states give what one run gives; Dask gives what a
local run gives. Speed and memory are measured in benchmarks/, not here.
"""

import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm
from jsonout import loaded

from losscli.api import ArrayInputs
from losscli.core.registry import get_loss
from losscli.core.terms import prepare
from losscli.engine.run import PassSettings, run

RNG = np.random.default_rng(12)
N, C = 1000, 3


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 64 rows (of 3 values), text parsed 2 KiB at a time, .npy read 1 KiB at a time."""
    from losscli.io import inputs, jsondata, npy, text

    monkeypatch.setattr(inputs, "BLOCK_ELEMENTS", 64 * 3)
    monkeypatch.setattr(text, "CHUNK_BYTES", 2048)
    monkeypatch.setattr(npy, "CHUNK_BYTES", 1024)
    monkeypatch.setattr(jsondata, "CHUNK_BYTES", 2048)


@pytest.fixture(scope="module")
def arrays():
    pred = RNG.normal(size=(N, C))
    target = pred + RNG.normal(scale=0.5, size=(N, C))
    return pred, target


def _write(tmp_path, name: str, values: np.ndarray, fmt: str):
    path = tmp_path / f"{name}.{fmt}"
    frame = pd.DataFrame(values, columns=[f"y{j}" for j in range(values.shape[1])])
    if fmt == "csv":
        frame.to_csv(path)  # pandas' default: an index column and a header
    elif fmt == "npy":
        np.save(path, values)
    elif fmt == "jsonl":
        frame.to_json(path, orient="records", lines=True)
    elif fmt == "parquet":
        frame.to_parquet(path)
    return path


def _json(result) -> dict:
    assert result.exit_code == 0, result.stderr
    return loaded(result.stdout)


FORMATS = ["csv", "npy", "jsonl", "parquet"]


def _as_written(path, fmt: str) -> np.ndarray:
    """The values a file holds, read back by its writer's library: pandas' to_json keeps 10
    significant digits by default, so the file, not the array, is the truth."""
    if fmt == "csv":
        return pd.read_csv(path, index_col=0).to_numpy()
    if fmt == "npy":
        return np.load(path)
    if fmt == "jsonl":
        return pd.read_json(path, lines=True, precise_float=True).to_numpy()
    return pd.read_parquet(path).to_numpy()


@pytest.mark.parametrize("fmt", FORMATS)
def test_blocks_equal_the_in_memory_result_and_sklearn(run, tmp_path, arrays, small_blocks, fmt):
    p, t = _write(tmp_path, "p", arrays[0], fmt), _write(tmp_path, "t", arrays[1], fmt)
    pred, target = _as_written(p, fmt), _as_written(t, fmt)
    data = _json(run("mse", p, t, "--format", "json", "--level", "element", "--jobs", "1"))
    # Expected: scikit-learn on the arrays written, and the engine over them in one block.
    assert data["value"] == pytest.approx(skm.mean_squared_error(target, pred), rel=1e-12)
    task = prepare(get_loss("mse"), reduce=None)
    whole = run_in_memory(pred, target, task)
    assert data["value"] == pytest.approx(whole.value, rel=1e-12)
    np.testing.assert_allclose(data["per_sample"], whole.per_sample, rtol=1e-12)
    np.testing.assert_allclose(data["per_output"], skm.mean_squared_error(target, pred, multioutput="raw_values"))
    assert data["inputs"][0]["rows"] == N


def run_in_memory(pred, target, task, weights=None):
    source = ArrayInputs(pred, target, weights, rows_per_block=len(pred))  # one block: the in-memory result
    return run(source, [task], PassSettings(keep_all=True))[0]


LOSS_CASES = [
    ("mse", []),
    ("huber", ["--delta", "0.5"]),
    ("wmape", []),
    ("rmse", ["--per-output-root"]),
    ("log_cosh", ["--reduce", "samples"]),
]


@pytest.mark.parametrize("fmt", ["csv", "npy"])
@pytest.mark.parametrize("loss,options", LOSS_CASES)
def test_the_same_bits_whatever_jobs(run, tmp_path, arrays, small_blocks, fmt, loss, options):
    pred, target = arrays
    p, t = _write(tmp_path, "p", pred, fmt), _write(tmp_path, "t", target, fmt)
    outputs = {
        jobs: run(loss, p, t, *options, "--format", "json", "--level", "element", "--jobs", jobs) for jobs in (1, 2, 3)
    }
    for jobs, result in outputs.items():
        assert result.exit_code == 0, result.stderr
        assert result.stdout == outputs[1].stdout, f"--jobs {jobs} differs from --jobs 1"


def test_the_same_bits_whatever_the_format(run, tmp_path, arrays, small_blocks):
    """Blocks are fixed by the width, not by how a reader chunks its file: the same numbers
    in CSV (pandas writes them exactly), NPY and Parquet give the same bits."""
    pred, target = arrays
    values = set()
    for fmt in ("csv", "npy", "parquet"):
        p, t = _write(tmp_path, f"p_{fmt}", pred, fmt), _write(tmp_path, f"t_{fmt}", target, fmt)
        out = run("huber", p, t, "--format", "value", "--jobs", "2")
        assert out.exit_code == 0, out.stderr
        values.add(out.stdout)
    assert len(values) == 1, values


def test_weighted_blocks_equal_sklearn(run, tmp_path, arrays, small_blocks):
    pred, target = arrays
    weights = RNG.uniform(0.1, 3.0, size=(N, 1))
    p, t = _write(tmp_path, "p", pred, "csv"), _write(tmp_path, "t", target, "csv")
    w = _write(tmp_path, "w", weights, "npy")
    data = _json(run("mae", p, t, "--weights", w, "--format", "json", "--level", "element", "--jobs", "2"))
    expected = skm.mean_absolute_error(target, pred, sample_weight=weights[:, 0])
    assert data["value"] == pytest.approx(expected, rel=1e-12)


def test_class_labels_across_blocks_equal_sklearn_log_loss(run, tmp_path, small_blocks):
    proba = RNG.dirichlet(np.ones(3), size=N)
    labels = np.array(["cat", "dog", "emu"])[RNG.integers(0, 3, size=N)]
    pd.DataFrame(proba, columns=["cat", "dog", "emu"]).to_csv(tmp_path / "proba.csv", index=False)
    pd.Series(labels, name="y").to_csv(tmp_path / "y.csv", index=False)
    for jobs in ("1", "2"):
        data = _json(
            run(
                "sparse_cce",
                tmp_path / "proba.csv",
                tmp_path / "y.csv",
                "--format",
                "json",
                "--level",
                "element",
                "--jobs",
                jobs,
            )
        )
        expected = skm.log_loss(labels, proba, labels=["cat", "dog", "emu"])
        assert data["value"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_listed_outputs_stream_the_in_memory_text(run, tmp_path, arrays, small_blocks, fmt):
    """--format csv / jsonl are written block by block; the text is what the whole result gives."""
    from losscli.report.outputs import to_csv, to_jsonl

    pred, target = arrays
    p, t = _write(tmp_path, "p", pred, "csv"), _write(tmp_path, "t", target, "csv")
    streamed = run("mse,mae", p, t, "--format", fmt, "--jobs", "2")
    assert streamed.exit_code == 0, streamed.stderr
    from losscli.api import compute

    ids = [str(k) for k in range(N)]  # pandas' index: the samples' ids
    results = [r.__class__(**{**r.__dict__, "ids": ids}) for r in compute("mse,mae", pred, target)]
    expected = to_csv(results, "sample") if fmt == "csv" else to_jsonl(results)
    assert streamed.stdout == expected
    assert streamed.stdout.count("\n") == N + (fmt == "csv")


def test_element_csv_streams_every_element(run, tmp_path, arrays, small_blocks):
    pred, target = arrays
    p, t = _write(tmp_path, "p", pred, "npy"), _write(tmp_path, "t", target, "npy")
    out = run("mse", p, t, "--format", "csv", "--level", "element")
    assert out.exit_code == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "sample,output,loss"
    assert len(lines) == 1 + N * C
    sample, output, value = lines[1 + 5 * C + 2].split(",")  # sample 5, output 2
    assert (sample, output) == ("5", "2")
    assert float(value) == (pred[5, 2] - target[5, 2]) ** 2


def test_element_csv_of_a_per_sample_loss_is_refused_before_reading(run, tmp_path):
    absent = tmp_path / "absent.csv"  # refused before any file is opened
    out = run("cosine_distance", absent, absent, "--format", "csv", "--level", "element")
    assert out.exit_code == 2
    assert "exists only per sample" in out.stderr


# --- shards -------------------------------------------------------------------------------


def _shards(tmp_path, pred, target, fmt, sizes=(300, 1, 450, 249)):
    (tmp_path / "preds").mkdir()
    (tmp_path / "targets").mkdir()
    start = 0
    for k, size in enumerate(sizes):
        _write(tmp_path / "preds", f"part-{k:03d}", pred[start : start + size], fmt)
        _write(tmp_path / "targets", f"part-{k:03d}", target[start : start + size], fmt)
        start += size
    return tmp_path / "preds", tmp_path / "targets"


@pytest.mark.parametrize("fmt", FORMATS)
def test_shards_give_what_one_file_gives(run, tmp_path, arrays, small_blocks, fmt):
    pred, target = arrays
    preds, targets = _shards(tmp_path, pred, target, fmt)
    p, t = _write(tmp_path, "p", pred, fmt), _write(tmp_path, "t", target, fmt)
    one = _json(
        run("mse", p, t, "--format", "json", "--level", "element")
    )  # the same values in one file of the same format
    for args in ((preds, targets), (f"{preds}/part-*.{fmt}", f"{targets}/part-*.{fmt}")):
        sharded = _json(run("mse", *args, "--format", "json", "--level", "element", "--jobs", "2"))
        assert sharded["value"] == pytest.approx(one["value"], rel=1e-12)
        np.testing.assert_allclose(sharded["per_sample"], one["per_sample"], rtol=1e-12)
        info = sharded["inputs"][0]
        assert (info["rows"], info["details"]["shards"]) == (N, 4)
        assert info["details"]["first_shard"].endswith(f"part-000.{fmt}")


def test_shards_per_sample_variances_follow_the_global_row(run, tmp_path, arrays, small_blocks):
    """--var with one row per sample: shard k's rows are rows of the whole dataset."""
    pred, target = arrays
    var = RNG.uniform(0.5, 2.0, size=(N, C))
    preds, targets = _shards(tmp_path, pred, target, "npy")
    v = _write(tmp_path, "var", var, "npy")
    sharded = _json(run("gaussian_nll", preds, targets, "--var", v, "--format", "json", "--level", "element"))
    expected = np.mean(0.5 * (np.log(var) + (pred - target) ** 2 / var))  # PyTorch GaussianNLLLoss's formula
    assert sharded["value"] == pytest.approx(expected, rel=1e-12)


def test_shards_that_do_not_pair_are_refused(run, tmp_path, arrays):
    pred, target = arrays
    preds, targets = _shards(tmp_path, pred, target, "npy")
    (targets / "part-003.npy").unlink()
    out = run("mse", preds, targets)
    assert out.exit_code == 2
    assert "the shards do not pair" in out.stderr and f"{preds} 4, {targets} 3 files" in out.stderr


def test_a_shard_pair_of_other_lengths_is_named(run, tmp_path, arrays):
    pred, target = arrays
    preds, targets = _shards(tmp_path, pred, target, "npy")
    np.save(targets / "part-002.npy", target[:10])
    out = run("mse", preds, targets)
    assert out.exit_code == 2
    assert out.stderr.count("\n") == 1
    assert "preds/part-002.npy has 450 rows but" in out.stderr and "targets/part-002.npy has 10;" in out.stderr


def test_a_shard_of_other_columns_is_named(run, tmp_path, arrays):
    pred, target = arrays
    preds, targets = _shards(tmp_path, pred, target, "npy")
    np.save(preds / "part-002.npy", pred[:450, :2])
    np.save(targets / "part-002.npy", target[:450, :2])
    out = run("mse", preds, targets)
    assert out.exit_code == 2
    assert "part-002.npy: has 2 columns where the first had 3" in out.stderr


def test_a_directory_of_mixed_formats_is_refused(run, tmp_path, arrays):
    pred, target = arrays
    preds, targets = _shards(tmp_path, pred, target, "npy")
    (preds / "notes.csv").write_text("1,2,3\n")
    out = run("mse", preds, targets)
    assert out.exit_code == 2
    assert "holds files of several formats (4 npy, 1 csv)" in out.stderr


def test_a_pattern_with_no_file_is_refused(run, tmp_path):
    out = run("mse", f"{tmp_path}/none-*.npy", f"{tmp_path}/none-*.npy")
    assert out.exit_code == 2
    assert "no file matches" in out.stderr


# --- --save-state and merge -----------------------------------------------------------------


def _states(run, tmp_path, preds, targets, *options):
    paths = []
    for k, (p, t) in enumerate(zip(sorted(preds.iterdir()), sorted(targets.iterdir()), strict=True)):
        path = tmp_path / f"state-{k}.json"
        out = run("mse", p, t, *options, "--save-state", path, "--quiet")
        assert out.exit_code == 0, out.stderr
        paths.append(path)
    return paths


def test_merged_states_give_one_run(run, tmp_path, arrays, small_blocks):
    pred, target = arrays
    preds, targets = _shards(tmp_path, pred, target, "csv")
    states = _states(run, tmp_path, preds, targets, "--reduce", "samples")
    one = _json(run("mse", preds, targets, "--reduce", "samples", "--format", "json", "--level", "element"))
    merged = _json(run("merge", *states, "--format", "json", "--level", "element"))
    assert merged["value"] == one["value"]  # the same sums, merged in the same order: the same bits
    # --reduce samples: the sum over outputs, the mean over samples
    assert merged["value"] == pytest.approx(np.mean(np.sum((pred - target) ** 2, axis=1)), rel=1e-12)
    assert (merged["n"], merged["total"]) == (one["n"], one["total"])
    assert merged["per_output"] == one["per_output"]
    document = loaded(states[0].read_text())
    assert (document["format"], document["version"], document["losses"][0]["loss"]) == ("losscli-state", 1, "mse")
    assert len(document["inputs"]) == 2 and len(document["inputs"][0]["sha256"]) == 64


def test_merge_refuses_states_of_other_settings(run, tmp_path, arrays):
    pred, target = arrays
    preds, targets = _shards(tmp_path, pred, target, "npy")
    a = _states(run, tmp_path, preds, targets)[0]
    b = tmp_path / "other.json"
    p1, t1 = sorted(preds.iterdir())[1], sorted(targets.iterdir())[1]
    assert run("mse", p1, t1, "--reduce", "samples", "--save-state", b, "--quiet").exit_code == 0
    out = run("merge", a, b)
    assert out.exit_code == 2
    assert "holds other losses, options or widths" in out.stderr


def test_merge_refuses_an_input_counted_twice(run, tmp_path, arrays):
    pred, target = arrays
    preds, targets = _shards(tmp_path, pred, target, "npy")
    a = _states(run, tmp_path, preds, targets)[0]
    copy = tmp_path / "copy.json"
    copy.write_bytes(a.read_bytes())
    out = run("merge", a, copy)
    assert out.exit_code == 2
    assert "counts the input" in out.stderr and "--allow-duplicates" in out.stderr
    allowed = run("merge", a, copy, "--allow-duplicates", "--format", "json", "--level", "element")
    assert allowed.exit_code == 0
    single = _json(run("merge", a, "--format", "json", "--level", "element"))
    assert loaded(allowed.stdout)["n"] == 2 * single["n"]


@pytest.mark.parametrize(
    "content,message",
    [
        ("not json", "is not a losscli state file"),
        ('{"format": "losscli-state", "version": 99, "losses": []}', "version 99"),
        ('{"format": "other"}', "is not a losscli state file"),
    ],
)
def test_merge_refuses_what_is_not_a_state(run, tmp_path, content, message):
    path = tmp_path / "state.json"
    path.write_text(content)
    out = run("merge", path)
    assert out.exit_code == 2
    assert message in out.stderr and out.stdout == ""


def test_save_state_over_an_input_is_refused(run, tmp_path, arrays):
    pred, target = arrays
    p, t = _write(tmp_path, "p", pred, "npy"), _write(tmp_path, "t", target, "npy")
    before = p.read_bytes()
    out = run("mse", p, t, "--save-state", p)
    assert out.exit_code == 2
    assert p.read_bytes() == before


# --- --dask -----------------------------------------------------------------------------------


def test_dask_gives_the_local_result(run, tmp_path, arrays):
    """The local cluster (two threads in this process), one task per shard, default block size."""
    pred, target = arrays
    preds, targets = _shards(tmp_path, pred, target, "csv")
    local = run("mse,huber", preds, targets, "--format", "json", "--level", "element")
    remote = run("mse,huber", preds, targets, "--format", "json", "--level", "element", "--dask", "--jobs", "2")
    assert remote.exit_code == 0, remote.stderr
    assert remote.stdout == local.stdout
    assert remote.stderr == ""


def test_dask_reports_a_shard_error_as_one_line(run, tmp_path, arrays):
    pred, target = arrays
    preds, targets = _shards(tmp_path, pred, target, "csv")
    path = preds / "part-002.csv"
    lines = path.read_text().splitlines()
    lines[7] = "6,1.0,oops,2.0"
    path.write_text("\n".join(lines) + "\n")
    out = run("mse", preds, targets, "--dask", "--jobs", "2")
    assert out.exit_code == 2
    assert out.stderr.startswith(f"losscli: error: {path}: line 8, column 3: 'oops' is not a number;")
    assert out.stderr.count("\n") == 1


def test_dask_refuses_stdin(run, tmp_path, arrays):
    pred, target = arrays
    t = _write(tmp_path, "t", target, "npy")
    out = run("mse", "-", t, "--dask", input="1,2,3\n")
    assert out.exit_code == 2
    assert "--dask: the workers read files themselves" in out.stderr


@pytest.mark.parametrize(
    "argv,expected",
    [
        (["p.csv", "t.csv", "--dask"], ["p.csv", "t.csv", "--dask", "local"]),
        (["--dask", "p.csv", "t.csv"], ["--dask", "local", "p.csv", "t.csv"]),
        (["--dask", "tcp://10.0.0.1:8786", "p.csv"], ["--dask", "tcp://10.0.0.1:8786", "p.csv"]),
        (["--dask", "scheduler:8786", "p.csv"], ["--dask", "scheduler:8786", "p.csv"]),
        (["--dask", "data.npz:pred", "t.csv"], ["--dask", "local", "data.npz:pred", "t.csv"]),
        (["--dask", "data.csv:0", "t.csv"], ["--dask", "local", "data.csv:0", "t.csv"]),  # a column, by syntax
        (["--dask", "scheduler:8786"], ["--dask", "scheduler:8786"]),  # an address even if a file had that name
    ],
)
def test_dask_alone_means_a_local_cluster(argv, expected):
    from losscli.cli.flags import with_optional_values

    assert with_optional_values(argv) == expected


# --- progress ---------------------------------------------------------------------------------


class _Terminal:
    """A stderr that says it is a terminal, and keeps what is written."""

    def __init__(self):
        self.text = []

    def isatty(self):
        return True

    def write(self, text):
        self.text.append(text)
        return len(text)

    def flush(self):
        pass


def test_progress_only_on_a_terminal(monkeypatch):
    from losscli.report import progress

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setattr("sys.stderr", _Terminal())
    assert progress.wanted(quiet=False)
    assert not progress.wanted(quiet=True)
    monkeypatch.setenv("NO_COLOR", "1")
    assert progress.wanted(quiet=False)  # NO_COLOR turns colour off, not progress (issue 22)
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert not progress.wanted(quiet=False)
    monkeypatch.setenv("TERM", "xterm")
    with open(__file__) as not_a_terminal:
        monkeypatch.setattr("sys.stderr", not_a_terminal)
        assert not progress.wanted(quiet=False)


def test_progress_shows_bytes_read_of_the_total(monkeypatch):
    from losscli.report import progress

    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    monkeypatch.setattr(progress, "DELAY", 0.0)
    monkeypatch.setattr(progress, "EVERY", 0.0)

    class Source:
        read = 0

        def bytes_total(self):
            return 4_000_000

        def bytes_read(self):
            return self.read

    source = Source()
    bar = progress.ProgressBar(source)
    source.read = 1_000_000
    bar(10)
    assert bar.bar.tasks[0].completed == 1_000_000 and bar.bar.tasks[0].total == 4_000_000
    bar.close()
    assert bar.bar is None


def test_no_progress_when_stderr_is_not_a_terminal(run, tmp_path, arrays, small_blocks):
    pred, target = arrays
    p, t = _write(tmp_path, "p", pred, "csv"), _write(tmp_path, "t", target, "csv")
    out = run("mse", p, t, "--format", "value")
    assert out.stderr == ""
    assert float(out.stdout) == pytest.approx(skm.mean_squared_error(target, pred), rel=1e-12)
