"""Hostile pass II: shard sets paired by name, columns matched by name, no input counted twice.

- shards pair by name (the path below the pattern's folder without the extension, or what the
  wildcards matched), never by sorted place: ``part-1..10`` against ``part-01..10`` and
  ``p/{a,b}`` against ``t/{b,c}`` are errors naming the first shard without a partner;
- every shard's columns are read by its own header: sparse_cce shards whose headers list the
  classes in other orders give what each file alone gives and what ``merge`` of their states
  gives, and per-output sums add up by name; columns that cannot be matched are refused;
- one input counted twice is refused: ``part-0.csv.gz`` beside ``part-0.csv``, a link to
  another shard, a shard pair copied, ``merge s.json s.json`` of a state read from stdin.

Expected values: predictions equal to their targets give mse 0; the sparse_cce of each file is
losscli's own one-file run (checked against scikit-learn's log_loss elsewhere), and the sharded
value is the row-weighted mean of those (math.fsum of each file's total / all rows).
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from jsonout import loaded

CLASSES = ["cat", "dog", "fox"]


def _fails(result, *fragments) -> str:
    assert result.exit_code == 2, (result.exit_code, result.stdout[-300:], result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("losscli: error: "), result.stderr
    assert "this is a bug" not in lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def _csv(path, values) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savetxt(path, values, delimiter=",", fmt="%.17g")


def _value(result) -> float:
    assert result.exit_code == 0, result.stderr
    return float(result.stdout)


# --- pairing by name ------------------------------------------------------------------------------------


def test_part_1_to_10_never_pairs_with_part_01_to_10(run, tmp_path):
    """Every prediction equals its target, but sorted places pair part-10 with part-02: mse 7.2 was printed."""
    rng = np.random.default_rng(1)
    for k in range(1, 11):
        values = rng.random((5 + k, 2)) * k
        _csv(tmp_path / "p" / f"part-{k}.csv", values)
        _csv(tmp_path / "t" / f"part-{k:02d}.csv", values)
    for args in ((tmp_path / "p", tmp_path / "t"), (f"{tmp_path}/p/part-*.csv", f"{tmp_path}/t/part-*.csv")):
        _fails(run("mse", *args, "-f", "value"), "do not pair by name", "part-01.csv has no partner named 'part-01'")


def test_shard_names_that_differ_are_an_error_naming_the_first(run, tmp_path):
    for folder, names in (("p", "ab"), ("t", "bc")):
        for name in names:
            _csv(tmp_path / folder / f"{name}.csv", np.ones((3, 2)))
    _fails(run("mse", tmp_path / "p", tmp_path / "t"), f"{tmp_path / 'p' / 'a.csv'} has no partner named 'a'")


def test_shards_of_other_formats_and_folders_pair_by_name(run, tmp_path):
    """preds/part-k.npy with targets/part-k.csv (a glob against a directory); and data/preds_k.csv
    with data/targets_k.csv, paired by what the wildcards matched."""
    rng = np.random.default_rng(2)
    for k in range(12):
        values = rng.random((4, 3)) + k
        (tmp_path / "preds").mkdir(exist_ok=True)
        np.save(tmp_path / "preds" / f"part-{k}.npy", values)
        _csv(tmp_path / "targets" / f"part-{k}.csv", values)
        _csv(tmp_path / "data" / f"preds_{k}.csv", values)
        _csv(tmp_path / "data" / f"targets_{k}.csv", values)
    assert _value(run("mse", f"{tmp_path}/preds/*.npy", tmp_path / "targets", "-f", "value")) == 0.0
    glob_pair = (f"{tmp_path}/data/preds_*.csv", f"{tmp_path}/data/targets_*.csv")
    assert _value(run("mse", *glob_pair, "-f", "value")) == 0.0


def test_a_shard_missing_from_one_pattern_is_named_with_the_counts(run, tmp_path):
    for k in range(3):
        _csv(tmp_path / "p" / f"s{k}.csv", np.ones((2, 2)))
        if k != 1:
            _csv(tmp_path / "t" / f"s{k}.csv", np.ones((2, 2)))
    _fails(run("mse", tmp_path / "p", tmp_path / "t"), "3,", "2 files", "s1.csv has no partner named 's1'")


# --- class names and columns through each shard's own header ------------------------------------------


@pytest.fixture
def class_shards(tmp_path):
    """Two sparse_cce shards of 40 samples whose headers list the classes in other orders, their
    labels as names (y/) and as positions in each file's own columns (yi/)."""
    rng = np.random.default_rng(3)
    for k, order in enumerate((["cat", "dog", "fox"], ["fox", "cat", "dog"])):
        proba = pd.DataFrame(rng.dirichlet([1, 1, 1], 40), columns=CLASSES)
        labels = rng.choice(CLASSES, 40)
        for folder in ("p", "y", "yi"):
            (tmp_path / folder).mkdir(exist_ok=True)
        proba[order].to_csv(tmp_path / "p" / f"part-{k}.csv", index=False)
        pd.Series(labels, name="y").to_csv(tmp_path / "y" / f"part-{k}.csv", index=False)
        positions = [order.index(label) for label in labels]
        pd.Series(positions, name="y").to_csv(tmp_path / "yi" / f"part-{k}.csv", index=False)
    return tmp_path


