"""The losses of issue 24 through the command line: the PyTorch docstring's number, their bad input,
--grad where they have none, and how their states merge.

Their values against the frameworks are in test_reference.py (reference.json, from optax, scikit-learn,
Keras, torchmetrics and PyTorch), test_like.py (every framework's call) and test_framework_suites.py (the
numbers the frameworks' own tests state)."""

from __future__ import annotations

import json
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


# --- optax's Dice losses of (N, C) ---------------------------------------------------------------------


def test_soft_dice_of_one_sample_is_its_classes_mean_worked_by_hand(tmp_path: Path):
    """One sample, logits (0, ln 3): softmax q = (1/4, 3/4), targets (0, 1), smooth 1, alpha = beta = 1/2:
    class 0: 1 - (0 + 1) / (0 + 1/8 + 0 + 1) = 1/9; class 1: 1 - (3/4 + 1) / (3/4 + 0 + 1/8 + 1) = 1/15;
    optax's dice_loss gives their mean, (1/9 + 1/15) / 2 = 4/45."""
    preds = _csv(tmp_path / "x.csv", [[0.0, np.log(3.0)]])
    targets = _csv(tmp_path / "t.csv", [[0.0, 1.0]])
    result = runner.invoke(app, ["soft_dice", preds, targets, "--like", "optax", "-f", "value"])
    assert result.exit_code == 0, result.stderr
    assert float(result.stdout) == pytest.approx(4 / 45, rel=1e-14)


def test_binary_dice_is_one_ratio_over_a_samples_values(tmp_path: Path):
    """Probabilities (1, 0, 1/2) against (1, 1, 0), smooth 1: (1 + 1) / (3/4 + 1 + 1) = 8/11, so 3/11."""
    preds, targets = _csv(tmp_path / "p.csv", [[1.0, 0.0, 0.5]]), _csv(tmp_path / "t.csv", [[1.0, 1.0, 0.0]])
    result = runner.invoke(app, ["binary_dice", preds, targets, "--no-from-logits", "-f", "value"])
    assert result.exit_code == 0, result.stderr
    assert float(result.stdout) == pytest.approx(3 / 11, rel=1e-14)


@pytest.mark.parametrize("loss, advice", [("soft_dice", "not built yet"), ("binary_dice", "(N, H * W)")])
def test_optax_dice_over_images_is_refused_not_computed_per_pixel(tmp_path: Path, loss, advice):
    """optax sums these ratios over the spatial axes; the N-D pass would average per pixel: refused."""
    rng = np.random.default_rng(3)
    np.save(tmp_path / "x.npy", rng.normal(size=(2, 3, 3, 2)))
    np.save(tmp_path / "t.npy", np.eye(2)[rng.integers(0, 2, (2, 3, 3))])
    line = _refused(loss, tmp_path / "x.npy", tmp_path / "t.npy")
    assert advice in line and "reshape to (N, C) yourself" not in line


@pytest.mark.parametrize("loss", ["soft_dice", "binary_dice"])
def test_optax_dice_refuses_targets_outside_zero_one_and_probabilities_outside_it(tmp_path: Path, loss):
    preds, targets = _csv(tmp_path / "p.csv", [[0.2, 0.8]]), _csv(tmp_path / "t.csv", [[0.0, 2.0]])
    assert "2.0 is not in [0, 1]" in _refused(loss, preds, targets)
    preds, targets = _csv(tmp_path / "p.csv", [[0.2, 1.8]]), _csv(tmp_path / "t.csv", [[0.0, 1.0]])
    assert "pass --from-logits if they are logits" in _refused(loss, preds, targets, "--no-from-logits")


# --- order statistics: max_error, median_absolute_error -------------------------------------------------


def _pair(tmp_path: Path, n: int, c: int, seed: int = 0, name: str = "") -> tuple[str, str, np.ndarray]:
    rng = np.random.default_rng(seed)
    p, t = rng.normal(size=(n, c)), rng.normal(size=(n, c))
    return _csv(tmp_path / f"p{name}.csv", p), _csv(tmp_path / f"t{name}.csv", t), np.abs(p - t)


def _value(*args) -> float:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.stderr
    return float(result.stdout)


