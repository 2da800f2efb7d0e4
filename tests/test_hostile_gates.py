"""Hostile pass II: CI gates that must not vanish, and the small files they come from.

- ``--against`` / ``--against-col`` / ``--paired`` apply every check of a plain run to the main
  model (PREDS, or ``--pred-col``): ``--fail-above``, ``--fail-below``, ``--baseline`` (without
  ``--paired``) and ``--save-baseline``, from the command line or the settings files;
- the settings of ``losscli.toml`` and ``[tool.losscli]`` of pyproject.toml combine key by key
  (losscli.toml wins a key, the command line wins over both): an empty or comment-only
  losscli.toml drops nothing, a key hidden by the other file is said in a note, and one key
  spelled two ways in one table is an error naming both;
- settings, baselines and state files are checked for kind and size before they are read: a
  link to /dev/zero, a FIFO, a huge file are one line and exit 2, with no hang and bounded memory.

Expected values: the seed example's mse is 0.02350000000000001 (README); the models of
``samples/forecasts.csv`` have mse 1.93323 (new) and 3.65313 (base) (README; 1.9332266666666666 is
115.9936 / 60, ``math.fsum`` of the squared errors of its column new); others are
computed here with NumPy.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys

import numpy as np
import pytest
from conftest import SAMPLES
from jsonout import loaded

PREDS = SAMPLES / "preds.csv"
TARGETS = SAMPLES / "targets.csv"
FORECASTS = SAMPLES / "forecasts.csv"
SEED_MSE = 0.02350000000000001  # README: the seed example under --reduce all
FEW = ("--resamples", "200")  # the bootstrap and the permutation test are not what is tested here


def _one_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("losscli: error: ")]
    assert len(lines) == 1 and len(stderr.splitlines()) == 1, stderr
    assert "this is a bug" not in lines[0], lines[0]
    return lines[0]


def _fails(result, *fragments) -> str:
    assert result.exit_code == 2, (result.exit_code, result.stdout[-300:], result.stderr)
    assert result.stdout == ""
    line = _one_line(result.stderr)
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


def _check_failed(result, *fragments) -> list[str]:
    """Exit 1, and a 'check failed' line on stderr holding every fragment."""
    assert result.exit_code == 1, (result.exit_code, result.stdout[-300:], result.stderr)
    failed = [line for line in result.stderr.splitlines() if line.startswith("losscli: check failed: ")]
    assert failed, result.stderr
    for fragment in fragments:
        assert any(fragment in line for line in failed), (fragment, failed)
    return failed


@pytest.fixture
def models(tmp_path):
    """40 samples of 2 outputs: targets, a model and a worse one (as CSV files)."""
    rng = np.random.default_rng(18)
    target = rng.random((40, 2))
    good = target + rng.normal(0, 0.1, target.shape)
    bad = target + rng.normal(0, 0.5, target.shape)
    for name, values in (("t.csv", target), ("good.csv", good), ("bad.csv", bad)):
        np.savetxt(tmp_path / name, values, delimiter=",", fmt="%.17g")
    mse = {name: float(np.mean((values - target) ** 2)) for name, values in (("good", good), ("bad", bad))}
    return tmp_path, mse


# --- item 1: --against and --paired keep every gate ----------------------------------------------------


def test_fail_above_applies_to_the_main_model_with_against(run, models, monkeypatch):
    folder, mse = models
    monkeypatch.chdir(folder)
    result = run("mse", "good.csv", "t.csv", "--against", "bad.csv", "--fail-above", "0.0001", *FEW)
    failed = _check_failed(result, f"mse of good.csv = {mse['good']!r} (--reduce all) is above --fail-above 0.0001")
    assert "the checks apply to this model" in failed[0]
    assert "mse" in result.stdout  # the comparison is still printed
    passed = run("mse", "good.csv", "t.csv", "--against", "bad.csv", "--fail-above", "10", *FEW)
    assert passed.exit_code == 0, passed.stderr


def test_fail_below_applies_to_the_pred_col_model_with_against_col(run):
    result = run(
        "mse", FORECASTS, "--pred-col", "new", "--target-col", "y_true", "--against-col", "base", "--fail-below", "5"
    )
    _check_failed(result, "mse of --pred-col new = 1.93322666", "is below --fail-below 5")


@pytest.mark.parametrize(
    "name, text",
    [
        ("losscli.toml", "fail-above = 0.0001\n"),
        ("pyproject.toml", "[project]\nname = 'x'\n\n[tool.losscli]\nfail_above = 0.0001\n"),
    ],
)
def test_a_settings_file_gate_applies_with_against(run, models, monkeypatch, name, text):
    folder, mse = models
    (folder / name).write_text(text)
    monkeypatch.chdir(folder)
    result = run("mse", "good.csv", "t.csv", "--against", "bad.csv", *FEW, "-q")
    _check_failed(result, f"mse of good.csv = {mse['good']!r}")


def test_save_baseline_with_against_writes_the_main_model(run, models, monkeypatch):
    folder, mse = models
    monkeypatch.chdir(folder)
    result = run("mse", "good.csv", "t.csv", "--against", "bad.csv", "--save-baseline", "b.json", *FEW, "-q")
    assert result.exit_code == 0, result.stderr
    saved = loaded((folder / "b.json").read_text())
    assert saved["loss"] == "mse" and saved["value"] == mse["good"]
    assert len(saved["per_sample"]) == 40  # a --paired baseline too


def test_baseline_with_against_gates_the_main_model(run, models, monkeypatch):
    folder, mse = models
    monkeypatch.chdir(folder)
    assert run("mse", "good.csv", "t.csv", "--save-baseline", "b.json", "-q").exit_code == 0
    result = run("mse", "bad.csv", "t.csv", "--against", "good.csv", "--baseline", "b.json", *FEW, "-q")
    _check_failed(result, "mse of bad.csv got worse: ", "more than the tolerance 0")
    better = run("mse", "good.csv", "t.csv", "--against", "bad.csv", "--baseline", "b.json", *FEW)
    assert better.exit_code == 0, better.stderr
    assert better.stderr == ""  # a check that passes says nothing on stderr (issue 23: no noise in CI logs)
    summary = run("mse", "good.csv", "t.csv", "--baseline", "b.json", "-f", "markdown")
    assert summary.exit_code == 0 and "| `mse` |" in summary.stdout and "| ok |" in summary.stdout  # it ran


def test_a_settings_file_baseline_applies_with_against_col(run, tmp_path, monkeypatch):
    base = tmp_path / "b.json"
    args = ("mse", FORECASTS, "--pred-col", "new", "--target-col", "y_true")
    assert run(*args, "--save-baseline", base, "-q").exit_code == 0
    (tmp_path / "losscli.toml").write_text(f'baseline = "{base.name}"\n')
    monkeypatch.chdir(tmp_path)
    worse = run("mse", FORECASTS, "--pred-col", "base", "--target-col", "y_true", "--against-col", "new", "-q", *FEW)
    _check_failed(worse, "mse of --pred-col base got worse: 1.93322666", "-> 3.65313")


def test_fail_above_applies_with_paired(run, models, monkeypatch):
    folder, mse = models
    monkeypatch.chdir(folder)
    assert run("mse", "bad.csv", "t.csv", "--save-baseline", "b.json", "-q").exit_code == 0
    result = run("mse", "good.csv", "t.csv", "--baseline", "b.json", "--paired", "--fail-above", "0.0001", *FEW)
    _check_failed(result, f"mse of good.csv = {mse['good']!r}")


# --- item 1: settings files combine key by key ---------------------------------------------------------

PYPROJECT_GATE = "[project]\nname = 'x'\n\n[tool.losscli]\nfail-above = 0.01\n"


@pytest.mark.parametrize("text", ["", "# settings to come\n\n", "tolerance = '5%'\n"])
def test_a_losscli_toml_without_the_key_keeps_the_pyproject_gate(run, tmp_path, monkeypatch, text):
    (tmp_path / "pyproject.toml").write_text(PYPROJECT_GATE)
    (tmp_path / "losscli.toml").write_text(text)
    monkeypatch.chdir(tmp_path)
    result = run("mse", PREDS, TARGETS, "-f", "value")
    # the setting that failed the run is named with its file (issue 23)
    _check_failed(result, f"mse = {SEED_MSE!r} (--reduce all) is above fail-above = 0.01 of ", "pyproject.toml")
    assert run("mse", PREDS, TARGETS, "-f", "value", "--no-config").exit_code == 0  # the files ignored


def test_a_key_set_in_both_files_is_said(run, tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(PYPROJECT_GATE)
    (tmp_path / "losscli.toml").write_text("fail-above = 1e300\n")
    monkeypatch.chdir(tmp_path)
    result = run("mse", PREDS, TARGETS, "-f", "value")
    assert result.exit_code == 0  # losscli.toml wins the key ...
    assert result.stdout == f"{SEED_MSE!r}\n"
    notes = [line for line in result.stderr.splitlines() if line.startswith("losscli: note: ")]
    assert len(notes) == 1, result.stderr  # ... and says what it hides
    assert "losscli.toml: fail-above = 1e+300 is used" in notes[0] and "fail-above = 0.01" in notes[0]
    assert "pyproject.toml" in notes[0]


@pytest.mark.parametrize("name", ["losscli.toml", "pyproject.toml"])
def test_one_key_spelled_two_ways_is_an_error_naming_both(run, tmp_path, monkeypatch, name):
    table = "[tool.losscli]\n" if name == "pyproject.toml" else ""
    (tmp_path / name).write_text(f"{table}fail-above = 0.05\nfail_above = 1e300\n")
    monkeypatch.chdir(tmp_path)
    _fails(run("mse", PREDS, TARGETS, "-f", "value"), name, "'fail-above'", "'fail_above'", "given twice")


# --- item 6: settings, baselines and states: kind and size first -------------------------------------


def _bounded(args, cwd, timeout=30):
    """losscli in a process with 3 GiB of address space: a read without a bound fails fast
    (MemoryError, exit 70) instead of taking the machine's memory; a hang is a timeout."""

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}
    return subprocess.run(
        [sys.executable, "-m", "losscli", *map(str, args)],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=limit,
    )