def test_sparse_cce_shards_map_labels_through_their_own_headers(run, class_shards):
    folder = class_shards
    alone = []
    for k in range(2):
        one = loaded(
            run(
                "sparse_cce", folder / f"p/part-{k}.csv", folder / f"y/part-{k}.csv", "-f", "json", "--level", "element"
            ).stdout
        )
        alone.append(one)
    expected = (alone[0]["total"] + alone[1]["total"]) / 80  # the rows of both, each file's own value
    for labels in ("y", "yi"):
        sharded = loaded(run("sparse_cce", folder / "p", folder / labels, "-f", "json", "--level", "element").stdout)
        assert sharded["value"] == pytest.approx(expected, rel=1e-15), labels  # 0.383 was printed: 0.484 is right
        # per-output sums by class name: the second file's columns are fox, cat, dog
        second = dict(zip(["fox", "cat", "dog"], np.array(alone[1]["per_output"]) * 40, strict=True))
        by_name = [(alone[0]["per_output"][j] * 40 + second[c]) / 80 for j, c in enumerate(CLASSES)]
        np.testing.assert_allclose(sharded["per_output"], by_name, rtol=1e-14)


def test_merge_of_states_with_other_header_orders_adds_outputs_by_name(run, class_shards):
    folder = class_shards
    states = []
    for k in range(2):
        state = folder / f"s{k}.json"
        assert run("sparse_cce", folder / f"p/part-{k}.csv", folder / f"y/part-{k}.csv", "--save-state", state, "-q")
        states.append(state)
    merged = loaded(run("merge", *states, "-f", "json", "--level", "element").stdout)
    sharded = loaded(run("sparse_cce", folder / "p", folder / "y", "-f", "json", "--level", "element").stdout)
    assert merged["value"] == pytest.approx(sharded["value"], rel=1e-15)
    np.testing.assert_allclose(merged["per_output"], sharded["per_output"], rtol=1e-14)
    table = run("merge", *states)  # the kept rows' values and labels moved with their columns
    assert table.exit_code == 0, table.stderr


def test_shards_whose_columns_are_not_the_same_names_are_refused(run, tmp_path):
    pd.DataFrame(np.ones((3, 2)) / 2, columns=["a", "b"]).to_csv(tmp_path / "p0.csv", index=False)
    pd.DataFrame(np.ones((3, 2)) / 2, columns=["a", "c"]).to_csv(tmp_path / "p1.csv", index=False)
    np.savetxt(tmp_path / "p2.csv", np.ones((3, 2)) / 2, delimiter=",")
    for k in range(3):
        pd.DataFrame(np.zeros((3, 2)), columns=["a", "b"]).to_csv(tmp_path / f"t{k}.csv", index=False)
    _fails(
        run("mse", f"{tmp_path}/p[01].csv", f"{tmp_path}/t[01].csv"),
        "p1.csv: its predictions columns are a, c where the first shard's are a, b",
    )
    _fails(run("mse", f"{tmp_path}/p[02].csv", f"{tmp_path}/t[02].csv"), "p2.csv: has no header where")


def test_merge_of_states_of_other_columns_is_refused(run, tmp_path):
    for k, names in enumerate((["a", "b"], ["a", "c"])):
        pd.DataFrame(np.full((3, 2), 0.5 + k), columns=names).to_csv(tmp_path / f"p{k}.csv", index=False)
        pd.DataFrame(np.zeros((3, 2)), columns=names).to_csv(tmp_path / f"t{k}.csv", index=False)
        run("mse", tmp_path / f"p{k}.csv", tmp_path / f"t{k}.csv", "--save-state", tmp_path / f"s{k}.json", "-q")
    _fails(run("merge", tmp_path / "s0.json", tmp_path / "s1.json"), "s1.json: holds the columns a, c where")


