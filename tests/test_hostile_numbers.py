"""Hostile pass II: numbers that came out wrong without a word.

- weights with a pandas index beside predictions without labels: matched by label to the other
  labelled file (as pandas aligns two Series), the unlabelled file by position, and a note says so;
- int64 and uint64 ``.npy`` values beyond 2^53 are refused with the file and the index (as
  Parquet already is), not rounded to a neighbour;
- block sums are exact: signed terms that cancel give the mean ``math.fsum`` gives.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonout import loaded


def _notes(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("losscli: note: ")]


# --- item 4: weights with a pandas index -------------------------------------------------------------------


@pytest.fixture
def labelled(tmp_path):
    """8 samples: predictions as a plain column, targets and weights as pandas Series whose
    indexes list the samples in different orders (each file written by pandas' to_csv)."""
    rng = np.random.default_rng(4)
    ids = np.arange(8)
    pred = pd.Series(rng.random(8), index=ids, name="p")
    target = pd.Series(rng.random(8), index=ids, name="t")
    weight = pd.Series(rng.uniform(0.5, 3, 8), index=ids, name="w")
    pred.to_csv(tmp_path / "p.csv", index=False)  # the model's output: no labels, in the order of ids
    pred.to_csv(tmp_path / "p_labelled.csv")
    target.to_csv(tmp_path / "t.csv")
    target.to_csv(tmp_path / "t_plain.csv", index=False)
    weight.iloc[::-1].to_csv(tmp_path / "w.csv")  # the same weights, last sample first
    # what pandas gives: Series align by label, so the order in w.csv does not matter
    expected = float(((pred - target) ** 2 * weight).sum() / weight.sum())
    return tmp_path, expected


def test_weights_are_matched_by_label_to_the_labelled_targets(run, labelled):
    folder, expected = labelled
    result = run("mse", folder / "p.csv", folder / "t.csv", "--weights", folder / "w.csv", "-f", "value")
    assert result.exit_code == 0, result.stderr
    assert float(result.stdout) == pytest.approx(expected, rel=1e-12)
    notes = _notes(result.stderr)
    assert len(notes) == 1 and "p.csv has no row labels: matched by position to the rows of" in notes[0]
    assert "w.csv by label" in notes[0]


def test_weights_are_matched_by_label_to_labelled_predictions_with_plain_targets(run, labelled):
    folder, expected = labelled
    result = run("mse", folder / "p_labelled.csv", folder / "t_plain.csv", "--weights", folder / "w.csv", "-f", "value")
    assert float(result.stdout) == pytest.approx(expected, rel=1e-12)
    assert "t_plain.csv has no row labels" in _notes(result.stderr)[0]


def test_by_position_still_matches_every_file_by_position(run, labelled):
    folder, expected = labelled
    args = ("mse", folder / "p.csv", folder / "t.csv", "--weights", folder / "w.csv", "-f", "value")
    result = run(*args, "--by-position")
    assert result.exit_code == 0
    p = pd.read_csv(folder / "p.csv")["p"].to_numpy()
    t = pd.read_csv(folder / "t.csv", index_col=0)["t"].to_numpy()
    w = pd.read_csv(folder / "w.csv", index_col=0)["w"].to_numpy()  # last sample first: a different number
    assert float(result.stdout) == pytest.approx(float(np.sum(w * (p - t) ** 2) / np.sum(w)), rel=1e-12)
    assert float(result.stdout) != pytest.approx(expected, rel=1e-6)


def test_labelled_weights_beside_one_plain_data_file_are_said(run, tmp_path):
    pd.DataFrame({"p": [0.1, 0.5, 0.9], "y": [0.0, 1.0, 1.0]}).to_csv(tmp_path / "d.csv", index=False)
    pd.Series([1.0, 2.0, 3.0], index=[2, 1, 0], name="w").to_csv(tmp_path / "w.csv")
    result = run("mse", tmp_path / "d.csv", "--pred-col", "p", "--target-col", "y", "--weights", tmp_path / "w.csv")
    assert result.exit_code == 0, result.stderr
    notes = _notes(result.stderr)
    assert len(notes) == 1 and "w.csv: has row labels and" in notes[0] and "matched by position" in notes[0]


# --- item 7: integers beyond 2^53 in .npy ---------------------------------------------------------------


@pytest.mark.parametrize(
    "dtype, value, where",
    [
        (np.int64, 2**53 + 1, "index [4, 1]"),
        (np.int64, -(2**53) - 1, "index [4, 1]"),
        (np.uint64, 2**64 - 1, "index [4, 1]"),
    ],
)
@pytest.mark.parametrize("order", ["C", "F"])
def test_npy_integers_beyond_2_53_are_refused(run, tmp_path, dtype, value, where, order):
    good = np.arange(12, dtype=dtype).reshape(6, 2)
    bad = good.copy(order=order)
    bad[4, 1] = value
    np.save(tmp_path / "good.npy", good)
    np.save(tmp_path / "bad.npy", bad)
    result = run("mse", tmp_path / "bad.npy", tmp_path / "good.npy", "-f", "value")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert f"bad.npy: {where}: {value} is an integer beyond 2^53" in result.stderr


def test_npy_integers_up_to_2_53_are_read_exactly(run, tmp_path):
    edge = np.array([2**53, -(2**53), 3], dtype=np.int64)
    np.save(tmp_path / "edge.npy", edge)
    np.save(tmp_path / "zero.npy", np.zeros(3, dtype=np.int64))
    result = run("mse", tmp_path / "edge.npy", tmp_path / "zero.npy", "-r", "none", "-f", "value")
    assert result.exit_code == 0, result.stderr
    assert float(result.stdout) == float(2 * 2**106 + 9)  # 2^106 + 2^106 + 9, rounded once


def test_an_npz_member_beyond_2_53_is_refused(run, tmp_path):
    np.savez(tmp_path / "a.npz", p=np.array([1, 2**60], dtype=np.int64), t=np.array([1, 2], dtype=np.int64))
    result = run("mse", f"{tmp_path / 'a.npz'}:p", f"{tmp_path / 'a.npz'}:t", "-f", "value")
    assert result.exit_code == 2
    assert "a.npz:p: index [1]: 1152921504606846976 is an integer beyond 2^53" in result.stderr


# --- item 8: block sums are exact ---------------------------------------------------------------------


def test_signed_terms_that_cancel_give_the_exact_mean(run, tmp_path):
    """poisson's terms p - t log(p + eps) (eps 0 here) are signed: here ten of about +1e16 (p = 1e16, t = 0) and
    ten of about -1e16 (p = e, t = 1e16) cancel, among 2,980 of 1/3 (p = 1/3, t = 0). NumPy's
    pairwise sum of the block lost the thirds beside the big terms; the exact sum is
    ``math.fsum`` of the element terms losscli itself reports."""

    rng = np.random.default_rng(8)
    n = 3000
    pred, target = np.full(n, 1 / 3), np.zeros(n)
    big = rng.choice(n, 20, replace=False)
    pred[big[:10]] = 1e16
    pred[big[10:]], target[big[10:]] = math.e, 1e16
    np.save(tmp_path / "p.npy", pred)
    np.save(tmp_path / "t.npy", target)
    args = ("poisson", tmp_path / "p.npy", tmp_path / "t.npy", "--eps", "0")  # log(e) = 1 exactly
    whole = loaded(run(*args, "-f", "json", "--level", "element").stdout)
    terms = [x for row in whole["per_element"] for x in row]
    expected = math.fsum(terms) / n
    assert abs(expected - 1 / 3) < 0.01  # what the data is built to give
    assert whole["value"] == expected
    value = run(*args, "-f", "value")
    assert float(value.stdout) == expected


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(
    st.lists(
        st.floats(allow_nan=False, allow_infinity=False, width=64)
        | st.sampled_from([1e308, -1e308, 5e-324, -5e-324, 1e16, -1e16, 1 / 3]),
        min_size=0,
        max_size=300,
    )
)
def test_add_exactly_is_math_fsum(values):
    """The error-free extraction gives fsum's sum of any finite floats (overflow, subnormals, cancellation)."""
    from losscli.core.sums import ExactSum, add_exactly

    total = ExactSum()
    add_exactly(total, np.array(values, dtype=np.float64))
    exact = sum((Fraction(x) for x in values), Fraction(0))
    try:
        expected = float(exact)
    except OverflowError:
        expected = math.inf if exact > 0 else -math.inf
    assert total.value == expected


def test_a_block_of_non_negative_terms_is_within_the_stated_bound():
    """sums.py: a block of terms >= 0 is NumPy's pairwise sum, within 36 units of 2^-53 of the
    exact sum. Terms spread over 40 octaves, a block's 2^18 of them, against math.fsum."""
    from losscli.core.state import LossState
    from losscli.core.terms import BlockTerms

    rng = np.random.default_rng(36)
    for _ in range(5):
        terms = np.exp2(rng.uniform(-20, 20, (1 << 14, 16)))
        state = LossState(16)
        block = BlockTerms(terms, terms, None, None, None, None, {})
        state.add(0, block, None, None, None, terms, None)
        exact = math.fsum(terms.ravel().tolist())
        assert abs(state.total.value - exact) <= 36 * 2.0**-53 * exact
