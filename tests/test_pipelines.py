"""Real-world inputs and outputs: one-file datasets, keyed and gzipped files, several losses,
output formats, --output, --quiet, baselines, the config file, and the README's CI examples.

Expected values are computed by the definition next to each test (or come from the first
seed: MSE 0.0235 under --reduce all).
"""

import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, SAMPLES
from jsonout import loaded
from test_errors import _fails

RESULTS = SAMPLES / "results.csv"
Y_TRUE = np.array([2.10, 3.40, 1.75, 4.20, 2.95])
Y_PRED = np.array([2.35, 3.05, 1.80, 3.60, 3.10])
IDS = ["house-01", "house-02", "house-03", "house-04", "house-05"]


def _value(result):
    assert result.exit_code == 0, result.stderr
    return float(result.stdout)


def test_one_csv_by_names_and_by_indices(run):
    expected = np.mean((Y_PRED - Y_TRUE) ** 2)
    by_name = _value(run("mse", RESULTS, "--pred-col", "y_pred", "--target-col", "y_true", "-f", "value"))
    by_index = _value(run("mse", RESULTS, "--pred-col", "2", "--target-col", "1", "-f", "value"))
    assert by_name == by_index == pytest.approx(expected, rel=1e-12)


def test_several_columns_are_several_outputs(run, tmp_path):
    path = tmp_path / "d.tsv"
    path.write_text("p0\tp1\tt0\tt1\n1\t2\t0\t0\n3\t4\t1\t1\n")
    data = loaded(
        run("mae", path, "--pred-col", "p0,p1", "--target-col", "t0,t1", "-f", "json", "--level", "element").stdout
    )
    assert data["shape"] == [2, 2]
    assert data["per_element"] == [[1.0, 2.0], [2.0, 3.0]]  # |p - t|


def test_jsonl_and_json_object_and_npz_tables(run, tmp_path):
    records = [{"id": i, "y": float(t), "p": float(p)} for i, (t, p) in enumerate(zip(Y_TRUE, Y_PRED, strict=True))]
    (tmp_path / "r.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    (tmp_path / "r.json").write_text(json.dumps({"y": Y_TRUE.tolist(), "p": Y_PRED.tolist()}))
    np.savez(tmp_path / "r.npz", y=Y_TRUE, p=Y_PRED)
    expected = np.mean(np.abs(Y_PRED - Y_TRUE))
    for name in ("r.jsonl", "r.json", "r.npz"):
        got = _value(run("mae", tmp_path / name, "--pred-col", "p", "--target-col", "y", "-f", "value"))
        assert got == pytest.approx(expected, rel=1e-12), name


def test_keyed_two_file_form(run, tmp_path):
    (tmp_path / "r.json").write_text(json.dumps({"y": Y_TRUE.tolist(), "p": Y_PRED.tolist()}))
    np.savez(tmp_path / "r.npz", y=Y_TRUE, p=Y_PRED)
    expected = np.mean((Y_PRED - Y_TRUE) ** 2)
    assert _value(run("mse", f"{tmp_path}/r.json:p", f"{tmp_path}/r.json:y", "-f", "value")) == pytest.approx(
        expected, rel=1e-12
    )
    assert _value(run("mse", f"{tmp_path}/r.npz:p", f"{tmp_path}/r.npz:y", "-f", "value")) == pytest.approx(
        expected, rel=1e-12
    )
    _fails(run("mse", f"{tmp_path}/r.npz:q", f"{tmp_path}/r.npz:y"), "no array 'q'; the arrays are y, p")
    _fails(run("mse", tmp_path / "r.npz", f"{tmp_path}/r.npz:y"), "holds 2 arrays; name one as FILE:KEY (y, p)")


def test_gzip_inputs(run, tmp_path):
    seed = (SAMPLES / "preds.csv").read_bytes(), (SAMPLES / "targets.csv").read_bytes()
    (tmp_path / "p.csv.gz").write_bytes(gzip.compress(seed[0]))
    (tmp_path / "t.csv.gz").write_bytes(gzip.compress(seed[1]))
    assert _value(run("mse", tmp_path / "p.csv.gz", tmp_path / "t.csv.gz", "-f", "value")) == pytest.approx(0.0235)
    np.save(tmp_path / "p.npy", np.loadtxt(SAMPLES / "preds.csv", delimiter=","))
    (tmp_path / "p.npy.gz").write_bytes(gzip.compress((tmp_path / "p.npy").read_bytes()))
    (tmp_path / "t.jsonl.gz").write_bytes(gzip.compress(b"[1,0,0,0,0,0,0,0,0,0]\n[0,1,0,0,0,0,0,0,0,0]\n"))
    assert _value(run("mse", tmp_path / "p.npy.gz", tmp_path / "t.jsonl.gz", "-f", "value")) == pytest.approx(0.0235)
    (tmp_path / "bad.csv.gz").write_bytes(b"not gzip")
    _fails(run("mse", tmp_path / "bad.csv.gz", SAMPLES / "targets.csv"), "bad.csv.gz: is not a valid gzip file")


def test_parquet(run, tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"y": Y_TRUE, "p": Y_PRED, "id": IDS}), tmp_path / "r.parquet")
    data = loaded(
        run(
            "mse",
            tmp_path / "r.parquet",
            "--pred-col",
            "p",
            "--target-col",
            "y",
            "--id-col",
            "id",
            "-f",
            "json",
            "--level",
            "element",
        ).stdout
    )
    assert data["value"] == pytest.approx(np.mean((Y_PRED - Y_TRUE) ** 2), rel=1e-12)
    assert data["ids"] == IDS