def _fails_bounded(process, *fragments) -> str:
    assert process.returncode == 2, (process.returncode, process.stderr[-500:])
    assert process.stdout == ""
    line = _one_line(process.stderr)
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


skip_without_dev_zero = pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")


@skip_without_dev_zero
@pytest.mark.parametrize("name", ["losscli.toml", "pyproject.toml"])
def test_a_settings_file_linked_to_dev_zero(tmp_path, name):
    (tmp_path / name).symlink_to("/dev/zero")
    process = _bounded(["mse", PREDS, TARGETS, "-f", "value"], tmp_path)
    _fails_bounded(process, name, "a character device", "regular file")


@skip_without_dev_zero
def test_a_baseline_setting_of_dev_zero(tmp_path):
    (tmp_path / "losscli.toml").write_text('baseline = "/dev/zero"\n')
    _fails_bounded(_bounded(["mse", PREDS, TARGETS, "-f", "value"], tmp_path), "/dev/zero", "a character device")


@skip_without_dev_zero
def test_merge_of_dev_zero(tmp_path):
    _fails_bounded(_bounded(["merge", "/dev/zero"], tmp_path), "/dev/zero", "a character device")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("what", ["losscli.toml", "baseline", "merge"])
def test_a_fifo_with_no_writer_is_refused_not_waited_on(tmp_path, what):
    fifo = tmp_path / ("losscli.toml" if what == "losscli.toml" else "fifo.json")
    os.mkfifo(fifo)
    args = {
        "losscli.toml": ["mse", PREDS, TARGETS, "-f", "value"],
        "baseline": ["mse", PREDS, TARGETS, "--baseline", fifo.name],
        "merge": ["merge", fifo.name],
    }[what]
    _fails_bounded(_bounded(args, tmp_path, timeout=20), fifo.name, "a FIFO")


