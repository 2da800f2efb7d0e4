"""An option given with --like is never replaced by the framework's default (issue 17).

For every loss, every framework that has it, and every option the loss takes (its reduction
and weight divisor too), the option is given with a value other than its default: either
``--like`` computes with the given value, and says which of the framework's defaults it
replaced, or it refuses (the framework has no such call), never silently the framework's own.
"""

from __future__ import annotations

import numpy as np
import pytest
from jsonout import loaded
from typer.testing import CliRunner

from losscli.cli.app import app
from losscli.core.conventions import conventions
from losscli.core.frameworks import like
from losscli.core.registry import LOSSES as EVERY_LOSS
from losscli.core.registry import Option
from losscli.core.terms import prepare
from losscli.errors import UsageError

C = 3  # outputs (classes) of the cases


def _other_value(option: Option):
    """A valid value of ``option`` other than its default."""
    if option.kind == "flag":
        return not option.default
    if option.kind == "choice":
        return next(c for c in option.choices if c != option.default)
    if option.kind == "pair":
        return (0.01, 0.9)
    if option.kind == "array":
        return np.array([0.5, 2.0, 3.0])
    candidates = (0.3, 0.7, 2.0, 3.0, 1e-3, 0.45) if option.kind == "float" else (2, 3, 1, -1)
    return next(v for v in candidates if v != option.default and option.valid(v))


# the losses with a 2-D pass: perplexity's --like torchmetrics is tests/test_tensors_cli.py's
LOSSES = tuple(spec for spec in EVERY_LOSS if not spec.exponent)


def _cases():
    for spec in LOSSES:
        labels = spec.targets == "labels"
        for weighted in (False, True):
            base = {"var": 1.0} if spec.name == "gaussian_nll" else {}
            found = conventions(spec.name, spec.resolve_options(base), weighted=weighted, n_outputs=C, labels=labels)
            for convention in found:
                for option in spec.options:
                    if option.name in base or option.hidden:
                        continue
                    yield pytest.param(
                        spec,
                        convention.framework,
                        option,
                        weighted,
                        labels,
                        base,
                        id=_id(spec, convention, option, weighted),
                    )


def _id(spec, convention, option, weighted: bool) -> str:
    return f"{spec.name}-{convention.framework}-{option.name}{'-weighted' if weighted else ''}"


def _given(spec, option, base):
    given = {**base, option.name: _other_value(option)}
    if option.requires:
        given[option.requires] = True
    return given


@pytest.mark.parametrize(("spec", "framework", "option", "weighted", "labels", "base"), list(_cases()))
def test_an_option_given_with_like_is_kept(spec, framework, option, weighted, labels, base):
    given = _given(spec, option, base)
    task = prepare(spec, weighted=weighted, labels=labels, options=given)
    try:
        computed, info = like(task, framework, C)
    except UsageError as error:  # the framework has no call with this option: said, not replaced
        assert f"--like {framework}" in str(error)
        return
    wanted = task.options[option.name]
    got = computed.options[option.name]
    assert np.array_equal(np.asarray(got), np.asarray(wanted)), (option.name, got, wanted)
    replaced = {o.option for o in info.overridden}
    convention = next(
        c
        for c in conventions(spec.name, task.options, weighted=weighted, n_outputs=C, labels=labels)
        if c.framework == framework
    )
    for constant in convention.constants:
        if constant.option == option.name and not np.array_equal(np.asarray(constant.value), np.asarray(wanted)):
            assert option.name in replaced, f"{option.flag} replaced the framework's {constant.value!r} without a word"


@pytest.mark.parametrize("framework", ["torch", "keras", "sklearn", "optax", "torchmetrics", "numpy"])
def test_a_reduction_given_with_like_is_kept(framework):
    for spec in LOSSES:
        options = {"var": 1.0} if spec.name == "gaussian_nll" else {}
        labels = spec.targets == "labels"
        resolved = spec.resolve_options(options)
        found = [
            c
            for c in conventions(spec.name, resolved, weighted=False, n_outputs=C, labels=labels)
            if c.framework == framework
        ]
        if not found:
            continue
        default = found[0].default.reduce
        for reduce in spec.for_options(found[0].options).reductions:
            if reduce == default:
                continue
            task = prepare(spec, reduce=reduce, labels=labels, options=options)
            computed, info = like(task, framework, C)
            assert computed.reduction.name == reduce
            assert [o.option for o in info.overridden] == ["reduce"], info


def test_a_weight_divisor_given_with_like_is_kept_and_picks_the_frameworks_call():
    """The issue's case: Keras divides a weighted mean by N unless reduction="mean_with_sample_weight"."""
    task = prepare("mse", weighted=True, weight_divisor="sum")
    computed, info = like(task, "keras", 4)
    assert computed.weight_divisor == "sum"
    assert info.call == 'keras.losses.MeanSquaredError(reduction="mean_with_sample_weight")(t, p, sample_weight=w)'
    default, _ = like(prepare("mse", weighted=True), "keras", 4)
    assert default.weight_divisor == "count"  # Keras's own: sum_over_batch_size divides by N


def _save(path, array):
    np.save(path, np.asarray(array, dtype=np.float64))
    return str(path)


def test_the_result_says_which_defaults_were_given(tmp_path):
    """--eps 1e-3 with --like keras: Keras's own epsilon is 1e-7 (keras.config.epsilon())."""
    p = _save(tmp_path / "p.npy", [[0.2, 0.8], [0.0, 1.0]])
    t = _save(tmp_path / "t.npy", [[0.0, 1.0], [1.0, 0.0]])
    runner = CliRunner()
    given = runner.invoke(app, ["cce", p, t, "--like", "keras", "--eps", "0.001", "-f", "json", "--level", "element"])
    assert given.exit_code == 0, given.output
    data = loaded(given.stdout)
    assert data["like"]["overridden"] == [{"option": "eps", "given": 0.001, "framework": 1e-07}]
    # -log(0.8) and -log(1e-3) clipped at the given eps, over N = 2 (sum over classes, mean over samples)
    assert data["value"] == pytest.approx((-np.log(np.float32(0.8)) - np.log(np.float32(1e-3))) / 2, rel=1e-6)
    table = runner.invoke(app, ["cce", p, t, "--like", "keras", "--eps", "0.001"])
    assert "given in place of its defaults: --eps 0.001 (its own: 1e-07)" in " ".join(table.stdout.split())
