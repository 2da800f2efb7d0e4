"""The conventions table (losscli/core/conventions.py) against itself, the registry and
tests/fixtures/like.json. Needs no framework: like.json holds what the frameworks gave."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from jsonout import loaded

from losscli.core.conventions import (
    BUILDERS,
    FRAMEWORKS,
    Constant,
    Convention,
    Variant,
    conventions,
    frameworks_with,
)
from losscli.core.registry import LOSSES, REDUCES, get_loss

CASES = loaded((Path(__file__).parent / "fixtures" / "like.json").read_text())
BY_NAME = {loss.name: loss for loss in LOSSES}
DIVISORS = ("sum", "count", None)


def _labels(case: dict) -> bool:
    spec = get_loss(case["loss"])
    targets = np.asarray(case["targets"], dtype=np.float64)
    n_outputs = np.asarray(case["preds"], dtype=np.float64).reshape(len(case["preds"]), -1).shape[1]
    return spec.targets == "labels" or (
        spec.targets == "labels_or_same" and targets.reshape(len(targets), -1).shape[1] == 1 < n_outputs
    )


def _found(case: dict) -> tuple[Convention, ...]:
    spec = get_loss(case["loss"])
    n_outputs = np.asarray(case["preds"], dtype=np.float64).reshape(len(case["preds"]), -1).shape[1]
    return conventions(
        spec.name,
        spec.resolve_options(case["options"]),
        weighted="weights" in case,
        n_outputs=n_outputs,
        labels=_labels(case),
    )


def _every_table() -> list[tuple[str, dict, bool, int, bool, tuple[Convention, ...]]]:
    """conventions() over the fixture's cases and, for every loss, defaults in several shapes."""
    out = []
    for case in CASES:
        spec = get_loss(case["loss"])
        n_outputs = np.asarray(case["preds"], dtype=np.float64).reshape(len(case["preds"]), -1).shape[1]
        options = spec.resolve_options(case["options"])
        out.append((spec.name, options, "weights" in case, n_outputs, _labels(case), _found(case)))
    for spec in LOSSES:
        options = spec.resolve_options({"var": 1.0} if spec.name == "gaussian_nll" else {})
        for weighted in (False, True):
            for n_outputs in (1, 2, 4):
                labels = spec.targets == "labels" or (spec.targets == "labels_or_same" and n_outputs > 1)
                found = conventions(spec.name, options, weighted=weighted, n_outputs=n_outputs, labels=labels)
                out.append((spec.name, options, weighted, n_outputs, labels, found))
    return out


TABLES = _every_table()


FRAMEWORKS_WITH = {loss: frameworks_with(loss) for loss in BY_NAME}  # derived from the builders


def test_the_registry_and_the_table_name_the_same_losses():
    assert set(BUILDERS) == set(BY_NAME)
    for loss, frameworks in FRAMEWORKS_WITH.items():
        assert frameworks, loss
        assert set(frameworks) <= set(FRAMEWORKS), loss
        assert list(frameworks) == sorted(frameworks, key=FRAMEWORKS.index), loss
    assert frameworks_with("no such loss") == ()
    # a few, as the frameworks' documentation lists them
    assert FRAMEWORKS_WITH["hinge"] == ("keras", "sklearn", "optax", "torchmetrics", "numpy")
    assert FRAMEWORKS_WITH["tweedie_deviance"] == ("sklearn", "torchmetrics")
    assert FRAMEWORKS_WITH["gaussian_nll"] == ("torch",)