@pytest.mark.parametrize(
    "flags, found",
    [
        (["--ci"], "--ci does not apply"),
        (["--grad"], "--grad does not apply"),
        (["-r", "samples"], "only --reduce all applies"),
        (["--group-by", "sample"], "grouping does not apply"),
        (["--save-state", "s.json"], "a median needs every value in memory"),
        (["--dask"], "a median needs every value in memory"),
    ],
)
def test_what_a_median_cannot_be_is_refused_before_a_file_is_read(tmp_path: Path, flags, found):
    preds, targets, _ = _pair(tmp_path, 9, 2)
    assert found in _refused("median_absolute_error", preds, targets, *flags)


def test_order_statistics_take_no_weights_and_max_error_one_output(tmp_path: Path):
    preds, targets, _ = _pair(tmp_path, 9, 2)
    weights = _csv(tmp_path / "w.csv", np.ones((9, 1)))
    assert "takes no sample weights" in _refused("median_absolute_error", preds, targets, "--weights", weights)
    assert "max_error takes one output" in _refused("max_error", preds, targets)


def test_max_error_states_merge_to_the_maximum_of_the_shards(tmp_path: Path):
    """Two shards' saved states merge to the maximum over both, to the bit (a maximum merges exactly)."""
    first, second = _pair(tmp_path, 7, 1, seed=1, name="a"), _pair(tmp_path, 9, 1, seed=2, name="b")
    for (preds, targets, _), state in ((first, "a.json"), (second, "b.json")):
        runner.invoke(app, ["max_error", preds, targets, "--save-state", str(tmp_path / state), "-q"])
    merged = _value("merge", tmp_path / "a.json", tmp_path / "b.json", "-f", "value")
    assert merged == max(first[2].max(), second[2].max())


def test_a_median_over_shards_is_the_median_of_every_value(tmp_path: Path):
    """A folder of shards read in one process: each output's median of all 16 values (an even count: the
    mean of the middle two, as np.median and scikit-learn take it), then their mean."""
    shards = tmp_path / "shards"
    (shards / "p").mkdir(parents=True)
    (shards / "t").mkdir()
    values = []
    for k, n in enumerate((7, 9)):
        rng = np.random.default_rng(10 + k)
        p, t = rng.normal(size=(n, 3)), rng.normal(size=(n, 3))
        _csv(shards / "p" / f"{k}.csv", p)
        _csv(shards / "t" / f"{k}.csv", t)
        values.append(np.abs(p - t))
    expected = float(np.median(np.concatenate(values), axis=0).mean())
    got = _value("median_absolute_error", shards / "p", shards / "t", "-f", "value")
    assert got == pytest.approx(expected, rel=1e-15)


# --- calibration_error: bins of the predicted probability ----------------------------------------------

# torchmetrics' binary_calibration_error doctest (functional/classification/calibration_error.py): these
# five probabilities and outcomes in 2 bins give l1 0.2900, l2 0.2918, max 0.3167; written out, bin
# [0, 0.5) holds 0.25, 0.25 (outcomes 0, 0: gap 0.25) and [0.5, 1) holds 0.55, 0.75, 0.75 (outcomes 1, 1, 1:
# gap 1 - 0.68333...), so l1 = 2/5 0.25 + 3/5 0.31666... = 0.29 exactly in decimals.
DOCTEST_P, DOCTEST_T = [0.25, 0.25, 0.55, 0.75, 0.75], [0, 0, 1, 1, 1]


def _doctest_pair(tmp_path: Path) -> tuple[str, str]:
    return _csv(tmp_path / "p.csv", np.array(DOCTEST_P)[:, None]), _csv(
        tmp_path / "t.csv", np.array(DOCTEST_T)[:, None]
    )


def test_calibration_error_states_each_bins_n(tmp_path: Path):
    preds, targets = _doctest_pair(tmp_path)
    assert _value("calibration_error", preds, targets, "--bins", "2", "-f", "value") == pytest.approx(0.29, rel=1e-15)
    table = runner.invoke(app, ["ece", preds, targets, "--bins", "2"])
    assert table.exit_code == 0, table.stderr
    assert "n = 5 samples in 2 bins of p, n_b = 2, 3" in table.stdout
    assert "same as" not in table.stdout  # it is no np.mean of its terms
    data = json.loads(runner.invoke(app, ["ece", preds, targets, "--bins", "2", "-f", "json"]).stdout)[0]
    assert list(data)[list(data).index("per_output") + 1] == "bins"
    first, second, ones = data["bins"]
    assert (first["lower"], first["upper"], first["n"], first["mean_p"], first["mean_t"]) == (0.0, 0.5, 2, 0.25, 0.0)
    assert (second["n"], second["mean_t"]) == (3, 1.0) and second["mean_p"] == pytest.approx(2.05 / 3, rel=1e-15)
    assert ones == {"lower": 1.0, "upper": 1.0, "n": 0, "mean_p": None, "mean_t": None}  # p = 1's own slot


