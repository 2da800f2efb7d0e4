"""The real command line on the seed example and the bundled samples.

Expected values: the first seed (../shared/seeds/000) and design/reductions.md give
MSE 0.0235 (n = 20), 0.235 (n = 2), 0.047 (n = 10) and 0.47 (n = 1): the sum of the
element terms is 0.1 + 0.37 = 0.47, divided by n.
"""

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import SAMPLES
from jsonout import loaded

from losscli import __version__

SEED = {"all": (0.0235, 20), "samples": (0.235, 2), "outputs": (0.047, 10), "none": (0.47, 1)}
SEED_PREDS = [[0.9] + [0.1] * 9, [0.2, 0.9] + [0.2] * 8]
SEED_TARGETS = [[1] + [0] * 9, [0, 1] + [0] * 8]


def _write_format(tmp_path, fmt):
    """The seed pair in format ``fmt``: the bundled file where there is one."""
    if fmt in ("csv", "npy", "json"):
        return SAMPLES / f"preds.{fmt}", SAMPLES / f"targets.{fmt}"
    paths = []
    for name, data in (("preds", SEED_PREDS), ("targets", SEED_TARGETS)):
        path = tmp_path / f"{name}.tsv"
        path.write_text("\n".join("\t".join(str(x) for x in row) for row in data) + "\n")
        paths.append(path)
    return paths


@pytest.mark.parametrize("fmt", ["csv", "tsv", "npy", "json"])
@pytest.mark.parametrize("reduce", list(SEED))
def test_seed_example_in_every_format(run, tmp_path, fmt, reduce):
    preds, targets = _write_format(tmp_path, fmt)
    result = run("mse", preds, targets, "--reduce", reduce, "--format", "json", "--level", "element")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    data = loaded(result.stdout)
    value, n = SEED[reduce]
    assert data["value"] == pytest.approx(value, rel=1e-12)
    assert data["n"] == n


@pytest.mark.parametrize("fmt", ["csv", "npy", "json"])
def test_seed_example_from_stdin(run, fmt):
    stdin = (SAMPLES / f"preds.{fmt}").read_bytes()
    result = run("mse", "-", SAMPLES / f"targets.{fmt}", "--reduce", "samples", "-f", "value", input=stdin)
    assert result.exit_code == 0, result.stderr
    assert float(result.stdout) == pytest.approx(0.235, rel=1e-12)


def test_stdin_with_forced_format(run):
    result = run(
        "mse", SAMPLES / "preds.csv", "-", "--input-format", "json", "-f", "value", input=json.dumps(SEED_TARGETS)
    )
    assert result.exit_code == 0, result.stderr
    assert float(result.stdout) == pytest.approx(0.0235, rel=1e-12)


def test_table_states_every_divisor(run):
    result = run("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "--reduce", "samples")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Per-element loss  l[i, j] = (p - t)^2" in out
    assert "L[i] = sum_j l[i, j]" in out  # outputs summed under --reduce samples
    assert "O[j] = sum_i l[i, j] / N" in out
    assert "n = 2 samples" in out
    assert "mse = sum(l) / n = 0.47 / 2 = 0.235" in out
    assert "\x1b[" not in out  # no colour when stdout is not a terminal


def test_table_under_reduce_all_spells_n_out(run):
    result = run("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv")
    assert "n = 2 samples x 10 outputs = 20" in result.stdout
    assert "L[i] = sum_j l[i, j] / C" in result.stdout
    assert "mse = sum(l) / n = 0.47 / 20 = 0.0235" in result.stdout


def test_large_tables_are_elided(run, tmp_path):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "p.npy", rng.normal(size=(500, 3)))
    np.save(tmp_path / "t.npy", rng.normal(size=(500, 3)))
    result = run("mae", tmp_path / "p.npy", tmp_path / "t.npy", "--max-rows", "6")
    assert result.exit_code == 0
    # the first 3 and the last 3 rows, and the rows of the 3 largest terms, in both tables
    worst = np.argsort(-np.abs(np.load(tmp_path / "p.npy") - np.load(tmp_path / "t.npy")).max(axis=1))[:3]
    shown = len({0, 1, 2, 497, 498, 499} | set(worst.tolist()))
    assert result.stdout.count(f"{shown} of 500 rows shown (--max-rows to change)") == 2  # elements, samples
    assert " 499 " in result.stdout  # the tail is shown
    for i in worst:
        assert f"\n {i:>6} " in result.stdout or f"\n {i} " in result.stdout


