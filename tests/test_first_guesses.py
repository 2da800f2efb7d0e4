"""The natural first guesses (issue 23): a call a user of pandas or scikit-learn types first that does not
fit the data gets one line naming the call that does, before any value is read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from losscli.cli.app import app

runner = CliRunner()


def _refused(*args) -> str:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 2 and result.stdout == "", (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_cce_with_text_labels_points_to_sparse_cce(tmp_path: Path):
    # predict_proba as pandas writes it, with the classes as its header; the true labels by name
    columns = ["setosa", "versicolor", "virginica"]
    pd.DataFrame([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]], columns=columns).to_csv(tmp_path / "proba.csv", index=False)
    pd.Series(["setosa", "versicolor"], name="y").to_csv(tmp_path / "labels.csv", index=False)
    line = _refused("cce", tmp_path / "proba.csv", tmp_path / "labels.csv")
    assert "use sparse_cce" in line and "is not a number" not in line
    # and the call it names works
    ok = runner.invoke(app, ["sparse_cce", str(tmp_path / "proba.csv"), str(tmp_path / "labels.csv"), "-f", "value"])
    assert ok.exit_code == 0 and float(ok.stdout) == pytest.approx(-(np.log(0.7) + np.log(0.8)) / 2, rel=1e-15)


def test_bce_on_a_two_column_predict_proba_names_the_positive_column(tmp_path: Path):
    pd.DataFrame([[0.3, 0.7], [0.6, 0.4]], columns=["0", "1"]).to_csv(tmp_path / "proba.csv", index=False)
    pd.Series([1, 0], name="y").to_csv(tmp_path / "y.csv", index=False)
    line = _refused("bce", tmp_path / "proba.csv", tmp_path / "y.csv")
    assert "predict_proba" in line and "positive class" in line and "--pred-col 1" in line


def test_dice_with_an_integer_mask_says_to_one_hot_it(tmp_path: Path):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "p.npy", rng.uniform(size=(2, 3, 4, 4)))
    np.save(tmp_path / "mask.npy", rng.integers(0, 3, size=(2, 4, 4)))
    line = _refused("dice", tmp_path / "p.npy", tmp_path / "mask.npy")
    assert "looks like class labels" in line and "np.eye(3)" in line and "axis 1" in line
