"""--like and --compare against every framework's own call (tests/fixtures/like.json, written
by tests/references_like.py from PyTorch, Keras 3, scikit-learn, torchmetrics, optax).

Every number is the framework's. Keras's default call computes in float32 (its floatx), as
``--like keras`` does; those numbers are checked at the tolerance of Keras's own tests
(assertAllClose: atol = rtol = 1e-6), every other framework's at rtol 1e-9.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from jsonout import loaded

from losscli import compute
from losscli.core.conventions import conventions
from losscli.core.registry import get_loss

CASES = loaded((Path(__file__).parent / "fixtures" / "like.json").read_text())
RTOL = 1e-9
_FRAMEWORK_OF_CALL = {"torch": "torch", "keras": "keras", "sklearn": "sklearn", "optax": "optax", "np": "numpy"}
_FRAMEWORK_OF_CALL["torchmetrics"] = "torchmetrics"
KERAS_TOLERANCE = 1e-6  # keras/src/testing/test_case.py: assertAllClose(atol=1e-6, rtol=1e-6)


def _id(i: int, case: dict) -> str:
    options = ",".join(f"{k}={v}" for k, v in case["options"].items() if not isinstance(v, list))
    return f"{i}-{case['loss']}[{options}{',weights' if 'weights' in case else ''}]"


def _inputs(case: dict):
    p = np.asarray(case["preds"], dtype=np.float64)
    t = np.asarray(case["targets"], dtype=np.float64)
    return p, t, case.get("weights")


def _close(got: float, want: float, rtol: float, atol: float = 0.0) -> bool:
    if math.isnan(want) or math.isinf(want):
        return got == want or (math.isnan(want) and math.isnan(got))
    return abs(got - want) <= atol + rtol * abs(want) + 1e-300


def _expected(case: dict, call: str) -> tuple[float, float, float]:
    """(value, rtol, atol) a number must meet: Keras's float32 call at Keras's own tolerance."""
    if call in case["float32"]:
        return case["values"][call], KERAS_TOLERANCE, KERAS_TOLERANCE
    return case["values"][call], RTOL, 0.0


def _inputs_of_the_call(case: dict, convention) -> dict:
    """The case's options that the framework's call takes as they are: not its own constants, which an
    option given with --like would replace (tests/test_like_overrides.py)."""
    constants = {constant.option for constant in convention.constants}
    return {name: value for name, value in case["options"].items() if name not in constants}


def _found(case: dict):
    spec = get_loss(case["loss"])
    p = np.asarray(case["preds"], dtype=np.float64)
    n_outputs = 1 if p.ndim == 1 else p.shape[1]
    options = spec.resolve_options(case["options"])
    return conventions(spec.name, options, weighted="weights" in case, n_outputs=n_outputs, labels=case["labels"])


def _clips_what_losscli_refuses(case: dict, framework: str) -> bool:
    """Probabilities above 1 for KL divergence: Keras clips them to 1 without a word; losscli
    refuses them (a silent clip hides logits given as probabilities). torchmetrics
    renormalises the rows, which is a definition, not a clip: losscli follows it."""
    return case["loss"] == "kld" and framework != "torchmetrics" and np.max(case["preds"]) > 1


def _refused_by_losscli(case: dict, framework: str) -> tuple[str, dict | None] | None:
    """Where losscli refuses a framework's number on purpose, why (a pattern of the message) and the options
    that give the number instead:

    - torchmetrics' hinge losses on scores outside [0, 1]: torchmetrics applies a sigmoid (a softmax per row)
      when any score of the whole input lies outside [0, 1]; losscli, reading once, asks for --from-logits;
    - torchmetrics' binary hinge on targets -1/1: its default call takes -1 as positive (target.bool()),
      which its own validation (validate_args=True) refuses;
    - a brier target other than 0/1 where no framework's rule (scikit-learn's pos_label) says what it is.
    """
    binary = not case["labels"] and case["loss"] in ("hinge", "squared_hinge")
    hinges = ("hinge", "squared_hinge", "categorical_hinge")
    if framework == "torchmetrics" and binary and not np.isin(case["targets"], (0.0, 1.0)).all():
        return "takes targets 0 or 1", None
    outside = np.min(case["preds"]) < 0 or np.max(case["preds"]) > 1
    if framework == "torchmetrics" and case["loss"] in hinges and outside and not case["options"].get("from_logits"):
        return "pass --from-logits", {"from_logits": True}
    targets = np.asarray(case["targets"])
    brier_labels = case["loss"] == "brier" and not case["labels"] and targets.ndim == 1
    other_labels = brier_labels and not np.isin(targets, (0.0, 1.0)).all()
    if other_labels and framework != "sklearn" and case["options"].get("pos_label") is None:
        return "two other labels: --pos-label, or --like sklearn", None
    return None


@pytest.mark.parametrize("case", CASES, ids=[_id(i, c) for i, c in enumerate(CASES)])
def test_like_gives_each_frameworks_own_number(case):
    from losscli import InputError

    p, t, w = _inputs(case)
    for convention in _found(case):
        call = convention.default.call
        if call in case["errors"]:
            continue  # the framework refuses these inputs: see test_a_refusal_is_an_error
        if _clips_what_losscli_refuses(case, convention.framework):
            with pytest.raises(InputError, match="is not in \\[0, 1\\]"):
                compute(case["loss"], p, t, weights=w, like=convention.framework, **case["options"])
            continue
        options = _inputs_of_the_call(case, convention)
        refused = _refused_by_losscli(case, convention.framework)
        if refused is not None:
            why, instead = refused
            with pytest.raises(InputError, match=re.escape(why)):
                compute(case["loss"], p, t, weights=w, like=convention.framework, **options)
            if instead is None:
                continue
            options = {**options, **instead}  # what the framework did: its number, through the flag
        result = compute(case["loss"], p, t, weights=w, like=convention.framework, **options)
        want, rtol, atol = _expected(case, call)
        assert _close(result.value, want, rtol, atol), (convention.framework, call, result.value, want)


@pytest.mark.parametrize("case", CASES, ids=[_id(i, c) for i, c in enumerate(CASES)])
def test_every_compare_row_is_the_frameworks_number(case):
    p, t, w = _inputs(case)
    if _clips_what_losscli_refuses(case, "keras"):  # losscli's own kld refuses before comparing
        pytest.skip("the default kld refuses probabilities above 1: see test_like_gives_each_frameworks_own_number")
    if _refused_by_losscli(case, "numpy") and case["loss"] == "brier":  # so does its own brier
        pytest.skip("the default brier refuses labels other than 0/1: see test_like_gives_each_frameworks_own_number")
    result = compute(case["loss"], p, t, weights=w, compare=True, **case["options"])
    by_call = {row.call: row for row in result.comparison}
    for call in case["values"]:
        row = by_call[call]
        refused = _refused_by_losscli(case, _FRAMEWORK_OF_CALL[call.split(".")[0].lstrip("-")])
        if refused is not None:  # see test_like_gives_each_frameworks_own_number
            assert row.value is None and refused[0] in row.note, row
            continue
        want, rtol, atol = _expected(case, call)
        assert row.value is not None and _close(row.value, want, rtol, atol), (call, row, want)
    for call in case["errors"]:
        assert by_call[call].value is None and by_call[call].note.startswith("refused: "), by_call[call]


def test_a_refusal_is_an_error():
    case = next(c for c in CASES if c["errors"] and c["loss"] == "bce")
    p, t, w = _inputs(case)
    from losscli import InputError

    with pytest.raises(InputError, match="--like sklearn: scikit-learn's log_loss takes 0/1 labels"):
        compute("bce", p, t, like="sklearn")


def test_a_framework_without_the_loss_is_a_usage_error_naming_those_with_it():
    from losscli import UsageError

    with pytest.raises(UsageError, match="--like torch: PyTorch has no js; the frameworks that have it: torchmetrics"):
        compute("js", [[0.5, 0.5]], [[0.2, 0.8]], like="torch")