def test_csv_format_is_per_sample(run):
    result = run("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "-r", "samples", "-f", "csv")
    lines = result.stdout.splitlines()
    assert lines[0] == "sample,loss"
    assert [line.split(",")[0] for line in lines[1:]] == ["0", "1"]
    # sample 0: 0.1^2 x 10 = 0.1; sample 1: 0.2^2 x 9 + 0.1^2 = 0.37 (outputs summed)
    assert [float(line.split(",")[1]) for line in lines[1:]] == pytest.approx([0.1, 0.37], rel=1e-12)


def test_value_is_full_precision(run):
    result = run("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "-f", "value")
    # np.mean of the seed's squared errors, as the seed's answer prints it
    assert result.stdout == "0.02350000000000001\n"


def test_binary_sample_pair(run):
    result = run(
        "bce", SAMPLES / "binary_preds.csv", SAMPLES / "binary_targets.csv", "-f", "json", "--level", "element"
    )
    assert result.exit_code == 0, result.stderr
    data = loaded(result.stdout)
    p = np.loadtxt(SAMPLES / "binary_preds.csv", skiprows=1)
    t = np.loadtxt(SAMPLES / "binary_targets.csv", skiprows=1)
    # binary cross-entropy by its definition, in plain NumPy
    expected = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    assert data["value"] == pytest.approx(expected, rel=1e-12)
    assert data["shape"] == [8, 1]


@pytest.mark.parametrize(
    "reduce, above, below, code",
    [
        ("samples", "0.2", None, 1),  # 0.235 > 0.2
        ("samples", "0.3", None, 0),
        ("all", None, "0.03", 1),  # 0.0235 < 0.03
        ("all", "0.03", "0.01", 0),
    ],
)
def test_thresholds(run, reduce, above, below, code):
    args = ["mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "-r", reduce, "-f", "value"]
    args += ["--fail-above", above] if above else []
    args += ["--fail-below", below] if below else []
    result = run(*args)
    assert result.exit_code == code
    assert float(result.stdout) == pytest.approx(SEED[reduce][0], rel=1e-12)  # output is still printed
    if code:
        assert result.stderr.startswith("losscli: check failed: mse = ")
        assert f"(--reduce {reduce})" in result.stderr
        assert ("--fail-above" if above and not below else "--fail-below") in result.stderr
    else:
        assert result.stderr == ""


@pytest.mark.parametrize("name", ["MSE", "mean-squared-error", "Mean_Squared_Error"])
def test_loss_names_are_forgiving(run, name):
    result = run(name, SAMPLES / "preds.csv", SAMPLES / "targets.csv", "-f", "value")
    assert result.exit_code == 0
    assert float(result.stdout) == pytest.approx(0.0235, rel=1e-12)


def test_list_names_every_loss(run):
    from losscli import LOSSES

    result = run("list", "-f", "json")
    assert result.exit_code == 0
    listed = loaded(result.stdout)
    assert [entry["name"] for entry in listed] == [loss.name for loss in LOSSES]
    huber = next(entry for entry in listed if entry["name"] == "huber")
    assert huber["options"] == {"delta": 1.0} and huber["default_reduce"] == "all"
    table = run("list").stdout
    for loss in LOSSES:
        assert f" {loss.name} " in table


def test_version(run):
    result = run("--version")
    assert result.stdout == f"losscli {__version__}\n"


def test_each_loss_help_lists_its_own_options_from_the_registry(run):
    huber = run("huber", "--help")
    assert huber.exit_code == 0
    for flag in ("--delta", "--reduce", "--fail-above"):
        assert flag in huber.stdout
    for flag in ("--beta", "--from-logits"):  # other losses' options
        assert flag not in huber.stdout
    assert "--beta" in run("smooth_l1", "--help").stdout


def test_python_dash_m(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "losscli",
            "mse",
            SAMPLES / "preds.npy",
            SAMPLES / "targets.npy",
            "-r",
            "outputs",
            "-f",
            "value",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert float(out.stdout) == pytest.approx(0.047, rel=1e-12)
    assert out.stderr == ""
