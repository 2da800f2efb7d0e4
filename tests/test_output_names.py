"""Output names follow input names (issue 23): a frame's columns (price, rent, tax), or a predict_proba
frame's classes, label the per-output values in the table, the CSV of --level output, the JSON and --top."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from jsonout import loaded
from typer.testing import CliRunner

from losscli.cli.app import app

runner = CliRunner()
COLUMNS = ["price", "rent", "tax"]


def _frames(tmp_path: Path) -> tuple[str, str]:
    rng = np.random.default_rng(23)
    pd.DataFrame(rng.normal(size=(6, 3)), columns=COLUMNS).to_csv(tmp_path / "pred.csv", index=False)
    pd.DataFrame(rng.normal(size=(6, 3)), columns=COLUMNS).to_csv(tmp_path / "true.csv", index=False)
    return str(tmp_path / "pred.csv"), str(tmp_path / "true.csv")


def _out(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_the_per_output_values_carry_the_columns_names(tmp_path: Path):
    pred, true = _frames(tmp_path)
    p, t = pd.read_csv(pred).to_numpy(), pd.read_csv(true).to_numpy()
    per_output = ((p - t) ** 2).mean(axis=0)  # NumPy's per-column mean squared error
    lines = _out("mse", pred, true, "-f", "csv", "--level", "output").splitlines()
    assert lines[0] == "output,name,loss"
    assert [line.split(",")[1] for line in lines[1:]] == COLUMNS
    assert [float(line.split(",")[2]) for line in lines[1:]] == pytest.approx(list(per_output), rel=1e-15)
    data = loaded(_out("mse", pred, true, "-f", "json", "--level", "element"))
    assert data["output_names"] == COLUMNS
    table = _out("mse", pred, true, "--top", "3")
    worst = COLUMNS[int(np.argmax(per_output))]
    assert f" {worst} " in table.split("worst outputs")[1].splitlines()[4]  # the first row under the rule


def test_a_predict_proba_frame_names_its_classes(tmp_path: Path):
    classes = ["cat", "dog"]
    pd.DataFrame([[0.7, 0.3], [0.2, 0.8]], columns=classes).to_csv(tmp_path / "proba.csv", index=False)
    pd.DataFrame([[1, 0], [0, 1]], columns=classes).to_csv(tmp_path / "onehot.csv", index=False)
    data = loaded(
        _out("cce", str(tmp_path / "proba.csv"), str(tmp_path / "onehot.csv"), "-f", "json", "--level", "element")
    )
    assert data["output_names"] == classes


def test_without_a_header_the_outputs_are_numbered(tmp_path: Path):
    np.save(tmp_path / "p.npy", np.ones((3, 2)))
    np.save(tmp_path / "t.npy", np.zeros((3, 2)))
    data = loaded(_out("mse", str(tmp_path / "p.npy"), str(tmp_path / "t.npy"), "-f", "json", "--level", "element"))
    assert data["output_names"] is None
    assert _out("mse", str(tmp_path / "p.npy"), str(tmp_path / "t.npy"), "-f", "csv", "--level", "output").startswith(
        "output,loss\n"
    )


def test_a_name_that_spells_an_emoji_code_is_printed_as_given(tmp_path: Path):
    """Rich replaces :smile: by an emoji unless told not to, even without markup: a column named
    'a:smile:' (found so: it was printed 'a😄') must be shown as the file spells it."""
    pd.DataFrame({"a:smile:": [1.0], ":thumbs_up:": [2.0]}).to_csv(tmp_path / "p.csv", index=False)
    pd.DataFrame({"a:smile:": [1.0], ":thumbs_up:": [3.0]}).to_csv(tmp_path / "t.csv", index=False)
    out = _out("mse", str(tmp_path / "p.csv"), str(tmp_path / "t.csv"), "--top", "2")
    assert "a:smile:" in out and ":thumbs_up:" in out
    assert "\N{SMILING FACE WITH OPEN MOUTH AND SMILING EYES}" not in out and "\N{THUMBS UP SIGN}" not in out
