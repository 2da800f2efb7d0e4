"""The catalogue's command-line features: class labels, class and sample weights,
array options, per-sample-only losses, and every invalid label or option.

Numerical agreement with the frameworks is in test_reference.py; here the expected
values are computed by the definition in plain NumPy, next to each test.
"""

import numpy as np
import pytest
from conftest import SAMPLES
from jsonout import loaded
from test_errors import _fails

PROBS = [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4], [0.25, 0.5, 0.25]]
LABELS = [0, 1, 2, 1]


@pytest.fixture
def files(tmp_path):
    def write(name, rows):
        path = tmp_path / name
        path.write_text("".join(",".join(str(x) for x in np.atleast_1d(row)) + "\n" for row in rows))
        return path

    return write


def _json(result):
    assert result.exit_code == 0, result.stderr
    return loaded(result.stdout)


def test_sparse_cce_takes_labels(run, files):
    data = _json(run("sparse_cce", files("p.csv", PROBS), files("y.csv", LABELS), "-f", "json", "--level", "element"))
    # mean over samples of -log p[y]
    expected = -np.mean(np.log([0.7, 0.8, 0.4, 0.5]))
    assert data["value"] == pytest.approx(expected, rel=1e-12)
    assert data["n"] == 4 and data["reduce"] == "samples"


def test_ignore_index_shrinks_n(run, files):
    data = _json(
        run(
            "sparse_cce",
            files("p.csv", PROBS),
            files("y.csv", [0, -100, 2, -100]),
            "--ignore-index",
            "-100",
            "-f",
            "json",
            "--level",
            "sample",
        )
    )
    assert data["n"] == 2.0
    assert data["weights"] == {"divisor": "count", "value": 2.0}
    assert data["value"] == pytest.approx(-np.mean(np.log([0.7, 0.4])), rel=1e-12)
    assert data["per_sample"][1] == 0.0


def test_class_weights_divide_by_the_targets_weights(run, files):
    weights = [1.0, 2.0, 0.5]
    data = _json(
        run(
            "sparse_cce",
            files("p.csv", PROBS),
            files("y.csv", LABELS),
            "--class-weights",
            files("w.csv", [weights]),
            "-f",
            "json",
        )
    )
    w = np.array(weights)[LABELS]  # 1, 2, 0.5, 2: their sum 5.5 is n
    assert data["n"] == pytest.approx(5.5)
    assert data["weights"]["divisor"] == "class_weights"
    assert data["value"] == pytest.approx(np.sum(-w * np.log([0.7, 0.8, 0.4, 0.5])) / 5.5, rel=1e-12)


def test_class_weights_table_says_so(run, files):
    out = run(
        "nll",
        files("p.csv", np.log(PROBS)),
        files("y.csv", LABELS),
        "--class-weights",
        files("w.csv", [[1.0, 2.0, 0.5]]),
    ).stdout
    out = " ".join(out.split())  # Rich wraps long lines
    assert "n = sum of the targets' class weights = 5.5" in out
    assert "divides by the sum of the targets' class weights" in out


def test_sample_weights_and_the_divisor(run, files):
    p, t, w = [1.0, 2.0, 4.0], [1.5, 2.0, 3.0], [1.0, 1.0, 2.0]
    args = [
        "mae",
        files("p.csv", p),
        files("t.csv", t),
        "--weights",
        files("w.csv", w),
        "-f",
        "json",
        "--level",
        "element",
    ]
    # weighted absolute errors 0.5, 0, 2: sum 2.5; scikit-learn divides by sum(w) = 4, Keras by N = 3
    assert _json(run(*args))["value"] == pytest.approx(2.5 / 4, rel=1e-12)
    assert _json(run(*args, "--weight-divisor", "count"))["value"] == pytest.approx(2.5 / 3, rel=1e-12)


def test_pos_weight_number_equals_file(run, files):
    p, t = files("p.csv", [[0.5, -1.0], [2.0, 0.3]]), files("t.csv", [[1, 0], [1, 1]])
    by_number = _json(run("bce", p, t, "--from-logits", "--pos-weight", "3", "-f", "json", "--level", "element"))
    by_file = _json(
        run("bce", p, t, "--from-logits", "--pos-weight", files("pw.csv", [[3, 3]]), "-f", "json", "--level", "element")
    )
    assert by_number["per_element"] == by_file["per_element"]
    # t = 1: 3 softplus(-x); t = 0: softplus(x)
    assert by_number["per_element"][0] == pytest.approx([3 * np.log1p(np.exp(-0.5)), np.log1p(np.exp(-1.0))])


