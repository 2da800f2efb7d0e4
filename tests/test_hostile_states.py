"""Hostile pass II: a state file is untrusted input.

``losscli merge`` checks every state whole, with bounds, before it uses any of it: each damaged
field below is one ``losscli: error:`` line naming the file and the field, exit 2, at once (no
hang, no allocation the size of what the state claims). States that runs really write merge,
whatever format and --max-rows they were saved with, to the number one run over all the inputs
gives (computed here by losscli on the files joined, and by ``math.fsum``).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from jsonout import loaded

import losscli
from losscli.core.registry import NON_NEGATIVE_TERMS


def _one_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("losscli: error: "), stderr
    assert "this is a bug" not in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def shards(tmp_path):
    """Two shards of 30 samples x 3 outputs (CSV), the files joined, and their mse by math.fsum."""
    rng = np.random.default_rng(5)
    p, t = rng.random((60, 3)), rng.random((60, 3))
    for k in range(2):
        np.savetxt(tmp_path / f"p{k}.csv", p[30 * k : 30 * k + 30], delimiter=",", fmt="%.17g")
        np.savetxt(tmp_path / f"t{k}.csv", t[30 * k : 30 * k + 30], delimiter=",", fmt="%.17g")
    np.savetxt(tmp_path / "p.csv", p, delimiter=",", fmt="%.17g")
    np.savetxt(tmp_path / "t.csv", t, delimiter=",", fmt="%.17g")
    p, t = np.loadtxt(tmp_path / "p.csv", delimiter=","), np.loadtxt(tmp_path / "t.csv", delimiter=",")
    return tmp_path, math.fsum(((p - t) ** 2).ravel()) / p.size


def _save(run, folder, k, *extra):
    path = folder / f"s{k}.json"
    result = run("mse", folder / f"p{k}.csv", folder / f"t{k}.csv", "--save-state", path, "-q", *extra)
    assert result.exit_code == 0, result.stderr
    return path


# --- ordinary states that crashed (exit 70) ------------------------------------------------------------


def test_a_value_state_and_a_table_state_merge_as_a_table(run, shards):
    folder, expected = shards
    value, table = _save(run, folder, 0, "-f", "value"), _save(run, folder, 1)
    one_run = run("mse", folder / "p.csv", folder / "t.csv", "-f", "value").stdout
    assert float(one_run) == pytest.approx(expected, rel=1e-15)
    result = run("merge", value, table)
    assert result.exit_code == 0, result.stderr
    assert f"value    {one_run.strip()}" in result.stdout
    assert "No rows to show" in result.stdout  # the value state kept none: no row is made up
    assert "Distribution" not in result.stdout  # nor a histogram of half the samples
    assert run("merge", value, table, "-f", "value").stdout == one_run


@pytest.mark.parametrize("rows", [("6", "20"), ("20", "6"), ("2", "40")])
def test_states_of_other_max_rows_merge(run, shards, rows):
    folder, _ = shards
    states = [_save(run, folder, k, "--max-rows", rows[k]) for k in range(2)]
    one_run = run("mse", folder / "p.csv", folder / "t.csv", "-f", "value").stdout.strip()
    for max_rows in ("20", "40", "2"):
        result = run("merge", *states, "--max-rows", max_rows)
        assert result.exit_code == 0, result.stderr
        assert f"value    {one_run}" in result.stdout
    # rows the table shows are rows of the merged input: row 59 is the last of the second shard
    p, t = np.loadtxt(folder / "p.csv", delimiter=","), np.loadtxt(folder / "t.csv", delimiter=",")
    last = run("merge", *states).stdout
    assert f"     59   {float(np.sum((p[59] - t[59]) ** 2) / 3):.6g}" in last


# --- damaged states: one line, exit 2 --------------------------------------------------------------------


def _loss_state(document):
    return document["losses"][0]["state"]


DAMAGE = {
    "negative rows": (lambda d: _loss_state(d).update(rows=-5), "rows", "-5"),
    "rows beyond 2^53": (lambda d: _loss_state(d).update(rows=10**18), "rows", "not a whole number"),
    "rows as text": (lambda d: _loss_state(d).update(rows="30"), "rows", "'30'"),
    "more counted than rows": (lambda d: _loss_state(d).update(counted=31), "counted", "more samples counted"),
    "a negative total of squares": (
        lambda d: _loss_state(d)["total"].update(partials=[(-512.0).hex()]),
        "total",
        "negative",
    ),
    "a special total that is a number": (lambda d: _loss_state(d)["total"].update(special="1e308"), "special", ""),
    "a special total that is an object (found by the long fuzz run)": (
        lambda d: _loss_state(d)["total"].update(special={}),
        "special",
        "",
    ),
    "an exact sum of 10^2000000000": (lambda d: _loss_state(d)["total"].update(exact="1e2000000000"), "exact", ""),
    "an exact sum beyond float64 that is negative, of a square": (
        lambda d: _loss_state(d)["total"].update(partials=[], exact="-" + "9" * 999 + "/1"),
        "total",
        "negative",
    ),
    "an exact sum over a denominator of 3": (
        lambda d: _loss_state(d)["total"].update(partials=[], exact="1/3"),
        "exact",
        "power of 2",
    ),
    "a width of 2^40": (lambda d: _loss_state(d).update(n_outputs=2**40, term_columns=2**40), "", "width"),
    "a histogram over billions of buckets": (
        lambda d: _loss_state(d)["sketch"].update(counts={"-3000000000": 1, "3000000000": 29}),
        "sketch.counts",
        "bucket",
    ),
    "a count of 2^64": (
        lambda d: _loss_state(d)["sketch"].update(counts={"-3302": 2**64}, count=2**64 + 29),
        "sketch",
        "",
    ),
    "a total of the wrong type": (lambda d: _loss_state(d).update(total=[1.0]), "total", "not an object"),
    "per-output sums of another width": (
        lambda d: _loss_state(d)["per_output"].update(high=["0x1p0"]),
        "per_output.high",
        "width",
    ),
    "a negative sum of weights": (
        lambda d: _loss_state(d)["divisor"].update(partials=[(-1.0).hex()]),
        "divisor",
        ">= 0",
    ),
    "more non-finite terms than terms": (lambda d: _loss_state(d).update(non_finite=91), "non_finite", "more than"),
    "a kept row outside the state": (
        lambda d: _loss_state(d)["worst_elements"]["keys"].__setitem__(0, [10**6, 0]),
        "worst_elements.keys[0]",
        "",
    ),
    "a head that is not the first rows": (
        lambda d: _loss_state(d)["kept"].update(head=[5, 6]),
        "kept.head",
        "first",
    ),
    "a named row without its record": (
        lambda d: _loss_state(d)["kept"]["records"].pop("0"),
        "records",
        "no row 0",
    ),
    "a hex number that is no number": (
        lambda d: _loss_state(d)["per_output"]["low"].__setitem__(0, "0xzz"),
        "per_output.low[0]",
        "",
    ),
    "a flag that is a string": (lambda d: d["losses"][0].update(weighted="no"), "weighted", "true or false"),
    "options that are a list": (lambda d: d["losses"][0].update(options=[]), "options", ""),
    "an option that is an object": (lambda d: d["losses"][0]["options"].update(delta={}), "options.delta", ""),
    "negative dropped samples": (lambda d: d.update(dropped=-1), "dropped", ""),
    "a digest of the wrong type": (lambda d: d["inputs"][0].update(sha256=5), "sha256", ""),
}


@pytest.fixture(scope="module")
def saved_state(tmp_path_factory):
    """A state of 30 samples x 3 outputs saved as a table (rows kept), as its JSON."""
    folder = tmp_path_factory.mktemp("state")
    rng = np.random.default_rng(5)
    np.savetxt(folder / "p.csv", rng.random((30, 3)), delimiter=",")
    np.savetxt(folder / "t.csv", rng.random((30, 3)), delimiter=",")
    args = ["mse", "p.csv", "t.csv", "--save-state", "s.json", "-q"]
    subprocess.run([sys.executable, "-m", "losscli", *args], cwd=folder, check=True)
    return (folder / "s.json").read_text()


@pytest.mark.parametrize("name", list(DAMAGE))
def test_a_damaged_state_is_one_line(run, tmp_path, saved_state, name):
    damage, field, fragment = DAMAGE[name]
    document = loaded(saved_state)
    damage(document)
    (tmp_path / "s.json").write_text(json.dumps(document))
    for fmt in ("table", "value"):
        if name.startswith("an exact sum of 10^"):  # it took hours to expand: a process, with a timeout
            process = subprocess.run(
                [sys.executable, "-m", "losscli", "merge", "s.json", "-f", fmt],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=30,
            )
            code, stdout, stderr = process.returncode, process.stdout, process.stderr
        else:
            result = run("merge", tmp_path / "s.json", "-f", fmt)
            code, stdout, stderr = result.exit_code, result.stdout, result.stderr
        assert code == 2, (code, stdout[-300:], stderr)
        assert stdout == ""
        line = _one_line(stderr)
        assert "s.json: is damaged: " in line, line
        assert field in line and fragment in line, (field, fragment, line)


def test_every_state_a_run_writes_passes_the_checks(run, tmp_path):
    """The checks refuse nothing a run writes: every loss, saved as a table (rows kept) and as a value."""
    from conftest import SAMPLES

    from losscli.engine.state_checks import check_document

    cases = [
        ("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "--grad"),
        ("sparse_cce", SAMPLES / "forest_proba.csv", SAMPLES / "forest_labels.csv", "--like", "sklearn"),
        ("bce", SAMPLES / "binary_preds.csv", SAMPLES / "binary_targets.csv", "--top", "3"),
        ("cosine_similarity", SAMPLES / "preds.csv", SAMPLES / "targets.csv"),
        ("hinge", SAMPLES / "binary_preds.csv", SAMPLES / "binary_targets.csv"),
    ]
    for k, (loss, *args) in enumerate(cases):
        for fmt in ("table", "value"):
            path = tmp_path / f"{k}-{fmt}.json"
            assert run(loss, *args, "-f", fmt, "--save-state", path, "-q").exit_code == 0
            check_document(loaded(path.read_text()), str(path))
            assert run("merge", path, "-f", fmt).exit_code == 0


def _inputs_for(loss: str, rng):
    """Random inputs in the loss's domain (probabilities, positive values, -1/1 or class labels)."""
    pred = rng.uniform(0.01, 0.99, (64, 4))
    if loss in ("hinge", "squared_hinge", "soft_margin"):
        return rng.normal(0, 2, (64, 4)), rng.choice([-1.0, 1.0], (64, 4))
    if loss in ("sparse_cce", "multi_margin"):
        return pred, rng.integers(0, 4, 64).astype(float)
    if loss in ("brier", "categorical_hinge"):
        return pred, np.eye(4)[rng.integers(0, 4, 64)]
    if loss == "perceptron":
        return rng.normal(0, 2, (64, 4)), rng.choice([-1.0, 1.0], (64, 4))
    if loss in ("sparsemax", "label_ranking_loss", "coverage_error"):
        return rng.normal(0, 2, (64, 4)), rng.integers(0, 2, (64, 4)).astype(float)
    if loss in ("hamming_loss", "zero_one_loss"):
        return rng.integers(0, 2, (64, 4)).astype(float), rng.integers(0, 2, (64, 4)).astype(float)
    if loss in ("multiclass_perceptron", "multiclass_sparsemax", "squared_categorical_hinge"):
        return pred, rng.integers(0, 4, 64).astype(float)
    if loss == "max_error":  # one output, as scikit-learn's
        return pred[:, :1], rng.uniform(0.01, 0.99, (64, 1))
    if loss == "multilabel_margin":
        lists = np.full((64, 4), -1.0)
        for i in range(64):
            k = rng.integers(0, 5)
            lists[i, :k] = rng.permutation(4)[:k]
        return rng.normal(0, 2, (64, 4)), lists
    return pred, rng.uniform(0.01, 0.99, (64, 4))