@pytest.mark.parametrize(
    "name, size, args",
    [
        ("losscli.toml", (1 << 20) + 1, ["mse", PREDS, TARGETS, "-f", "value"]),
        ("s.json", (1 << 28) + 1, ["merge", "s.json"]),
        ("b.json", (1 << 30) + 1, ["mse", PREDS, TARGETS, "--baseline", "b.json"]),
    ],
)
def test_a_file_larger_than_its_kind_is_refused_before_it_is_read(run, tmp_path, monkeypatch, name, size, args):
    with open(tmp_path / name, "wb") as handle:  # sparse: no disk, and reading it would take seconds
        handle.truncate(size)
    monkeypatch.chdir(tmp_path)
    _fails(run(*args), name, f"{size:,} bytes", "is refused")


def test_a_directory_given_as_a_state_or_a_baseline(run, tmp_path):
    _fails(run("merge", tmp_path), str(tmp_path), "is a directory")
    _fails(run("mse", PREDS, TARGETS, "--baseline", tmp_path), "--baseline", "is a directory")


def test_a_settings_directory_is_no_settings(run, tmp_path, monkeypatch):
    """A folder named losscli.toml holds no settings, as before (not an error)."""
    (tmp_path / "losscli.toml").mkdir()
    monkeypatch.chdir(tmp_path)
    result = run("mse", PREDS, TARGETS, "-f", "value")
    assert result.exit_code == 0 and result.stdout == f"{SEED_MSE!r}\n"


