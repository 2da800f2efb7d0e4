"""Targets read a block at a time, mapped as the whole input maps them: hinge labels to
-1/1, and class labels by name or by position.

Keras maps targets all in {0, 1} to 2 t - 1; scikit-learn makes the greater of two labels
+1 and a lone label -1. Both maps are properties of every target at once. Read a block at a
time, a block holding only 1s (a file sorted by label) used to become all -1 under
``--like sklearn``: a silent wrong number. The expected values are scikit-learn's
``hinge_loss`` on the whole arrays; the inputs span many blocks (64 rows each).
"""

import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm
from jsonout import loaded

RNG = np.random.default_rng(31)
N = 1000


@pytest.fixture
def small_blocks(monkeypatch):
    from losscli.io import inputs, npy, text

    monkeypatch.setattr(inputs, "BLOCK_ELEMENTS", 64)
    monkeypatch.setattr(text, "CHUNK_BYTES", 2048)
    monkeypatch.setattr(npy, "CHUNK_BYTES", 1024)


def _files(tmp_path, pred, target, fmt="csv", stem=""):
    p, t = tmp_path / f"{stem}p.{fmt}", tmp_path / f"{stem}t.{fmt}"
    if fmt == "npy":
        np.save(p, pred), np.save(t, target)
    else:
        pd.Series(pred, name="decision").to_csv(p)  # pandas' defaults: index column and header
        pd.Series(target, name="y").to_csv(t)
    return p, t


def _value(result) -> float:
    assert result.exit_code == 0, result.stderr
    return loaded(result.stdout)["value"]


