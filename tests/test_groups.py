"""Groups through the command line (docs/groups.md, issue 21): each group's n, value and share, the
pooled value, the mean of the groups' values and the gap.

Where the expected numbers come from:
- a group's value and n are those of an ungrouped run of losscli over that group's rows alone (the
  definition: "inside each group every --reduce, weight, mask, ignored label and dropped row applies as
  in an ungrouped run"), checked for every kind of loss (element, label, root, ratio) and reduction;
- the pooled value is the ungrouped run's own value, bit for bit;
- the micro-batch example is the issue's arithmetic (7 and 2 valid tokens, means 2.127 and 3.418);
- the per-sequence values of an N-D input are NumPy's own per-sequence token means.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from jsonout import loaded
from typer.testing import CliRunner

from losscli.cli.app import app
from losscli.io import inputs as inputs_module

runner = CliRunner()
RTOL = 1e-12


def run(*args: str):
    result = runner.invoke(app, [str(a) for a in args])
    return result


def ok_json(*args: str) -> dict:
    result = run(*args, "--format", "json", "--level", "element")
    assert result.exit_code == 0, result.stderr
    return loaded(result.stdout)


def refused(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("losscli: error: "), result.stderr
    return lines[0]


# --- the micro-batch example (the issue, docs/groups.md) -------------------------------------------


def test_two_micro_batches_of_7_and_2_tokens(tmp_path: Path):
    # Each token's loss as a prediction against 0 under mae: the shard's mean is its token mean.
    (tmp_path / "p").mkdir()
    (tmp_path / "t").mkdir()
    for name, means, count in (("micro-0", 2.127, 7), ("micro-1", 3.418, 2)):
        np.save(tmp_path / "p" / f"{name}.npy", np.full(count, means))
        np.save(tmp_path / "t" / f"{name}.npy", np.zeros(count))
    data = ok_json("mae", tmp_path / "p", tmp_path / "t", "--group-by", "shard")
    pooled = (7 * 2.127 + 2 * 3.418) / 9  # 2.41389: the token mean of the step
    mean = (2.127 + 3.418) / 2  # 2.7725: the mean of the micro-batches' means
    assert [g["n"] for g in data["groups"]] == [7, 2]
    assert [g["group"].rsplit("/", 1)[-1] for g in data["groups"]] == ["micro-0.npy", "micro-1.npy"]
    assert data["pooled"]["value"] == pytest.approx(pooled, rel=RTOL) and data["pooled"]["n"] == 9
    assert data["mean_of_groups"] == {"value": pytest.approx(mean, rel=RTOL), "n": 2}
    assert data["gap"] == pytest.approx(pooled - mean, rel=1e-9)
    assert [g["share"] for g in data["groups"]] == pytest.approx([14.889 / 21.725, 6.836 / 21.725], rel=RTOL)


# --- a group is an ungrouped run over its rows ---------------------------------------------------

RNG = np.random.default_rng(21)
N, C = 23, 3
LABELS = np.array(list("abcabca") * 3 + ["d", "b"])  # four groups, of first appearance a, b, c, d


def _regression():
    return RNG.normal(size=(N, C)), RNG.normal(size=(N, C))


def _probabilities():
    p = RNG.uniform(0.05, 0.95, size=(N, C))
    return p, (RNG.uniform(size=(N, C)) < 0.5).astype(float)


def _classes():
    p = RNG.dirichlet(np.ones(C), size=N)
    return p, RNG.integers(0, C, N).astype(float)


CASES = {  # name -> (loss, data, flags): an element loss, labels, a root, a ratio, signed terms, weights
    "mse all": ("mse", _regression, []),
    "mae samples": ("mae", _regression, ["--reduce", "samples"]),
    "huber outputs": ("huber", _regression, ["--reduce", "outputs", "--delta", "0.5"]),
    "mse none": ("mse", _regression, ["--reduce", "none"]),
    "rmse": ("rmse", _regression, []),
    "rmse per output": ("rmse", _regression, ["--per-output-root"]),
    "wmape": ("wmape", _regression, []),
    "log_cosh weighted": ("log_cosh", _regression, ["weights"]),
    "bce weighted by count": ("bce", _probabilities, ["weights", "--weight-divisor", "count"]),
    "sparse_cce": ("sparse_cce", _classes, []),
    "sparse_cce class weights": ("sparse_cce", _classes, ["--class-weights", "classweights"]),
    "poisson signed": ("poisson", lambda: (RNG.uniform(0.1, 3, (N, C)), RNG.integers(0, 4, (N, C)).astype(float)), []),
}


def _write(directory: Path, pred, target, weights, rows) -> list[str]:
    np.save(directory / "p.npy", pred[rows])
    np.save(directory / "t.npy", target[rows])
    np.save(directory / "w.npy", weights[rows])
    return [str(directory / "p.npy"), str(directory / "t.npy")]


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_group_is_an_ungrouped_run_over_its_rows(case, tmp_path: Path):
    loss, make, flags = CASES[case]
    pred, target = make()
    weights = RNG.uniform(0.5, 2.0, N)
    files = _write(tmp_path, pred, target, weights, slice(None))
    flags = [f if f != "weights" else "--weights" for f in flags]
    np.savetxt(tmp_path / "cw.txt", [1.0, 2.0, 0.5])
    flags = [str(tmp_path / "cw.txt") if f == "classweights" else f for f in flags]
    if "--weights" in flags:
        flags.insert(flags.index("--weights") + 1, str(tmp_path / "w.npy"))
    np.savetxt(tmp_path / "g.txt", LABELS, fmt="%s")
    whole = ok_json(loss, *files, *flags)
    grouped = ok_json(loss, *files, *flags, "--groups", tmp_path / "g.txt")
    assert grouped["value"] == whole["value"]  # pooled: the ungrouped run's bits
    assert grouped["pooled"] == {"value": whole["value"], "n": whole["n"]}
    assert [g["group"] for g in grouped["groups"]] == ["a", "b", "c", "d"]
    values = []
    for g in grouped["groups"]:
        part = tmp_path / g["group"]
        part.mkdir()
        alone = ok_json(
            loss,
            *_write(part, pred, target, weights, g["group"] == LABELS),
            *[str(part / "w.npy") if f == str(tmp_path / "w.npy") else f for f in flags],
        )
        assert g["value"] == pytest.approx(alone["value"], rel=RTOL, abs=1e-300), g["group"]
        assert g["n"] == pytest.approx(alone["n"], rel=RTOL), g["group"]
        values.append(alone["value"])
    assert grouped["mean_of_groups"]["value"] == pytest.approx(np.mean(values), rel=RTOL)
    assert sum(g["share"] for g in grouped["groups"]) == pytest.approx(1.0, rel=1e-12)


def test_groups_are_the_same_bits_whatever_jobs_and_true_whatever_the_blocks(tmp_path: Path, monkeypatch):
    pred, target = _regression()
    files = _write(tmp_path, pred, target, np.ones(N), slice(None))
    np.savetxt(tmp_path / "g.txt", LABELS, fmt="%s")
    args = ["mse", *files, "--groups", str(tmp_path / "g.txt"), "--format", "csv"]
    whole = run(*args).stdout
    lines = whole.splitlines()
    assert lines[0] == "group,n,value,share" and [line.split(",")[0] for line in lines[1:]] == list("abcd")
    monkeypatch.setattr(inputs_module, "BLOCK_ELEMENTS", 2 * C)  # blocks of two rows: every group spans blocks
    small = run(*args, "--jobs", "1").stdout
    assert run(*args, "--jobs", "2").stdout == small  # blocks merged in order: the same bits on any threads
    for mine, theirs in zip(small.splitlines()[1:], lines[1:], strict=True):  # other blocks: other roundings
        assert [float(x) for x in mine.split(",")[1:]] == pytest.approx(
            [float(x) for x in theirs.split(",")[1:]], rel=RTOL
        )


# --- shards and states -------------------------------------------------------------------------


def _shards(tmp_path: Path, sizes=(5, 1, 9)) -> tuple[Path, Path]:
    pred_dir, target_dir = tmp_path / "preds", tmp_path / "targets"
    pred_dir.mkdir()
    target_dir.mkdir()
    for k, size in enumerate(sizes):
        frame = pd.DataFrame(RNG.normal(size=(size, 2)), columns=["x", "y"])
        frame.to_csv(pred_dir / f"rank-{k}.csv", index=False)
        (frame + RNG.normal(size=(size, 2))).to_csv(target_dir / f"rank-{k}.csv", index=False)
    return pred_dir, target_dir


def test_merge_group_by_shard_is_one_run_over_the_shards(tmp_path: Path):
    pred_dir, target_dir = _shards(tmp_path)
    one_run = run("mse", pred_dir, target_dir, "--group-by", "shard", "--format", "csv")
    assert one_run.exit_code == 0, one_run.stderr
    states = []
    for k in range(3):
        state = tmp_path / f"rank-{k}.json"
        names = [pred_dir / f"rank-{k}.csv", target_dir / f"rank-{k}.csv"]
        assert run("mse", *names, "--save-state", state, "--format", "value").exit_code == 0
        states.append(state)
    merged = run("merge", *states, "--group-by", "shard", "--format", "csv")
    assert merged.exit_code == 0, merged.stderr
    assert merged.stdout == one_run.stdout  # the same groups, to the bit
    assert len(merged.stdout.splitlines()) == 4


def test_states_keep_their_groups(tmp_path: Path):
    frame = pd.DataFrame({"p": RNG.normal(size=12), "t": RNG.normal(size=12), "slice": list("xyzx") * 3})
    frame.to_csv(tmp_path / "all.csv", index=False)
    frame.iloc[:5].to_csv(tmp_path / "a.csv", index=False)
    frame.iloc[5:].to_csv(tmp_path / "b.csv", index=False)
    flags = ["--pred-col", "p", "--target-col", "t", "--group-col", "slice"]
    whole = run("mse", tmp_path / "all.csv", *flags, "--format", "csv").stdout
    for part in ("a", "b"):
        assert run("mse", tmp_path / f"{part}.csv", *flags, "--save-state", tmp_path / f"{part}.json").exit_code == 0
    merged = run("merge", tmp_path / "a.json", tmp_path / "b.json", "--format", "csv")
    assert merged.exit_code == 0, merged.stderr
    names = [line.split(",")[0] for line in merged.stdout.splitlines()[1:]]
    assert names == ["x", "y", "z"]
    for mine, theirs in zip(merged.stdout.splitlines()[1:], whole.splitlines()[1:], strict=True):
        got, expected = mine.split(","), theirs.split(",")
        assert got[:2] == expected[:2]
        assert float(got[2]) == pytest.approx(float(expected[2]), rel=RTOL)


def test_dask_gives_the_groups_of_one_run(tmp_path: Path):
    pytest.importorskip("dask.distributed")
    pred_dir, target_dir = _shards(tmp_path)
    plain = run("mse", pred_dir, target_dir, "--group-by", "shard", "--format", "csv")
    on_dask = run("mse", pred_dir, target_dir, "--group-by", "shard", "--format", "csv", "--dask")
    assert on_dask.exit_code == 0, on_dask.stderr
    assert on_dask.stdout == plain.stdout


# --- per class -----------------------------------------------------------------------------------


def test_per_class_is_each_true_class_mean_not_the_per_output_contribution(tmp_path: Path):
    # A predict_proba frame with the classes as its header, and the true labels by name.
    proba = pd.DataFrame(
        [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4], [0.6, 0.3, 0.1]], columns=["cat", "dog", "eel"]
    )
    proba.to_csv(tmp_path / "proba.csv", index=False)
    pd.Series(["cat", "dog", "dog", "cat"], name="y").to_csv(tmp_path / "y.csv", index=False)
    data = ok_json("sparse_cce", tmp_path / "proba.csv", tmp_path / "y.csv", "--group-by", "class")
    got = {g["group"]: (g["n"], g["value"]) for g in data["groups"]}
    assert got == {
        "cat": (2, pytest.approx(-(math.log(0.7) + math.log(0.6)) / 2, rel=RTOL)),
        "dog": (2, pytest.approx(-(math.log(0.8) + math.log(0.3)) / 2, rel=RTOL)),
    }
    table = run("sparse_cce", tmp_path / "proba.csv", tmp_path / "y.csv", "--group-by", "class").stdout
    assert "not the" in table and "per-output contribution O[j]" in table.replace("\n", " ").replace("  ", " ")


def test_an_ignored_class_is_a_group_with_no_value(tmp_path: Path):
    np.save(tmp_path / "p.npy", np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]]))
    np.save(tmp_path / "y.npy", np.array([0, -100, 1]))
    data = ok_json(
        "sparse_cce", tmp_path / "p.npy", tmp_path / "y.npy", "--ignore-index", "-100", "--group-by", "class"
    )
    groups = {g["group"]: g for g in data["groups"]}
    assert groups["-100 (ignored)"] == {"group": "-100 (ignored)", "n": 0, "value": None, "share": 0.0}
    assert data["mean_of_groups"]["n"] == 2 and data["groups_without_value"] == 1
    assert data["mean_of_groups"]["value"] == pytest.approx((-math.log(0.9) - math.log(0.5)) / 2, rel=RTOL)


def test_binary_targets_group_by_their_class(tmp_path: Path):
    np.savetxt(tmp_path / "q.txt", [0.2, 0.9, 0.6, 0.1])
    np.savetxt(tmp_path / "y.txt", [0, 1, 1, 0], fmt="%d")
    data = ok_json("bce", tmp_path / "q.txt", tmp_path / "y.txt", "--group-by", "class")
    assert [(g["group"], g["n"]) for g in data["groups"]] == [("0", 2), ("1", 2)]
    assert data["groups"][0]["value"] == pytest.approx(-(math.log(0.8) + math.log(0.9)) / 2, rel=RTOL)


# --- N-D: the per-sequence mean -------------------------------------------------------------------


def test_group_by_sample_of_token_logits_is_the_per_sequence_mean(tmp_path: Path):
    logits = RNG.normal(size=(3, 6, 4))
    labels = RNG.integers(0, 4, size=(3, 6))
    labels[1, 2:] = -100  # a short sequence
    labels[2, :] = -100  # a sequence of padding only
    np.save(tmp_path / "logits.npy", logits)
    np.save(tmp_path / "labels.npy", labels)
    data = ok_json(
        "sparse_cce",
        tmp_path / "logits.npy",
        tmp_path / "labels.npy",
        "--from-logits",
        "--ignore-index",
        "-100",
        "--group-by",
        "sample",
    )
    log_q = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    valid = labels != -100
    token = -np.take_along_axis(log_q, np.where(valid, labels, 0)[..., None], axis=-1)[..., 0]
    means = [token[i][valid[i]].mean() for i in range(2)]  # NumPy's per-sequence token means
    assert [g["n"] for g in data["groups"]] == [6, 2, 0]
    assert [g["value"] for g in data["groups"][:2]] == pytest.approx(means, rel=RTOL)
    assert data["groups"][2]["value"] is None and data["mean_of_groups"]["n"] == 2
    assert data["pooled"]["value"] == pytest.approx(token[valid].mean(), rel=RTOL)
    assert data["mean_of_groups"]["value"] == pytest.approx(np.mean(means), rel=RTOL)


# --- intervals -------------------------------------------------------------------------------------


def test_a_group_interval_is_the_interval_of_a_run_over_its_rows(tmp_path: Path):
    pred, target = _regression()
    files = _write(tmp_path, pred, target, np.ones(N), slice(None))
    np.savetxt(tmp_path / "g.txt", LABELS, fmt="%s")
    data = ok_json("mae", *files, "--groups", tmp_path / "g.txt", "--ci", "0.9")
    alone = ok_json("mae", *_write(tmp_path, pred, target, np.ones(N), LABELS == "a"), "--ci", "0.9")
    assert data["groups"][0]["ci"] == alone["ci"]  # the same resamples of the same rows: the same bits
    low, high = data["gap_ci"]["low"], data["gap_ci"]["high"]
    assert low <= data["gap"] <= high and data["gap_ci"]["method"] == "percentile"


# --- what is refused ----------------------------------------------------------------------------------


def test_bad_groups_are_refused_with_one_line(tmp_path: Path):
    pred, target = _regression()
    files = _write(tmp_path, pred, target, np.ones(N), slice(None))
    np.savetxt(tmp_path / "short.txt", LABELS[:-1], fmt="%s")
    assert "one row per sample" in refused("mse", *files, "--groups", tmp_path / "short.txt")
    assert "is one file" in refused("mse", *files, "--group-by", "shard")
    np.save(tmp_path / "p1.npy", pred[:, 0])
    np.save(tmp_path / "t1.npy", target[:, 0])
    assert "has one element" in refused("mse", tmp_path / "p1.npy", tmp_path / "t1.npy", "--group-by", "sample")
    assert "json or csv" in refused("mse", *files, "--group-by", "sample", "--format", "value")
    assert "one way" in refused("mse", *files, "--group-by", "sample", "--groups", tmp_path / "short.txt")
    frame = pd.DataFrame({"p": [1.0, 2.0], "t": [0.0, 1.0]})
    frame.to_csv(tmp_path / "one.csv", index=False)
    line = refused("mse", tmp_path / "one.csv", "--pred-col", "p", "--target-col", "t", "--group-col", "slice")
    assert "slice" in line
    assert "not one-hot" in refused("cce", *files, "--group-by", "class")


def test_many_groups_in_a_table_keep_the_largest_shares(tmp_path: Path):
    pred = np.zeros(60)
    pred[37] = 10.0  # the group of row 37 holds nearly all the loss
    np.save(tmp_path / "p.npy", pred)
    np.save(tmp_path / "t.npy", np.zeros(60))
    pd.Series([f"g{i}" for i in range(60)], name="group").to_csv(tmp_path / "g.txt", index=False)
    table = run("mse", tmp_path / "p.npy", tmp_path / "t.npy", "--groups", tmp_path / "g.txt", "--max-rows", "6")
    assert table.exit_code == 0, table.stderr
    assert " g37 " in table.stdout and "groups shown" in table.stdout


def test_a_missing_group_label_is_a_missing_value(tmp_path: Path):
    """An empty cell of --group-col (pandas writes NaN so) or NaN in a .npy of labels: an error naming the row,
    or with --drop-missing the sample dropped, as any missing value (the hostile pass's find)."""
    frame = pd.DataFrame({"p": [1.0, 2.0, 3.0], "t": [0.0, 0.0, 0.0], "g": ["a", None, "a"]})
    frame.to_csv(tmp_path / "d.csv", index=False)
    flags = [tmp_path / "d.csv", "--pred-col", "p", "--target-col", "t", "--group-col", "g"]
    assert "line 3, column 3: the group label is missing" in refused("mse", *flags)
    dropped = run("mse", *flags, "--drop-missing", "-f", "csv")
    assert dropped.exit_code == 0 and dropped.stdout == "group,n,value,share\na,2,5.0,1.0\n"


def test_nd_groups_of_summed_samples_are_each_groups_own_sum(tmp_path: Path):
    """--reduce none over N-D inputs: a group's value is its own sum, n 1, as a run over it alone."""
    rng = np.random.default_rng(4)
    np.save(tmp_path / "x.npy", rng.normal(size=(3, 4, 5)))
    np.save(tmp_path / "y.npy", rng.integers(0, 5, (3, 4)))
    flags = ["--from-logits", "--reduce", "none"]
    grouped = ok_json("sparse_cce", tmp_path / "x.npy", tmp_path / "y.npy", *flags, "--group-by", "sample")
    for i, group in enumerate(grouped["groups"]):
        np.save(tmp_path / "xi.npy", np.load(tmp_path / "x.npy")[i : i + 1])
        np.save(tmp_path / "yi.npy", np.load(tmp_path / "y.npy")[i : i + 1])
        alone = ok_json("sparse_cce", tmp_path / "xi.npy", tmp_path / "yi.npy", *flags)
        assert (group["n"], group["value"]) == (alone["n"], pytest.approx(alone["value"], rel=RTOL))


def test_the_command_lines_group_by_choices_are_the_engines():
    """cli/flags.py spells --group-by's choices without importing core/groups.py (start-up); held here."""
    from losscli.cli.flags import GroupBy
    from losscli.core.groups import GROUP_BY, PRACTICE

    assert tuple(choice.value for choice in GroupBy) == GROUP_BY
    assert set(GROUP_BY) < set(PRACTICE)  # every kind of group has its line of which practice computes which


# --- the Python API (losscli.compute(..., axes=Axes(groups=...))) ----------------------------------


def test_the_api_groups_by_labels_a_frame_column_class_and_sample():
    import losscli

    rng = np.random.default_rng(21)
    p, t = rng.random((40, 3)), rng.random((40, 3))
    labels = rng.choice(["a", "b", "c"], 40)
    got = losscli.compute("mse", p, t, axes=losscli.Axes(groups=labels)).groups
    for k, name in enumerate(got.names):  # each group: NumPy's mean over its rows' elements
        rows = labels == name
        assert got.n[k] == 3 * rows.sum()
        assert math.isclose(got.value[k], float(((p[rows] - t[rows]) ** 2).mean()), rel_tol=RTOL)
    assert got.names == list(dict.fromkeys(labels))  # in order of first appearance
    frame = pd.DataFrame({"p": p[:, 0], "t": t[:, 0], "g": labels})
    by_column = losscli.compute(
        "mae", frame, read=losscli.Read(pred_col="p", target_col="t"), axes=losscli.Axes(group_col="g")
    ).groups
    expected = frame.assign(e=(frame.p - frame.t).abs()).groupby("g", sort=False).e.mean()  # pandas' groupby
    assert by_column.names == list(expected.index)
    np.testing.assert_allclose(by_column.value, expected.to_numpy(), rtol=RTOL)
    proba, classes = np.array([[0.7, 0.3], [0.2, 0.8], [0.6, 0.4]]), [0, 1, 1]
    per_class = losscli.compute("sparse_cce", proba, classes, axes=losscli.Axes(group_by="class")).groups
    np.testing.assert_allclose(per_class.value, [-np.log(0.7), -(np.log(0.8) + np.log(0.4)) / 2], rtol=RTOL)
    per_sample = losscli.compute("mse", p, t, axes=losscli.Axes(group_by="sample")).groups
    np.testing.assert_allclose(per_sample.value, ((p - t) ** 2).mean(axis=1), rtol=RTOL)


def test_the_api_refuses_groups_that_do_not_fit():
    import losscli
    from losscli.errors import InputError, UsageError

    p = t = np.zeros((4, 2))
    with pytest.raises(InputError, match="holds 2 group labels for 4 samples"):
        losscli.compute("mse", p, t, axes=losscli.Axes(groups=[1, 2]))
    with pytest.raises(UsageError, match="name the groups one way"):
        losscli.compute("mse", p, t, axes=losscli.Axes(groups=[1, 2, 3, 4], group_by="class"))
    with pytest.raises(UsageError, match="groups by sample or class"):
        losscli.compute("mse", p, t, axes=losscli.Axes(group_by="shard"))
    with pytest.raises(UsageError, match="group_col picks a column of one DataFrame"):
        losscli.compute("mse", p, t, axes=losscli.Axes(group_col="g"))