def test_read_document_reads_what_it_checked(tmp_path):
    from losscli.io.documents import read_document

    path = tmp_path / "x.json"
    path.write_bytes(b"{}" * 10)
    assert read_document(str(path), "x", "a state file", 20) == b"{}" * 10
    with pytest.raises(Exception, match="more than 19 bytes is refused"):
        read_document(str(path), "x", "a state file", 19)
    with pytest.raises(FileNotFoundError):
        read_document(str(tmp_path / "none"), "x", "a state file", 19)


def test_the_job_summary_of_a_failed_baseline_says_before_after_and_why(run, models, monkeypatch):
    """--format markdown with --baseline (the job-summary recipe): the before/after table and the verdict are
    in the summary, not only on stderr (issue 23)."""
    folder, mse = models
    monkeypatch.chdir(folder)
    assert run("mse", "good.csv", "t.csv", "--save-baseline", "b.json", "-q").exit_code == 0
    worse = run("mse", "bad.csv", "t.csv", "--baseline", "b.json", "-f", "markdown")
    assert worse.exit_code == 1
    assert "### Against the baseline" in worse.stdout and "WORSE" in worse.stdout and "exits 1" in worse.stdout


def test_a_baseline_on_other_data_fails_with_the_reason(run, models, monkeypatch, tmp_path):
    """A baseline saved on 500 rows, a run on 250 of them: not like with like (issue 23)."""
    import pandas as pd

    folder, mse = models
    monkeypatch.chdir(folder)
    assert run("mse", "good.csv", "t.csv", "--save-baseline", "b.json", "-q").exit_code == 0
    half = len(pd.read_csv("good.csv", index_col=0)) // 2
    pd.read_csv("good.csv", index_col=0).iloc[:half].to_csv("good_half.csv")
    pd.read_csv("t.csv", index_col=0).iloc[:half].to_csv("t_half.csv")
    other = run("mse", "good_half.csv", "t_half.csv", "--baseline", "b.json", "--tolerance", "50%", "-f", "value")
    _check_failed(other, "the baseline was computed on other data", "--allow-other-inputs")
    allowed = run("mse", "good_half.csv", "t_half.csv", "--baseline", "b.json", "--tolerance", "50%",
                  "--allow-other-inputs", "-f", "value")  # fmt: skip
    assert allowed.exit_code == 0, allowed.stderr


def test_each_loss_has_its_own_threshold(run):
    """--fail-above mse=X,mae=Y: each loss against its own (issue 23); a loss the run does not compute is an
    error, not a check that never runs."""
    ok = run("mse,mae", PREDS, TARGETS, "-f", "value", "--fail-above", f"mse={SEED_MSE * 2!r},mae=100")
    assert ok.exit_code == 0, ok.stderr
    worse = run("mse,mae", PREDS, TARGETS, "-f", "value", "--fail-above", f"mse={SEED_MSE / 2!r},mae=100")
    _check_failed(worse, f"mse = {SEED_MSE!r} (--reduce all) is above --fail-above {SEED_MSE / 2!r}")
    assert not any(line.startswith("losscli: check failed: mae") for line in worse.stderr.splitlines())
    bad = run("mse", PREDS, TARGETS, "-f", "value", "--fail-above", "rmse=1")
    assert bad.exit_code == 2 and "names rmse, which this run does not compute" in bad.stderr