def test_a_probability_of_one_has_a_bin_of_its_own(tmp_path: Path):
    """torchmetrics bucketizes with right=True over B + 1 edges: p = 1 falls past the last bin. Four samples
    of p = 1 with outcomes 1, 1, 1, 0 and one of p = 0.5 with outcome 1, in 2 bins: slot [0.5, 1) has a gap
    of 0.5 (share 1/5), the slot of 1 a gap of 0.25 (share 4/5): l1 = 0.1 + 0.2 = 0.3."""
    preds = _csv(tmp_path / "p.csv", np.array([1.0, 1.0, 1.0, 1.0, 0.5])[:, None])
    targets = _csv(tmp_path / "t.csv", np.array([1, 1, 1, 0, 1])[:, None])
    assert _value("calibration_error", preds, targets, "--bins", "2", "-f", "value") == pytest.approx(0.3, rel=1e-15)
    table = runner.invoke(app, ["calibration_error", preds, targets, "--bins", "2"]).stdout
    assert "n_b = 0, 1 (+ 4 at p = 1)" in table


@pytest.mark.parametrize(
    "flags, found",
    [
        (["--ci"], "--ci does not apply"),
        (["--grad"], "--grad does not apply"),
        (["-r", "samples"], "only --reduce all applies"),
        (["--group-by", "sample"], "grouping does not apply"),
        (["--bins", "0"], "must be >= 1"),
        (["--norm", "l3"], "l3"),
    ],
)
def test_what_calibration_bins_cannot_be_is_refused(tmp_path: Path, flags, found):
    preds, targets = _doctest_pair(tmp_path)
    assert found in _refused("calibration_error", preds, targets, *flags)


def test_calibration_error_refuses_weights_columns_and_outcomes_not_0_or_1(tmp_path: Path):
    preds, targets = _doctest_pair(tmp_path)
    weights = _csv(tmp_path / "w.csv", np.ones((5, 1)))
    assert "takes no sample weights" in _refused("ece", preds, targets, "--weights", weights)
    two = _csv(tmp_path / "p2.csv", np.full((5, 2), 0.5))
    assert "give the positive class's column" in _refused("ece", two, _csv(tmp_path / "t2.csv", np.zeros((5, 2))))
    soft = _csv(tmp_path / "soft.csv", np.array([1, 0.5, 0, 1, 1])[:, None])
    assert "0.5 is not 0 or 1" in _refused("ece", preds, soft)
    outside = _csv(tmp_path / "big.csv", np.array([0.2, 1.5, 0.3, 0.4, 0.5])[:, None])
    assert "pass --from-logits" in _refused("ece", outside, targets)


def test_calibration_bins_of_two_shards_merge_to_the_one_runs_bits(tmp_path: Path):
    """Bins are exact sums (counts, outcomes, and the probabilities summed exactly): the states of two
    shards merge to the bits of one run over both."""
    rng = np.random.default_rng(7)
    p, t = rng.uniform(0, 1, (300, 1)), (rng.random((300, 1)) < 0.3) * 1.0
    whole = _value("ece", _csv(tmp_path / "p.csv", p), _csv(tmp_path / "t.csv", t), "--norm", "l2", "-f", "value")
    for name, rows in (("a", slice(0, 113)), ("b", slice(113, 300))):
        pair = _csv(tmp_path / f"p{name}.csv", p[rows]), _csv(tmp_path / f"t{name}.csv", t[rows])
        saved = runner.invoke(app, ["ece", *pair, "--norm", "l2", "--save-state", str(tmp_path / f"{name}.json"), "-q"])
        assert saved.exit_code == 0, saved.stderr
    merged = _value("merge", tmp_path / "a.json", tmp_path / "b.json", "-f", "value")
    assert merged == whole