# --- one input counted twice ---------------------------------------------------------------------------


@pytest.fixture
def pair(tmp_path):
    rng = np.random.default_rng(6)
    for k in range(3):
        _csv(tmp_path / "p" / f"part-{k}.csv", rng.random((4, 2)))
        _csv(tmp_path / "t" / f"part-{k}.csv", rng.random((4, 2)))
    return tmp_path


def test_a_gzipped_copy_beside_its_shard_is_refused(run, pair):
    import gzip

    (pair / "p" / "part-0.csv.gz").write_bytes(gzip.compress((pair / "p" / "part-0.csv").read_bytes()))
    _fails(run("mse", pair / "p", pair / "t"), "part-0.csv and", "part-0.csv.gz are one shard under two names")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_link_to_another_shard_is_refused(run, pair):
    os.symlink("part-1.csv", pair / "p" / "part-3.csv")
    _csv(pair / "t" / "part-3.csv", np.ones((4, 2)))
    _fails(run("mse", pair / "p", pair / "t"), "is the same file as", "(a link)")


def test_a_copied_shard_pair_is_refused(run, pair):
    for folder in ("p", "t"):
        (pair / folder / "part-9.csv").write_bytes((pair / folder / "part-1.csv").read_bytes())
    _fails(run("mse", pair / "p", pair / "t"), "holds the same bytes as", "counted twice")


def test_shards_of_the_same_targets_are_not_copies(run, pair):
    """Targets alike (all zeros) in every shard are no copy: the predictions differ."""
    for k in range(3):
        _csv(pair / "t" / f"part-{k}.csv", np.zeros((4, 2)))
    p = np.concatenate([np.loadtxt(pair / "p" / f"part-{k}.csv", delimiter=",") for k in range(3)])
    assert _value(run("mse", pair / "p", pair / "t", "-f", "value")) == pytest.approx(np.mean(p**2), rel=1e-14)


def test_merge_of_a_stdin_state_with_itself_is_refused(run, tmp_path):
    state = tmp_path / "s.json"
    data = "p,y\n0.5,1\n0.5,0\n0.1,0\n0.9,1\n"  # one file, on stdin: no input with a digest to compare
    result = run("mse", "-", "--pred-col", "p", "--target-col", "y", "--save-state", state, "-q", input=data)
    assert result.exit_code == 0, result.stderr
    _fails(run("merge", state, state), "s.json: is given twice", "--allow-duplicates")
    (tmp_path / "copy.json").write_bytes(state.read_bytes())
    _fails(run("merge", state, tmp_path / "copy.json"), "copy.json: holds the same sums as")
    allowed = run("merge", state, state, "--allow-duplicates", "-f", "value")
    # the squared errors 0.25, 0.25, 0.01, 0.01, counted twice: the mean is still 0.52 / 4
    assert allowed.exit_code == 0 and float(allowed.stdout) == pytest.approx(0.13, rel=1e-15)


# --- two plain files whose headers list the same columns in other orders ----------------------------------


def test_targets_whose_header_lists_the_outputs_in_another_order_are_matched_by_name(run, tmp_path):
    """pandas writes frames with their columns; ``df[["b", "a"]].to_csv()`` against ``df.to_csv()`` was
    scored column against column by position: every output against another. Expected: predictions equal
    to their targets name by name give mse 0 (pandas' ``(pred - true[pred.columns])``), with a note."""
    frame = pd.DataFrame({"a": [0.1, 0.4, 0.7], "b": [0.9, 0.6, 0.2]})
    frame.to_csv(tmp_path / "p.csv", index=False)
    frame[["b", "a"]].to_csv(tmp_path / "t.csv", index=False)
    result = run("mse", str(tmp_path / "p.csv"), str(tmp_path / "t.csv"), "-f", "json", "--level", "element")
    assert result.exit_code == 0, result.stderr
    data = loaded(result.stdout)
    assert data["value"] == 0.0
    assert "matched to the prediction column of its name" in result.stderr
    shards = tmp_path / "shards"
    (shards / "p").mkdir(parents=True)
    (shards / "t").mkdir()
    for k in range(2):  # and shard by shard, each read by its own header
        frame.to_csv(shards / "p" / f"part-{k}.csv", index=False)
        (frame if k else frame[["b", "a"]]).to_csv(shards / "t" / f"part-{k}.csv", index=False)
    assert _value(run("mse", str(shards / "p"), str(shards / "t"), "-f", "value")) == 0.0