@pytest.mark.parametrize("labels", [(0.0, 1.0), (-1.0, 1.0), (1.0, 2.0), (3.0, 7.0)])
@pytest.mark.parametrize("fmt", ["csv", "npy"])
def test_sorted_labels_ascending_give_sklearn(run, tmp_path, small_blocks, labels, fmt):
    """Every block holds one label; the greater label's blocks come last."""
    target = np.repeat(labels, N // 2)
    pred = RNG.normal(size=N)
    p, t = _files(tmp_path, pred, target, fmt)
    for jobs in ("1", "2"):
        got = _value(run("hinge", p, t, "--like", "sklearn", "--format", "json", "--level", "element", "--jobs", jobs))
        assert got == pytest.approx(skm.hinge_loss(target, pred), rel=1e-12)


def test_shuffled_labels_give_sklearn(run, tmp_path, small_blocks):
    target = RNG.choice([2.0, 5.0], size=N)
    pred = RNG.normal(size=N)
    p, t = _files(tmp_path, pred, target)
    got = _value(run("hinge", p, t, "--like", "sklearn", "--format", "json", "--level", "element", "--jobs", "2"))
    assert got == pytest.approx(skm.hinge_loss(target, pred), rel=1e-12)  # LabelBinarizer: 5 is +1


def test_one_label_is_minus_one_as_sklearn(run, tmp_path, small_blocks):
    target = np.ones(N)
    pred = RNG.normal(size=N)
    p, t = _files(tmp_path, pred, target)
    got = _value(run("hinge", p, t, "--like", "sklearn", "--format", "json", "--level", "element"))
    assert got == pytest.approx(skm.hinge_loss(target, pred), rel=1e-12)  # every target -1


def test_a_smaller_label_after_blocks_of_one_label_is_refused(run, tmp_path, small_blocks):
    """Sorted descending: the 1s were computed as the lesser label before 0 showed up."""
    target = np.repeat([1.0, 0.0], N // 2)
    p, t = _files(tmp_path, RNG.normal(size=N), target)
    out = run("hinge", p, t, "--like", "sklearn")
    assert out.exit_code == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1
    assert f"{t}: line {N // 2 + 2}, column 2: label 0.0 after rows that held only 1.0" in out.stderr


def test_a_third_label_is_refused_as_sklearn_does(run, tmp_path, small_blocks):
    target = np.repeat([0.0, 1.0, 2.0], [400, 400, 200])
    pred = RNG.normal(size=N)
    with pytest.raises(ValueError):  # scikit-learn refuses too: a multiclass target needs a column per class
        skm.hinge_loss(target, pred)
    p, t = _files(tmp_path, pred, target)
    out = run("hinge", p, t, "--like", "sklearn")
    assert out.exit_code == 2 and "target 2.0 is a third label after 0.0 and 1.0" in out.stderr


def test_keras_refuses_0_1_and_minus_1_1_blocks_in_one_input(run, tmp_path, small_blocks):
    """Each block alone is a valid encoding; together they are not (Keras would not map the 0s)."""
    target = np.r_[RNG.choice([0.0, 1.0], size=N // 2), RNG.choice([-1.0, 1.0], size=N // 2)]
    target[0], target[N // 2] = 0.0, -1.0
    p, t = _files(tmp_path, RNG.normal(size=N), target)
    out = run("hinge", p, t)
    assert out.exit_code == 2 and out.stdout == ""
    where = f"{t}: line {N // 2 + 2}, column 2"
    assert f"{where}: -1.0 is not a label in {{0, 1}}; hinge needs targets all in" in out.stderr


def test_keras_blocks_of_one_encoding_give_keras(run, tmp_path, small_blocks):
    """0/1 targets sorted: blocks of only 1s and of only 0s; Keras maps them all as 2 t - 1."""
    target = np.repeat([1.0, 0.0], N // 2)
    pred = RNG.normal(size=N)
    p, t = _files(tmp_path, pred, target)
    got = _value(run("hinge", p, t, "--format", "json", "--level", "element"))
    assert got == pytest.approx(np.mean(np.maximum(1 - (2 * target - 1) * pred, 0)), rel=1e-12)


def test_compare_row_of_sklearn_is_refused_not_the_run(run, tmp_path, small_blocks):
    """--compare: the scikit-learn row says why; the loss itself (Keras's map) is right."""
    target = np.repeat([1.0, 0.0], N // 2)
    pred = RNG.normal(size=N)
    p, t = _files(tmp_path, pred, target)
    out = run("hinge", p, t, "--compare", "--format", "json", "--level", "element")
    assert out.exit_code == 0, out.stderr
    rows = loaded(out.stdout)
    keras = next(row for row in rows if row["framework"] == "Keras" and row["reduce"] == "all")
    # Keras's call computes in float32 (its floatx): at the tolerance of Keras's own tests
    expected = np.mean(np.maximum(1 - (2 * target - 1) * pred, 0))
    assert keras["value"] == pytest.approx(expected, rel=1e-6, abs=1e-6)
    sklearn_rows = [row for row in rows if row["framework"] == "scikit-learn"]
    assert sklearn_rows, rows
    assert all(row["value"] is None and "after rows that held only 1.0" in row["note"] for row in sklearn_rows)


def test_merged_states_check_the_labels_of_every_run(run, tmp_path):
    """Two runs, one label each: each alone maps its lone label to -1; merged, 1 is the greater."""
    pred = RNG.normal(size=N)
    target = np.repeat([1.0, 0.0], N // 2)
    paths = []
    for k, rows in enumerate((slice(0, N // 2), slice(N // 2, N))):
        p, t = _files(tmp_path, pred[rows], target[rows], stem=f"s{k}")
        state = tmp_path / f"state{k}.json"
        out = run("hinge", p, t, "--like", "sklearn", "--save-state", state, "--quiet")
        assert out.exit_code == 0, out.stderr
        paths.append(state)
    out = run("merge", *paths)
    assert out.exit_code == 2 and "label 0.0 after rows that held only 1.0" in out.stderr


def _label_shards(tmp_path, pred, target, parts=2):
    (tmp_path / "p").mkdir(), (tmp_path / "t").mkdir()
    for k, rows in enumerate(np.array_split(np.arange(len(pred)), parts)):
        np.save(tmp_path / "p" / f"part-{k}.npy", pred[rows])
        np.save(tmp_path / "t" / f"part-{k}.npy", target[rows])
    return str(tmp_path / "p" / "part-*.npy"), str(tmp_path / "t" / "part-*.npy")


def test_shards_of_one_label_each_give_sklearn(run, tmp_path):
    pred, target = RNG.normal(size=N), np.repeat([0.0, 1.0], N // 2)
    preds, targets = _label_shards(tmp_path, pred, target)
    got = _value(run("hinge", preds, targets, "--like", "sklearn", "--format", "json", "--level", "element"))
    assert got == pytest.approx(skm.hinge_loss(target, pred), rel=1e-12)


def test_dask_shards_check_the_labels_of_every_shard(run, tmp_path):
    """Each worker sees one label; merged in, the 1s were the greater label after all."""
    pred, target = RNG.normal(size=N), np.repeat([1.0, 0.0], N // 2)
    preds, targets = _label_shards(tmp_path, pred, target)
    out = run("hinge", preds, targets, "--like", "sklearn", "--dask", "--jobs", "2")
    assert out.exit_code == 2 and "label 0.0 after rows that held only 1.0" in out.stderr


def test_labels_matched_by_name_from_the_first_blocks_say_how_to_decide_otherwise(run, tmp_path, small_blocks):
    """Columns named 1, 2, 3 and labels 1 and 2 in the first blocks: matched by name; a later 0
    names no column, and the message says why names were used and what overrides it."""
    proba = RNG.dirichlet(np.ones(3), size=N)
    labels = np.r_[np.ones(N // 2), np.full(N // 2 - 1, 2.0), [0.0]]
    pd.DataFrame(proba, columns=["1", "2", "3"]).to_csv(tmp_path / "p.csv")
    pd.Series(labels.astype(int), name="y").to_csv(tmp_path / "y.csv")
    out = run("sparse_cce", tmp_path / "p.csv", tmp_path / "y.csv")
    assert out.exit_code == 2 and out.stderr.count("\n") == 1
    assert "'0' is not one of the classes 1, 2, 3" in out.stderr and "pass --classes" in out.stderr
    given = run(
        "sparse_cce",
        tmp_path / "p.csv",
        tmp_path / "y.csv",
        "--classes",
        "0,1,2",
        "--format",
        "json",
        "--level",
        "element",
    )
    assert _value(given) == pytest.approx(skm.log_loss(labels, proba, labels=[0, 1, 2]), rel=1e-12)


def test_explain_checks_sklearn_hinge_gradients_under_the_whole_inputs_map(run, tmp_path):
    """--explain --grad recomputes each sample alone; alone, a label is always -1 under
    scikit-learn's map, so the check maps by every target first (the difference is 0)."""
    p, t = _files(tmp_path, np.array([0.5, -0.2, 1.5, 0.1]), np.array([0.0, 1.0, 1.0, 0.0]))
    out = run("hinge", p, t, "--like", "sklearn", "--explain", "--grad")
    assert out.exit_code == 0, out.stderr
    assert "(largest difference 0.0e+00)" in " ".join(out.stdout.split())


def test_a_frameworks_constant_is_not_an_option(run, tmp_path):
    p, t = _files(tmp_path, RNG.normal(size=4), np.array([0.0, 1.0, 1.0, 0.0]))
    out = run("hinge", p, t, "--label-map", "sklearn")
    assert out.exit_code == 2 and out.stdout == ""
    assert "--label-map is a framework's constant, not an option: --like sets it" in out.stderr
