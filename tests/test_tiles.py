"""A block's terms computed a tile of rows at a time (``core.terms.element_terms``) are the
terms of the whole block, to the last bit, for every loss and option of the reference
fixtures (tests/fixtures/reference.json, written by tests/references.py): the expected
values are losscli's own, computed on the block whole (tiles larger than the input)."""

from pathlib import Path

import numpy as np
import pytest
from jsonout import loaded

from losscli import compute
from losscli.core import terms

CASES = loaded((Path(__file__).parent / "fixtures" / "reference.json").read_text())


def _compute(case):
    return compute(
        case["loss"],
        case["preds"],
        case["targets"],
        reduce="none" if "none" in case["reductions"] else next(iter(case["reductions"])),
        weights=case.get("weights"),
        weight_divisor=case.get("weight_divisor", "sum"),
        grad=bool(case["gradients"]),  # counts and ranks have none (tests/references.py NOT_DIFFERENTIABLE)
        **case["options"],
    )


@pytest.mark.parametrize("case", CASES, ids=[f"{i}-{c['loss']}" for i, c in enumerate(CASES)])
def test_tiles_of_one_row_give_the_whole_block(case, monkeypatch):
    whole = _compute(case)
    monkeypatch.setattr(terms, "TILE_VALUES", 1)  # every row its own tile
    tiled = _compute(case)
    for name in ("per_element", "per_sample", "per_output", "gradient"):
        a, b = getattr(whole, name), getattr(tiled, name)
        if a is None:
            assert b is None, name
        else:
            np.testing.assert_array_equal(np.asarray(b), np.asarray(a), err_msg=name)
    assert tiled.value == whole.value or (np.isnan(tiled.value) and np.isnan(whole.value))


def test_per_sample_options_are_tiled_with_their_rows(monkeypatch):
    """A per-sample --var (one row per sample) follows the rows of each tile."""
    rng = np.random.default_rng(5)
    pred, target, var = rng.normal(size=(50, 3)), rng.normal(size=(50, 3)), rng.uniform(0.1, 2, (50, 3))
    expected = 0.5 * (np.log(var) + (pred - target) ** 2 / var)  # PyTorch GaussianNLLLoss, full=False
    monkeypatch.setattr(terms, "TILE_VALUES", 7)  # tiles of 2 rows (7 // 3)
    got = compute("gaussian_nll", pred, target, reduce="none", var=var).per_element
    np.testing.assert_allclose(got, expected, rtol=1e-13)