@pytest.mark.parametrize("loss", sorted(NON_NEGATIVE_TERMS))
def test_every_loss_listed_as_non_negative_has_non_negative_terms(loss):
    """The claim behind refusing a negative total: on random data in each loss's domain (and on
    data far outside the targets' usual range where the domain allows it), every term is >= 0."""
    rng = np.random.default_rng(len(loss))
    takes_logits = any(option.name == "from_logits" for option in losscli.get_loss(loss).options)
    for k in range(6):
        pred, target = _inputs_for(loss, rng)
        options = {}
        if k % 2 and takes_logits:  # logits far from 0: the log-softmax at its limits
            pred, options = rng.normal(0, 50, pred.shape), {"from_logits": True}
        elif k % 3 == 2 and loss not in ("hinge", "squared_hinge", "soft_margin"):
            pred = np.where(rng.random(pred.shape) < 0.3, rng.choice([0.0, 1.0], pred.shape), pred)  # at the clips
        try:
            result = losscli.compute(loss, pred, target, **options)
        except losscli.LossCliError:  # outside the loss's domain (a deviance of p = 0): refused, no terms
            assert k % 3 == 2
            continue
        terms = result.per_element if result.per_element is not None else result.per_sample
        assert np.all(terms >= 0), (loss, options, terms.min())