@pytest.mark.parametrize("loss, options, weighted, n_outputs, labels, found", TABLES)
def test_every_convention_is_well_formed(loss, options, weighted, n_outputs, labels, found):
    spec = BY_NAME[loss]
    frameworks = [c.framework for c in found]
    assert len(frameworks) == len(set(frameworks)), "one convention per framework"
    assert frameworks == sorted(frameworks, key=FRAMEWORKS.index)
    assert set(frameworks) <= set(frameworks_with(loss))
    calls = [v.call for c in found for v in c.variants]
    assert len(calls) == len(set(calls)), "every call is one fixture key"
    known = {o.name for o in spec.options}
    for convention in found:
        assert isinstance(convention, Convention)
        assert convention.variants and convention.default == convention.variants[0]
        assert convention.default.reduce is not None, "--like gives one number"
        for key, value in options.items():  # the user's options are kept, constants aside
            replaced = {c.option for c in convention.constants}
            if key not in replaced and key != "from_logits":
                assert _same(convention.options[key], value), (convention.framework, key)
        for constant in convention.constants:
            assert isinstance(constant, Constant)
            assert constant.option in known, (convention.framework, constant)
            assert constant.why, constant
            assert _same(convention.options[constant.option], constant.value)
        for variant in convention.variants:
            assert isinstance(variant, Variant)
            computed = spec.for_options(spec.resolve_options(convention.options))  # Dice() is one ratio
            assert variant.reduce is None or variant.reduce in computed.reductions, variant
            assert variant.reduce in (*REDUCES, None)
            assert variant.weight_divisor in DIVISORS, variant
            if weighted:  # a call that takes no sample weights is left out
                assert variant.weight_divisor is not None, variant
                assert "w" in _names(variant.call), variant
            else:
                assert "w" not in _names(variant.call), variant
            if variant.reduce is None:
                assert variant.note, f"{variant.call}: say what it returns"


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b))
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


def _names(call: str) -> set[str]:
    import ast

    return {node.id for node in ast.walk(ast.parse(call, mode="eval")) if isinstance(node, ast.Name)}


@pytest.mark.parametrize("loss, options, weighted, n_outputs, labels, found", TABLES)
def test_calls_are_python_over_the_documented_names(loss, options, weighted, n_outputs, labels, found):
    allowed = {"p", "t", "y", "w", "cw", "ow", "pw", "var", "np", "len"} | set(FRAMEWORKS) - {"numpy"}
    for convention in found:
        for variant in convention.variants:
            names = _names(variant.call)
            assert names <= allowed, (variant.call, names - allowed)
            assert ("y" in names) <= labels or loss in ("sparse_cce", "nll", "multi_margin", "brier")
            module = {"numpy": "np"}.get(convention.framework, convention.framework)
            assert module in names, variant.call


@pytest.mark.parametrize("case", CASES, ids=[f"{i}-{c['loss']}" for i, c in enumerate(CASES)])
def test_the_fixture_has_every_call_of_every_convention(case):
    found = _found(case)
    assert [c.framework for c in found] == case["frameworks"]
    assert case["labels"] == _labels(case)
    expected = {v.call: v for c in found for v in c.variants}
    recorded = {**case["values"], **case["per_sample"], **case["arrays"], **case["errors"]}
    assert set(recorded) == set(expected), "the fixture and the table must name the same calls"
    for call, variant in expected.items():
        if call in case["errors"]:
            assert call.startswith("sklearn."), f"only scikit-learn refuses inputs here: {call}"
        elif variant.reduce is None:
            assert call in case["per_sample"] or call in case["arrays"], call
        else:
            assert isinstance(case["values"][call], float), call
    n = len(case["preds"])
    for call, rows in case["per_sample"].items():
        assert len(rows) == n, call
    float32 = {v.call for c in found if c.dtype == "float32" for v in c.variants if v.call not in case["errors"]}
    assert set(case["float32"]) == float32, "the fixture knows which calls compute in float32"
    assert all(c.dtype == "float32" for c in found if c.framework == "keras"), "Keras's default is float32"


def test_the_fixture_covers_every_framework_of_every_loss():
    seen = {(case["loss"], framework) for case in CASES for framework in case["frameworks"]}
    # like.json's cases are 2-D; perplexity's torchmetrics call takes (N, T, V) logits, and its number
    # is tests/fixtures/tensors.json's (tests/test_tensors_cli.py)
    n_d_only = {loss for loss in FRAMEWORKS_WITH if BY_NAME[loss].exponent}
    missing = {(loss, fw) for loss, frameworks in FRAMEWORKS_WITH.items() for fw in frameworks if loss not in n_d_only}
    missing -= seen
    assert not missing, f"no like.json case for {sorted(missing)}"
    weighted = {case["loss"] for case in CASES if "weights" in case}
    keras_losses = {loss for loss, frameworks in FRAMEWORKS_WITH.items() if "keras" in frameworks}
    assert keras_losses - {"poisson_nll", "tversky", "squared_hinge"} <= weighted | {"kld"}


def test_the_fixture_says_where_it_came_from():
    for case in CASES:
        assert "torch 2.13" in case["versions"] and "keras 3" in case["versions"], case["versions"]