def test_parquet_without_pyarrow_says_how_to_install(run, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    (tmp_path / "r.parquet").write_bytes(b"PAR1")
    _fails(
        run("mse", tmp_path / "r.parquet", "--pred-col", "p", "--target-col", "y"),
        "reading Parquet needs pyarrow: pip install 'losscli[parquet]'",
    )


@pytest.mark.parametrize(
    "fmt, check",
    [
        ("csv", lambda out: out.splitlines()[1] == "0,house-01,0.0625"),
        (
            "jsonl",
            lambda out: loaded(out.splitlines()[3]) == {"sample": 3, "id": "house-04", "mse": pytest.approx(0.36)},
        ),
        ("json", lambda out: loaded(out)["ids"] == IDS),
        ("table", lambda out: "house-05" in out),
    ],
)
def test_ids_in_every_per_sample_output(run, fmt, check):
    level = ["--level", "sample"] if fmt == "json" else []  # the JSON summary lists no samples
    out = run(
        "mse", RESULTS, "--pred-col", "y_pred", "--target-col", "y_true", "--id-col", "id", "-f", fmt, *level
    ).stdout
    assert check(out), out


def test_several_losses_in_one_pass(run):
    args = ["mse,mae,huber", SAMPLES / "preds.csv", SAMPLES / "targets.csv"]
    values = dict(line.split() for line in run(*args, "-f", "value").stdout.splitlines())
    assert list(values) == ["mse", "mae", "huber"]
    assert float(values["mse"]) == pytest.approx(0.0235)
    assert float(values["mae"]) == pytest.approx(2.9 / 20)  # |d| sums to 0.1 + 9 x 0.1 + 0.2 + 0.1 + 8 x 0.2
    listed = loaded(run(*args, "-f", "json", "--level", "element").stdout)
    assert [item["loss"] for item in listed] == ["mse", "mae", "huber"]
    table = run(*args).stdout
    assert "Per-sample losses" in table and "Batch values" in table
    header = next(line for line in table.splitlines() if "sample" in line and "mse" in line)
    assert header.split() == ["sample", "mse", "mae", "huber"]


def test_options_go_to_the_losses_that_take_them(run):
    values = run("mse,huber", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "--delta", "0.01", "-f", "value").stdout
    assert float(values.splitlines()[0].split()[1]) == pytest.approx(0.0235)
    _fails(run("mse,mae", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "--delta", "1"), "--delta does not apply")


@pytest.mark.parametrize(
    "level, header, rows",
    [
        ("element", "sample,output,loss", 20),
        ("sample", "sample,loss", 2),
        ("output", "output,loss", 10),
        ("batch", "loss,reduce,n,value", 1),
    ],
)
def test_csv_levels(run, level, header, rows):
    out = run("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "-f", "csv", "--level", level).stdout
    lines = out.splitlines()
    assert lines[0] == header and len(lines) == rows + 1
    if level == "batch":
        assert lines[1].split(",")[:3] == ["mse", "all", "20"]


def test_markdown_for_a_job_summary(run):
    out = run("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "-f", "markdown").stdout
    assert out.startswith("## losscli\n")
    assert "| `mse` | all | 2 samples x 10 outputs = 20 | 0.0235 |" in out
    assert "\x1b[" not in out


def test_output_is_atomic_and_never_an_input(run, tmp_path):
    out = tmp_path / "r.json"
    result = run("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "-f", "json", "--level", "element", "-o", out)
    assert result.exit_code == 0 and result.stdout == ""
    assert loaded(out.read_text())["value"] == pytest.approx(0.0235)
    assert os.stat(out).st_mode & 0o044  # a normal file's mode, not a private temporary one's
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]
    copy = tmp_path / "p.csv"
    copy.write_bytes((SAMPLES / "preds.csv").read_bytes())
    _fails(run("mse", copy, SAMPLES / "targets.csv", "-o", copy), "never overwrites an input")
    assert copy.read_bytes() == (SAMPLES / "preds.csv").read_bytes()


def test_quiet_prints_nothing_but_keeps_the_status(run):
    result = run("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "-q", "--fail-above", "0.01")
    assert result.stdout == "" and result.exit_code == 1
    assert "check failed" in result.stderr


def test_baseline_with_tolerance(run, tmp_path):
    base = tmp_path / "base.json"
    assert run("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "-q", "--save-baseline", base).exit_code == 0
    worse = tmp_path / "worse.csv"
    worse.write_text((SAMPLES / "preds.csv").read_text().replace("0.9,0.1", "0.8,0.1", 1))
    # row 0's first error grows from 0.1 to 0.2: MSE 0.0235 -> 0.025, +6.4%
    args = ["mse", worse, SAMPLES / "targets.csv", "--baseline", base, "-f", "value"]
    failed = run(*args, "--tolerance", "5%")
    assert failed.exit_code == 1 and float(failed.stdout) == pytest.approx(0.025)
    assert "mse got worse: 0.0235 -> 0.025" in failed.stderr and "WORSE" in failed.stderr
    assert run(*args, "--tolerance", "10%").exit_code == 0
    assert run(*args, "--tolerance", "0.002").exit_code == 0
    assert run(*args, "--tolerance", "0.001").exit_code == 1


def test_baseline_must_compare_like_with_like(run, tmp_path):
    base = tmp_path / "base.json"
    run("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "-q", "--save-baseline", base)
    _fails(
        run("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "-r", "samples", "--baseline", base),
        "compare like with like",
    )
    _fails(
        run("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "--baseline", base, "--tolerance", "lots"),
        "--tolerance 'lots'",
    )


def test_github_annotation(run, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = run("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "-q", "--fail-above", "0.01")
    assert "::error title=losscli check failed::mse = 0.02350000000000001 (--reduce all) is above" in result.stderr


@pytest.mark.parametrize(
    "name, text",
    [
        ("pyproject.toml", "[project]\nname = 'x'\n\n[tool.losscli]\nfail-above = 0.01\n"),
        ("losscli.toml", "fail_above = 0.01\n"),
    ],
)
def test_config_file_thresholds_and_the_command_line_wins(run, tmp_path, monkeypatch, name, text):
    (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    args = ["mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "-q"]
    assert run(*args).exit_code == 1  # 0.0235 > 0.01 from the file
    assert run(*args, "--fail-above", "0.1").exit_code == 0


def test_config_file_with_an_unknown_key(run, tmp_path, monkeypatch):
    (tmp_path / "losscli.toml").write_text("fail_abov = 1\n")
    monkeypatch.chdir(tmp_path)
    _fails(run("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv"), "unknown key 'fail-abov'")


def test_help_lists_every_option_and_completion(run):
    text = run("mse", "--help").stdout + run("--help").stdout
    for flag in (
        "--pred-col",
        "--target-col",
        "--id-col",
        "--output",
        "--level",
        "--quiet",
        "--baseline",
        "--tolerance",
        "--save-baseline",
        "--install-completion",
    ):
        assert flag in text, flag
    assert "[tool.losscli]" in text


# --- the README's CI examples, run for real ----------------------------------------------

README = (ROOT / "README.md").read_text()


def _shell(command: str, env=None) -> subprocess.CompletedProcess:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"  # the installed losscli
    return subprocess.run(
        ["bash", "-c", command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": path, **(env or {})},
    )


def test_readme_github_actions_step(tmp_path):
    step = re.search(r"```yaml\n(.*?)```", README, re.DOTALL).group(1)
    command = re.search(r"run: (.*)", step).group(1)
    summary = tmp_path / "summary.md"
    done = _shell(command, {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})
    assert done.returncode == 0, done.stderr
    assert "| `mse` | all | 2 samples x 10 outputs = 20 | 0.0235 |" in summary.read_text()


def test_readme_makefile_target(tmp_path):
    block = re.search(r"```make\n(.*?)```", README, re.DOTALL).group(1)
    (tmp_path / "Makefile").write_text(block)
    done = _shell(f"make -s -f {tmp_path / 'Makefile'} loss-check")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""  # --quiet
    failing = block.replace("0.05", "0.01")
    (tmp_path / "Makefile").write_text(failing)
    assert _shell(f"make -s -f {tmp_path / 'Makefile'} loss-check").returncode != 0


def test_readme_shell_pipeline():
    command = re.search(r"```sh\n(losscli mse,mae.*?)\n```", README, re.DOTALL).group(1)
    shown = re.search(r"```text\n(.*?)```", README, re.DOTALL).group(1)
    done = _shell(command)
    assert done.returncode == 0, done.stderr
    assert done.stdout == shown


@pytest.mark.parametrize(
    "text, message",
    [
        ("id,y,p\na,1,2\nb,x,3\n", "d.csv: line 3, column 2: 'x' is not a number"),
        ("id,y,p\na,1,2\nb,3\n", "d.csv: line 3 has 2 cells but the header has 3"),
        ("id,y,p\na,1,2\n", "no column 'q' for --pred-col; the columns are 'id', 'y', 'p'"),
    ],
)
def test_one_file_errors(run, tmp_path, text, message):
    (tmp_path / "d.csv").write_text(text)
    pred = "q" if "'q'" in message else "p"
    _fails(run("mse", tmp_path / "d.csv", "--pred-col", pred, "--target-col", "y"), message)


def test_one_file_needs_both_columns_and_one_file(run):
    _fails(run("mse", RESULTS, "--pred-col", "y_pred"), "give both --pred-col and --target-col")
    # with two files, --pred-col and --target-col pick a column of each
    value = float(run("mse", RESULTS, RESULTS, "--pred-col", "y_pred", "--target-col", "y_true", "-f", "value").stdout)
    assert value == pytest.approx(np.mean((Y_PRED - Y_TRUE) ** 2), rel=1e-12)


def test_readme_xargs_shards_and_merge(tmp_path):
    """The README's scheduler example: a state per shard (xargs -P), merged, is the sharded run's value."""
    command = re.search(r"```sh\n(mkdir -p states .*?)\n```", README, re.DOTALL).group(1)
    (tmp_path / "samples").symlink_to(SAMPLES)
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    done = subprocess.run(
        ["bash", "-c", command], cwd=tmp_path, capture_output=True, text=True, env={**os.environ, "PATH": path}
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "states").iterdir()) == [f"part-0{k}.csv.json" for k in range(3)]
    shards = [
        np.loadtxt(SAMPLES / "shards" / role / f"part-0{k}.csv", delimiter=",")
        for role in ("preds", "targets")
        for k in range(3)
    ]
    pred, target = np.vstack(shards[:3]), np.vstack(shards[3:])
    assert float(done.stdout) == pytest.approx(np.mean((pred - target) ** 2), rel=1e-12)
    one_run = _shell("losscli mse 'samples/shards/preds/*.csv' samples/shards/targets -f value")
    assert done.stdout == one_run.stdout  # the same sums, merged in the same order: the same bits