def test_a_hinge_state_whose_label_map_is_a_list(run, tmp_path):
    """Found by the long fuzz run: a label map of [] was looked up in a set (exit 70)."""
    from conftest import SAMPLES

    good = tmp_path / "good.json"
    args = ("hinge", SAMPLES / "binary_preds.csv", SAMPLES / "binary_targets.csv", "--like", "sklearn")
    assert run(*args, "--save-state", good, "-q").exit_code == 0
    document = loaded(good.read_text())
    document["losses"][0]["options"]["label_map"] = []
    (tmp_path / "bad.json").write_text(json.dumps(document))
    for order in ((good, tmp_path / "bad.json"), (tmp_path / "bad.json", good)):
        result = run("merge", *order, "-f", "value")
        assert result.exit_code == 2, result.stderr
        assert "bad.json: is damaged: losses[0].options.label_map" in result.stderr


def test_a_state_of_several_losses_saved_as_a_value_merges_as_a_table(run, shards):
    """Found by a mutation pass over states: the side-by-side table of several losses read the rows
    of a state that kept none (exit 70). It says there are no rows, and gives each loss's value of
    one run over the same input."""
    folder, expected_mse = shards
    state = folder / "two.json"
    args = ("mse,mae", folder / "p0.csv", folder / "t0.csv")
    assert run(*args, "-f", "value", "--save-state", state, "-q").exit_code == 0
    one_run = run(*args, "-f", "value").stdout.split()  # "mse V mae V"
    result = run("merge", state)
    assert result.exit_code == 0, result.stderr
    assert "No rows to show" in result.stdout
    assert f"{float(one_run[1]):.10g}" in result.stdout and f"{float(one_run[3]):.10g}" in result.stdout
    assert run("merge", state, "-f", "value").stdout.split() == one_run