def test_var_number_file_and_per_sample(run, files):
    p, t = files("p.csv", [[1.0, 2.0], [0.0, 1.0]]), files("t.csv", [[0.0, 0.0], [0.0, 0.0]])
    one = _json(run("gaussian_nll", p, t, "--var", "2", "-f", "json", "--level", "element"))
    per_sample = _json(run("gaussian_nll", p, t, "--var", files("v.csv", [2, 2]), "-f", "json", "--level", "element"))
    assert one["per_element"] == per_sample["per_element"]
    # 0.5 (log 2 + d^2 / 2) for d = 1, 2, 0, 1
    expected = np.mean([0.5 * (np.log(2) + d * d / 2) for d in (1.0, 2.0, 0.0, 1.0)])
    assert one["value"] == pytest.approx(expected, rel=1e-12)


def test_rmse_root_after_the_reduction(run):
    out = run("rmse", SAMPLES / "preds.csv", SAMPLES / "targets.csv")
    # the seed: MSE 0.0235 over 20 elements; RMSE is its root
    assert float(run("rmse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "-f", "value").stdout) == pytest.approx(
        np.sqrt(0.0235), rel=1e-12
    )
    assert "root taken after the reduction" in " ".join(out.stdout.split())


def test_per_sample_only_loss_shows_no_element_table(run):
    out = run("cosine_similarity", SAMPLES / "preds.csv", SAMPLES / "targets.csv").stdout
    assert "Per-element" not in out and "Per-output" not in out
    assert "Per-sample loss  L[i] = -p . t / (|p| |t|)" in out


@pytest.mark.parametrize("loss", ["cosine_similarity", "categorical_hinge", "dice"])
@pytest.mark.parametrize("reduce", ["all", "outputs"])
def test_per_sample_only_losses_refuse_element_reductions(run, loss, reduce):
    _fails(
        run(loss, SAMPLES / "preds.csv", SAMPLES / "targets.csv", "-r", reduce),
        f"--reduce {reduce} needs per-element terms",
        f"{loss} exists only per sample",
    )


def test_wmape_is_a_ratio(run, files):
    data = _json(
        run("wmape", files("p.csv", [1.0, 3.0]), files("t.csv", [2.0, 2.0]), "-f", "json", "--level", "element")
    )
    assert data["value"] == pytest.approx(2.0 / 4.0, rel=1e-12)  # sum |p - t| / sum |t|
    _fails(run("wmape", files("p.csv", [1.0]), files("t.csv", [2.0]), "-r", "samples"), "only --reduce all")


def test_list_json_says_targets_and_reductions(run):
    listed = {entry["name"]: entry for entry in loaded(run("list", "-f", "json").stdout)}
    assert listed["sparse_cce"]["targets"] == "labels"
    assert listed["cosine_similarity"]["reductions"] == ["samples", "none"]
    assert listed["cosine_similarity"]["aliases"] == ["cosine_proximity"]


def test_help_gives_every_formula(run):
    from losscli import LOSSES

    for loss in LOSSES:
        text = " ".join(run(loss.name, "--help").stdout.split())
        assert f"{loss.formula}" in text, loss.name
        assert f"--reduce {loss.default_reduce}" in text, loss.name


# --- invalid labels, options and domains ---------------------------------------------


@pytest.mark.parametrize(
    "labels, line, value", [([2, 1.5, 0, 1], 2, "1.5"), ([2, 1, 3, 1], 3, "3.0"), ([2, -1, 0, 1], 2, "-1.0")]
)
@pytest.mark.parametrize("loss", ["sparse_cce", "nll", "multi_margin"])
def test_bad_labels_name_the_first_bad_row(run, files, loss, labels, line, value):
    preds = np.log(PROBS) if loss == "nll" else PROBS
    _fails(
        run(loss, files("p.csv", preds), files("y.csv", labels)),
        f"y.csv: line {line}, column 1: {value} is not a class label in [0, 3)",
    )


def test_labels_of_the_wrong_shape(run, files):
    _fails(
        run("sparse_cce", files("p.csv", PROBS), files("y.csv", PROBS)),
        "y.csv: has 3 columns; the loss takes class labels, one per sample in one column",
    )


def test_all_samples_ignored(run, files):
    _fails(
        run("sparse_cce", files("p.csv", PROBS), files("y.csv", [1, 1, 1, 1]), "--ignore-index", "1"),
        "no sample counts",
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["bce", "--pos-weight", "2"], "--pos-weight applies only with --from-logits"),
        (["kld", "--log-target"], "--log-target applies only with --log-input"),
        (["gaussian_nll"], "gaussian_nll needs --var"),
        (["tweedie_deviance", "--power", "0.5"], "--power 0.5 is out of range: must be <= 0 or >= 1"),
        (["pinball", "--quantile", "1.5"], "--quantile 1.5 is out of range"),
        (["cce", "--label-smoothing", "1"], "--label-smoothing 1.0 is out of range"),
        (["multi_margin", "--p", "3"], "--p 3 is out of range: must be 1 or 2"),
        (["mse", "--class-weights", "1"], "--class-weights does not apply to mse"),
    ],
)
def test_bad_options(run, args, message):
    loss, *options = args
    _fails(run(loss, SAMPLES / "preds.csv", SAMPLES / "preds.csv", *options), message)


