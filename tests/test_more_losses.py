"""The losses of issue 24 through the command line: the PyTorch docstring's number, their bad input,
--grad where they have none, and how their states merge.

Their values against the frameworks are in test_reference.py (reference.json, from optax, scikit-learn,
Keras, torchmetrics and PyTorch), test_like.py (every framework's call) and test_framework_suites.py (the
numbers the frameworks' own tests state)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from losscli.cli.app import app

runner = CliRunner()


def _csv(path: Path, rows) -> str:
    np.savetxt(path, np.atleast_2d(np.asarray(rows, dtype=float)), delimiter=",", fmt="%.17g")
    return str(path)


def _refused(*args) -> str:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("losscli: error: "), result.stderr
    return lines[0]


def test_multilabel_margin_is_the_pytorch_docstrings_number(tmp_path: Path):
    # torch.nn.MultiLabelMarginLoss's docstring: x = [[0.1, 0.2, 0.4, 0.8]], y = [[3, 0, -1, 1]] gives 0.85,
    # 0.25 * ((1 - (0.1 - 0.2)) + (1 - (0.1 - 0.4)) + (1 - (0.8 - 0.2)) + (1 - (0.8 - 0.4)))
    preds, targets = _csv(tmp_path / "x.csv", [[0.1, 0.2, 0.4, 0.8]]), _csv(tmp_path / "y.csv", [[3, 0, -1, 1]])
    result = runner.invoke(app, ["multilabel_margin", preds, targets, "--like", "torch", "-f", "value"])
    assert result.exit_code == 0, result.stderr
    assert abs(float(result.stdout) - 0.85) < 1e-15


@pytest.mark.parametrize(
    "row, found",
    [
        ([3, 0, 0, 1], "line 1, column 3: 0.0 is not a class index"),  # padded with 0: class 0 twice
        ([3, 4, -1, -1], "line 1, column 2: 4.0 is not a class index"),  # 4 classes: 0 to 3
        ([1.5, -1, -1, -1], "line 1, column 1: 1.5 is not a class index"),
    ],
)
def test_a_label_list_not_padded_with_minus_one_is_refused(tmp_path: Path, row, found):
    preds, targets = _csv(tmp_path / "x.csv", [[0.1, 0.2, 0.4, 0.8]]), _csv(tmp_path / "y.csv", [row])
    line = _refused("multilabel_margin", preds, targets)
    assert found in line and "then -1 to the end of the row" in line


def test_hamming_loss_of_probabilities_says_to_threshold_them(tmp_path: Path):
    preds, targets = _csv(tmp_path / "p.csv", [[0.2, 0.9], [0.7, 0.1]]), _csv(tmp_path / "t.csv", [[0, 1], [1, 0]])
    line = _refused("hamming_loss", preds, targets)
    assert "0.2 is not a label (a whole number)" in line and "threshold them" in line


@pytest.mark.parametrize("loss", ["hamming_loss", "zero_one_loss", "label_ranking_loss", "coverage_error"])
def test_grad_of_a_count_is_refused(tmp_path: Path, loss):
    preds, targets = _csv(tmp_path / "p.csv", [[1, 0], [0, 1]]), _csv(tmp_path / "t.csv", [[1, 1], [0, 1]])
    assert "its gradient is 0 wherever it exists" in _refused(loss, preds, targets, "--grad")


@pytest.mark.parametrize("loss", ["label_ranking_loss", "coverage_error", "zero_one_loss", "multiclass_sparsemax"])
def test_a_per_sample_mean_merges_exactly(tmp_path: Path, loss):
    """Each sample's value is its row's own (a rank, a count, a projection), so the batch value is a mean
    of per-sample values: states of two shards merge into one run over both. Counts and shares of pairs
    sum exactly, so to the bit; sparsemax's terms (>= 0) are pairwise sums within a block, true to 4e-15
    (core/sums.py), and the shards' blocks are not the whole run's."""
    rng = np.random.default_rng(24)
    p = rng.normal(size=(40, 5))
    t = rng.integers(0, 2, (40, 5)) if loss != "multiclass_sparsemax" else rng.integers(0, 5, (40, 1))
    if loss == "zero_one_loss":
        p = np.where(rng.random((40, 5)) < 0.1, 1 - t, t)
    whole = runner.invoke(app, [loss, _csv(tmp_path / "p.csv", p), _csv(tmp_path / "t.csv", t), "-f", "value"])
    assert whole.exit_code == 0, whole.stderr
    states = []
    for k, rows in enumerate((slice(0, 17), slice(17, 40))):
        state = tmp_path / f"s{k}.json"
        pk, tk = _csv(tmp_path / f"p{k}.csv", p[rows]), _csv(tmp_path / f"t{k}.csv", t[rows])
        done = runner.invoke(app, [loss, pk, tk, "--save-state", str(state), "-f", "value"])
        assert done.exit_code == 0, done.stderr
        states.append(str(state))
    merged = runner.invoke(app, ["merge", *states, "-f", "value"])
    assert merged.exit_code == 0, merged.stderr
    if loss == "multiclass_sparsemax":
        assert float(merged.stdout) == pytest.approx(float(whole.stdout), rel=4e-15)
    else:
        assert merged.stdout == whole.stdout