@pytest.fixture(scope="module")
def like_state(tmp_path_factory):
    """A sparse_cce state under --like sklearn (constants recorded) with an --ignore-index option."""
    from conftest import SAMPLES

    folder = tmp_path_factory.mktemp("like")
    args = ["sparse_cce", SAMPLES / "forest_proba.csv", SAMPLES / "forest_labels.csv", "--like", "sklearn"]
    subprocess.run(
        [sys.executable, "-m", "losscli", *map(str, args), "--save-state", "s.json", "-q"], cwd=folder, check=True
    )
    return (folder / "s.json").read_text()


def _entry(document):
    return document["losses"][0]


# Found by a mutation pass (every field of the fuzz run's states replaced by each hostile value):
# values the state checks let through reached the loss's options or the --like record (exit 70).
ENTRY_DAMAGE = {
    "an array option that is text": (lambda d: _entry(d)["options"].update(class_weights="x"), "--class-weights"),
    "an array option that is ragged": (lambda d: _entry(d)["options"].update(class_weights=[[1], [1, 2]]), "class"),
    "a number option that is text": (lambda d: _entry(d)["options"].update(eps="x"), "--eps"),
    "a whole-number option that is NaN": (lambda d: _entry(d)["options"].update(ignore_index=float("nan")), "ignore"),
    "a whole-number option of 10^400": (lambda d: _entry(d)["options"].update(ignore_index=10**400), "ignore"),
    "a framework losscli does not know": (lambda d: _entry(d)["like"].update(framework="inf"), "like"),
    "a framework that is a list": (lambda d: _entry(d)["like"].update(framework=[1, 2]), "like"),
    "a constant without its value": (lambda d: _entry(d)["like"]["constants"][0].pop("value"), "constants[0]"),
    "overrides that are a number": (lambda d: _entry(d)["like"].update(overridden=1), "like.overridden"),
    "an override that is text": (lambda d: _entry(d)["like"].update(overridden=["x"]), "like.overridden[0]"),
    "a precision that is no dtype": (lambda d: _entry(d)["like"].update(dtype="float8"), "like.dtype"),
}


@pytest.mark.parametrize("name", list(ENTRY_DAMAGE))
def test_a_damaged_loss_entry_is_one_line(run, tmp_path, like_state, name):
    damage, field = ENTRY_DAMAGE[name]
    document = loaded(like_state)
    assert document["losses"][0]["like"]["constants"], "the fixture records --like's constants"
    damage(document)
    (tmp_path / "s.json").write_text(json.dumps(document))
    for fmt in ("table", "csv", "json"):
        result = run("merge", tmp_path / "s.json", "-f", fmt)
        assert result.exit_code == 2, (result.stdout[-300:], result.stderr)
        assert result.stdout == ""
        line = _one_line(result.stderr)
        assert "s.json: is damaged: " in line and field in line, line