def test_weights_of_the_wrong_length(run, files):
    _fails(
        run("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "--weights", files("w.csv", [1, 2, 3])),
        "preds.csv has 2 rows but",
        "w.csv has 3; every input needs one row per sample",
    )


def test_negative_weight(run, files):
    _fails(
        run("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "--weights", files("w.csv", [1, -2])),
        "w.csv: line 2, column 1: -2.0 is negative",
    )


def test_class_weights_of_the_wrong_length(run, files):
    _fails(
        run("sparse_cce", files("p.csv", PROBS), files("y.csv", LABELS), "--class-weights", files("w.csv", [[1, 2]])),
        "--class-weights: holds 2 weights for 3 classes",
    )


def test_var_of_the_wrong_shape_or_sign(run, files):
    p = files("p.csv", [[1.0, 2.0], [0.0, 1.0]])
    _fails(run("gaussian_nll", p, p, "--var", files("v.csv", [1, 2, 3])), "--var: has shape (3, 1)")
    _fails(run("gaussian_nll", p, p, "--var", "-1"), "--var: holds a negative variance")


@pytest.mark.parametrize(
    "loss, preds, targets, fragment",
    [
        ("cce", [[0.5, -0.2]], [[1, 0]], "-0.2 is negative; cce needs predictions >= 0"),
        ("cce", [[0.0, 0.0]], [[1, 0]], "0.0 is in a row that sums to 0"),
        ("kld", [[0.5, 1.5]], [[0.5, 0.5]], "1.5 is not in [0, 1]"),
        ("nll", [[-0.5, 0.2]], [0], "0.2 is positive; nll needs predictions that are log-probabilities"),
        ("soft_margin", [[0.5]], [[0]], "0.0 is not -1 or 1"),
        ("gamma_deviance", [[0.5]], [[0]], "0.0 is not positive; gamma_deviance needs targets > 0"),
        ("poisson_deviance", [[0.0]], [[1]], "0.0 is not positive; poisson_deviance needs predictions > 0"),
        ("dice", [[0.5, 1.2]], [[1, 0]], "1.2 is not in [0, 1]"),
        ("js", [[0.5, 0.5]], [[0, 0]], "in a row that sums to 0"),
        ("focal", [[1.5]], [[1]], "pass --from-logits"),
    ],
)
def test_out_of_domain_values(run, files, loss, preds, targets, fragment):
    _fails(run(loss, files("p.csv", preds), files("t.csv", targets)), fragment)


def test_every_loss_has_exactly_one_task_and_list_groups_and_filters_them():
    """losscli list is the registry by task (issue 23): every loss in one task, a heading per task, and
    'losscli list TASK' lists that task's losses only."""
    from typer.testing import CliRunner

    from losscli.cli.app import app
    from losscli.core.registry import LOSSES, TASKS

    listed = [name for names in TASKS.values() for name in names]
    assert sorted(listed) == sorted(loss.name for loss in LOSSES) and len(set(listed)) == len(listed)
    runner = CliRunner()
    whole = runner.invoke(app, ["list"]).stdout
    assert all(f"{task} ({len(names)})" in whole for task, names in TASKS.items())
    one = runner.invoke(app, ["list", "segmentation"])
    assert one.exit_code == 0 and "dice" in one.stdout and "mse" not in one.stdout
    assert "matches" in runner.invoke(app, ["list", "regression", "--details"]).stdout
    bad = runner.invoke(app, ["list", "bogus"])
    assert bad.exit_code == 2 and "no such task" in bad.stderr
