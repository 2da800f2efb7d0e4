"""A result must not depend on where the block boundaries fall.

The engine reads its inputs a block of rows at a time (``inputs.BLOCK_ELEMENTS`` values
per block). Every decision a loss or a convention makes from the data (a label map, class
labels read as names or positions, a framework's refusal, a domain) must be the decision
the whole input makes. This test runs the command line on the same files with the default
block (the whole file here) and with blocks of 1 and 2 rows (``BLOCK_ELEMENTS`` of 1 and
3 rows' worth: ``block_rows`` rounds down to a power of two; tiles of one row within them,
``terms.TILE_VALUES``; readers' chunks of 256 bytes), on rows ordered to put a
decision's evidence in the wrong block: sorted by target (one class per block), sorted by
prediction, and as built (a block of all-zero rows first, then a block where every target
is equal). Every loss of the registry, with options, every ``--like`` framework that has
it, and ``--compare``.

Both runs must give the same numbers (rtol 1e-12), or both refuse (exit 2, one line on
stderr). A refusal with small blocks where the whole input computes is allowed (the engine
reads once: see ``engine/signs.py``); a number with small blocks where the whole input is
refused, or two different numbers, is a failure.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest
from jsonout import loaded

from losscli.core import terms as terms_module
from losscli.core.frameworks import conventions_of
from losscli.core.registry import LOSSES, get_loss
from losscli.core.terms import prepare, takes_labels
from losscli.io import inputs as inputs_module
from losscli.io import npy as npy_module
from losscli.io import text as text_module

N = 16  # rows per input
C = 3  # outputs (or classes) of the multi-output cases
RTOL = 1e-12
ZEROS = slice(0, 3)  # the rows set to zero (where the domain allows), first as built
EQUAL = slice(3, 7)  # the rows whose targets are all equal, second as built


class Data(NamedTuple):
    pred: np.ndarray  # (N, C)
    target: np.ndarray  # (N, C), or (N,) class labels (float, NaN where missing)
    labels: bool = False
    pred_names: list | None = None  # the predictions' header (class names for labels)
    label_text: list | None = None  # class labels written as these names (index = label)
    weights: np.ndarray | None = None
    var: np.ndarray | None = None  # gaussian_nll's per-sample variances, (N, C)


class Case(NamedTuple):
    id: str
    loss: str
    make: Callable[[np.random.Generator], Data]
    options: dict = {}
    zeros: str = ""  # "p", "t", "pt": which role may hold all-zero rows
    flags: tuple = ()  # more command-line arguments (not loss options)
    valid: bool = True  # the whole input computes (with the loss's own convention)
    xfail: str = ""  # a confirmed bug: why this case fails today
    xfail_modes: tuple = ()  # the modes it fails in ("plain", "compare", "like:numpy"); () for all


# --- inputs -----------------------------------------------------------------------------------


def _ties(x: np.ndarray) -> np.ndarray:
    """Values rounded to one decimal: equal targets in many rows."""
    return np.round(x, 1)


def normal(c=C, scale=2.0):
    return lambda rng: Data(rng.normal(0, scale, (N, c)), _ties(rng.normal(0, scale, (N, c))))


def positive(c=C, t_low=0.0, p_low=0.0):
    def make(rng):
        p = rng.uniform(p_low, 4.0, (N, c)) + (p_low > 0) * 0.1
        return Data(p, _ties(rng.uniform(t_low, 4.0, (N, c))) + (t_low > 0) * 0.1)

    return make


def counts(c=C, pred="rate"):
    def make(rng):
        p = rng.uniform(0.1, 5.0, (N, c)) if pred == "rate" else rng.normal(0, 1, (N, c))
        return Data(p, rng.integers(0, 5, (N, c)).astype(float))

    return make


def probabilities(c=C, targets="binary", logits=False):
    def make(rng):
        p = rng.normal(0, 3, (N, c)) if logits else np.round(rng.uniform(0.01, 0.99, (N, c)), 3)
        t = rng.integers(0, 2, (N, c)).astype(float) if targets == "binary" else np.round(rng.uniform(0, 1, (N, c)), 1)
        return Data(p, t)

    return make


def signs(c=C, values=(-1.0, 1.0)):
    return lambda rng: Data(rng.normal(0, 1, (N, c)), rng.choice(values, (N, c)))


def _simplex(rng, n, c):
    x = rng.uniform(0.05, 1.0, (n, c))
    return x / x.sum(axis=1, keepdims=True)


def _predictions(rng, kind: str, c: int) -> np.ndarray:
    if kind == "logits":
        return rng.normal(0, 2, (N, c))
    return np.log(_simplex(rng, N, c)) if kind == "log" else _simplex(rng, N, c)


def categorical(targets="one_hot", pred="simplex", c=C):
    def make(rng):
        p = _predictions(rng, pred, c)
        if targets == "one_hot":
            t = np.eye(c)[rng.integers(0, c, N)]
        elif targets == "soft":
            t = np.round(_simplex(rng, N, c), 2)
            t[:, -1] = 1.0 - t[:, :-1].sum(axis=1)
        else:
            t = np.round(_simplex(rng, N, c), 2)
        return Data(p, t)

    return make


def labels(pred="simplex", c=C, **more):
    def make(rng):
        p = _predictions(rng, pred, c)
        return Data(p, rng.integers(0, c, N).astype(float), labels=True, **more)

    return make


def gaussian(per_sample):
    def make(rng):
        d = normal()(rng)
        var = rng.uniform(0.1, 3.0, (N, C) if per_sample else (1, 1))
        return d._replace(var=var)

    return make


def weighted(make):
    return lambda rng: make(rng)._replace(weights=np.round(rng.uniform(0, 2, N), 1))


def first_rows(make, label: float):
    """``make``'s data with the first four rows' labels replaced by ``label`` (NaN: missing)."""

    def wrapped(rng):
        d = make(rng)
        t = d.target.copy()
        t[:4] = label
        return d._replace(target=t)

    return wrapped


def mixed_hinge_labels(rng):
    """{0, 1} in the first rows, {-1, 1} in the rest: no one hinge label set for the whole input."""
    t = rng.choice([-1.0, 1.0], (N, 1))
    t[:4] = [[0.0], [1.0], [0.0], [1.0]]
    return Data(rng.normal(0, 1, (N, 1)), t)


def _one_soft(make, row):
    def wrapped(rng):
        d = make(rng)
        t = d.target.copy()
        t[row] = np.full(t.shape[1], 1.0 / t.shape[1]) if t.shape[1] > 1 else 0.5
        return d._replace(target=t)

    return wrapped


def label_pairs(c=C, classes=2):
    """Predicted and true labels (0/1 indicators, or classes): what hamming and zero-one losses compare."""
    return lambda rng: Data(
        rng.integers(0, classes, (N, c)).astype(float), rng.integers(0, classes, (N, c)).astype(float)
    )


def label_lists(c=C):
    """PyTorch MultiLabelMarginLoss targets: each row some classes' indices, then -1."""

    def make(rng):
        t = np.full((N, c), -1.0)
        for i in range(N):
            k = rng.integers(0, c + 1)
            t[i, :k] = rng.permutation(c)[:k]
        return Data(rng.normal(0, 1, (N, c)), t)

    return make


def relevance(c=C):
    """Scores, and 0/1 relevance of each label (ranking losses), with tied scores."""
    return lambda rng: Data(_ties(rng.normal(0, 1, (N, c))), rng.integers(0, 2, (N, c)).astype(float))


# --- the cases: every loss, with options ---------------------------------------------------------------

CASES = [
    Case("mse", "mse", normal(), zeros="pt"),
    Case("mse-1d", "mse", normal(1), zeros="pt"),
    Case("mse-weighted", "mse", weighted(normal()), zeros="pt"),
    Case("rmse", "rmse", normal(), zeros="pt"),
    Case("rmse-per-output-root", "rmse", normal(), {"per_output_root": True}, zeros="pt"),
    Case("mae", "mae", normal(1), zeros="pt"),
    Case("l2", "l2", normal(), zeros="pt"),
    Case("huber", "huber", normal(), {"delta": 0.5}, zeros="pt"),
    Case("smooth_l1", "smooth_l1", normal(), {"beta": 0.0}, zeros="pt"),
    Case("log_cosh", "log_cosh", normal(), zeros="pt"),
    Case("mape", "mape", normal(), zeros="pt"),
    Case("mape-fraction", "mape", normal(1), {"fraction": True}, zeros="pt"),
    Case("smape", "smape", normal(), zeros="pt"),
    Case("wmape", "wmape", normal(), zeros="pt"),
    Case("msle", "msle", positive(), zeros="pt"),
    Case("rmsle", "rmsle", positive(1), zeros="pt"),
    Case("pinball", "pinball", normal(), {"quantile": 0.9}, zeros="pt"),
    Case("poisson", "poisson", counts(), zeros="pt"),
    Case("poisson_nll", "poisson_nll", counts(pred="log"), zeros="pt"),
    Case("poisson_nll-rates-full", "poisson_nll", counts(), {"log_input": False, "full": True}, zeros="pt"),
    Case("poisson_deviance", "poisson_deviance", counts(), zeros="t"),
    Case("gamma_deviance", "gamma_deviance", positive(t_low=0.1, p_low=0.1)),
    Case("tweedie-0", "tweedie_deviance", normal(), zeros="pt"),
    Case("tweedie-1.5", "tweedie_deviance", positive(p_low=0.1), {"power": 1.5}, zeros="t"),
    Case("tweedie-3", "tweedie_deviance", positive(t_low=0.1, p_low=0.1), {"power": 3.0}),
    Case("gaussian_nll-scalar", "gaussian_nll", gaussian(False), zeros="pt"),
    Case("gaussian_nll-per-sample", "gaussian_nll", gaussian(True), {"full": True}, zeros="pt"),
    Case("bce", "bce", probabilities(), zeros="pt"),
    Case("bce-1d", "bce", probabilities(1), zeros="pt"),
    Case("bce-soft", "bce", probabilities(targets="soft"), zeros="pt"),
    Case("bce-logits", "bce", probabilities(logits=True), {"from_logits": True, "pos_weight": 2.0}, zeros="pt"),
    Case("bce-smoothing", "bce", probabilities(), {"label_smoothing": 0.1}, zeros="pt"),
    Case("bce-one-soft-row", "bce", _one_soft(probabilities(1), 9)),  # scikit-learn refuses the whole input
    Case("focal", "focal", probabilities(), zeros="pt"),
    Case("focal-logits", "focal", probabilities(logits=True), {"from_logits": True, "alpha": 0.3}, zeros="pt"),
    Case("hinge-signs", "hinge", signs(1), zeros="p"),
    Case("hinge-01", "hinge", signs(1, (0.0, 1.0)), zeros="pt"),
    Case("hinge-01-multi", "hinge", signs(C, (0.0, 1.0)), zeros="pt"),
    Case("squared_hinge-signs", "squared_hinge", signs(1), zeros="p"),
    Case("squared_hinge-01", "squared_hinge", signs(1, (0.0, 1.0)), zeros="pt"),
    Case(
        "hinge-0-and-minus-1",
        "hinge",
        mixed_hinge_labels,
        valid=False,  # was a number under --like numpy/optax (as_given): fixed by engine/signs.py
    ),
    Case("soft_margin", "soft_margin", signs(), zeros="p"),
    Case("hinge_embedding", "hinge_embedding", signs(), {"margin": 2.0}, zeros="p"),
    Case("multilabel_soft_margin", "multilabel_soft_margin", probabilities(logits=True), zeros="pt"),
    Case("cce", "cce", categorical(), zeros="t"),
    Case("cce-soft", "cce", categorical("soft"), {"label_smoothing": 0.1}, zeros="t"),
    Case("cce-logits", "cce", categorical(pred="logits"), {"from_logits": True}, zeros="pt"),
    Case("sparse_cce", "sparse_cce", labels(), zeros="t"),
    Case("sparse_cce-logits", "sparse_cce", labels("logits"), {"from_logits": True, "label_smoothing": 0.1}),
    Case("sparse_cce-class-weights", "sparse_cce", weighted(labels()), {"class_weights": [1.0, 2.0, 0.5]}, zeros="t"),
    Case("sparse_cce-ignore", "sparse_cce", labels(), {"ignore_index": 1}, zeros="t"),
    Case("nll", "nll", labels("log"), zeros="t"),
    Case("nll-ignore", "nll", labels("log"), {"ignore_index": 0, "class_weights": [2.0, 1.0, 0.5]}, zeros="t"),
    Case("kld", "kld", categorical("simplex"), zeros="pt"),
    Case("kld-log", "kld", categorical("simplex", pred="log"), {"log_input": True}, zeros="t"),
    Case("js", "js", categorical("simplex")),
    Case("categorical_focal", "categorical_focal", categorical(), zeros="t"),
    Case("multi_margin", "multi_margin", labels("logits"), {"p": 2, "margin": 0.5}, zeros="pt"),
    Case("brier-labels", "brier", labels(), zeros="t"),
    Case("brier-one-hot", "brier", categorical(), zeros="t"),
    Case("brier-binary", "brier", probabilities(1), zeros="pt"),
    Case("categorical_hinge", "categorical_hinge", categorical(pred="logits"), zeros="t"),
    Case("cosine_similarity", "cosine_similarity", normal(), zeros="pt"),
    Case("cosine_distance", "cosine_distance", normal(), zeros="pt"),
    Case("dice", "dice", probabilities(), zeros="pt"),
    Case("tversky", "tversky", probabilities(), {"alpha": 0.3, "beta": 0.7}, zeros="pt"),
    Case("perceptron", "perceptron", signs(), zeros="p"),
    Case("sparsemax", "sparsemax", probabilities(logits=True), zeros="p"),
    Case("hamming_loss", "hamming_loss", label_pairs(), zeros="pt"),
    Case("hamming_loss-classes", "hamming_loss", weighted(label_pairs(1, classes=4)), zeros="pt"),
    Case("zero_one_loss", "zero_one_loss", label_pairs(), zeros="pt"),
    Case("poly_loss", "poly_loss", labels("logits"), {"epsilon": 1.5}, zeros="p"),
    Case("poly_loss-soft", "poly_loss", categorical("soft", pred="logits"), zeros="p"),
    Case("generalized_kld", "generalized_kld", positive(), zeros="t"),
    Case("generalized_cross_entropy", "generalized_cross_entropy", labels(), {"q": 0.7}, zeros="t"),
    Case("multiclass_perceptron", "multiclass_perceptron", labels("logits"), zeros="pt"),
    Case("multiclass_sparsemax", "multiclass_sparsemax", labels("logits"), zeros="pt"),
    Case("squared_categorical_hinge", "squared_categorical_hinge", weighted(labels()), zeros="t"),
    Case("multilabel_margin", "multilabel_margin", label_lists(), zeros="p"),
    Case("label_ranking_loss", "label_ranking_loss", weighted(relevance()), zeros="pt"),
    Case("coverage_error", "coverage_error", relevance(), zeros="pt"),
    Case("soft_dice", "soft_dice", categorical(pred="logits"), {"smooth": 0.5, "alpha": 0.3}, zeros="t"),
    Case("soft_dice-one-column", "soft_dice", weighted(probabilities(1, logits=True)), zeros="pt"),
    Case("binary_dice", "binary_dice", probabilities(logits=True), zeros="pt"),
    Case("max_error", "max_error", normal(1), zeros="pt"),
    Case("minkowski", "minkowski", weighted(normal()), {"p": 3.0}, zeros="pt"),
    Case("calibration_error", "calibration_error", probabilities(1), {"bins": 10}, zeros="pt"),
    Case(
        "calibration_error-logits",
        "calibration_error",
        probabilities(1, logits=True),
        {"norm": "l2", "from_logits": True},
        zeros="pt",
    ),
    Case("median_absolute_error", "median_absolute_error", normal(), zeros="pt"),
    Case("median_absolute_error-one-output", "median_absolute_error", normal(1), zeros="pt"),
    Case("binary_dice-probabilities", "binary_dice", weighted(probabilities()), {"from_logits": False}, zeros="pt"),
    # class labels read as names or as positions: decided from the labels
    Case("labels-named-text", "sparse_cce", labels(pred_names=["emu", "cat", "dog"], label_text=["emu", "cat", "dog"])),
    Case(
        "labels-permuted-header-ignored-first",
        "sparse_cce",
        first_rows(labels(pred_names=["2", "0", "1"]), -100.0),
        {"ignore_index": -100},  # a first block of ignored labels used to decide positions
    ),
    Case(
        "labels-permuted-header-missing-first",
        "sparse_cce",
        first_rows(labels(pred_names=["2", "0", "1"]), np.nan),
        flags=("--drop-missing",),  # a first block of missing labels used to decide positions
    ),
    # refused with small blocks only (allowed): the first block's labels decide names or positions
    Case(
        "labels-text-missing-first",
        "sparse_cce",
        first_rows(labels(pred_names=["emu", "cat", "dog"], label_text=["emu", "cat", "dog"]), np.nan),
        flags=("--drop-missing",),
    ),
    Case("labels-header-not-classes", "sparse_cce", first_rows(labels(pred_names=["1", "2", "3"]), 1.0)),
]


def _case_tasks(case: Case, data: Data):
    """The frameworks whose --like computes the case (the registry's own conventions)."""
    spec = get_loss(case.loss)
    n_targets = 1 if data.labels else data.target.shape[1]
    task = prepare(
        spec,
        weighted=data.weights is not None,
        labels=takes_labels(spec, data.pred.shape[1], n_targets),
        options={**case.options, **({"var": data.var} if data.var is not None else {})},
    )
    return [c.framework for c in conventions_of(task, data.pred.shape[1])]


def _data(case: Case) -> Data:
    rng = np.random.default_rng(_seed(case.id))
    d = case.make(rng)
    pred, target = d.pred.astype(float).copy(), d.target.astype(float).copy()
    if "p" in case.zeros:
        pred[ZEROS] = 0.0
    if "t" in case.zeros:
        target[ZEROS] = 0.0
    if case.valid and not (d.labels and np.isnan(target[EQUAL]).any()):
        target[EQUAL] = target[EQUAL.start]  # a block of one target (one class, one label)
    return d._replace(pred=pred, target=target)


def _seed(text: str) -> int:
    return sum((k + 1) * ord(ch) for k, ch in enumerate(text))


def _modes(case: Case) -> list[str]:
    return ["plain", "compare"] + [f"like:{fw}" for fw in _case_tasks(case, _data(case))]


def _marks(case: Case, mode: str) -> list:
    if case.xfail and (not case.xfail_modes or mode in case.xfail_modes):
        return [pytest.mark.xfail(strict=True, reason=case.xfail)]
    return []


PARAMS = [
    pytest.param(case, mode, id=f"{case.id}-{mode}", marks=_marks(case, mode))
    for case in CASES
    for mode in _modes(case)
]


# --- orderings and files ------------------------------------------------------------------------


def _order(data: Data, ordering: str) -> np.ndarray:
    if ordering == "built":
        return np.arange(N)
    if ordering == "target":
        return np.lexsort(np.atleast_2d(data.target.T)[::-1])
    if ordering == "target-desc":
        return np.lexsort(np.atleast_2d(data.target.T)[::-1])[::-1]
    if ordering == "pred":
        return np.argsort(data.pred[:, 0], kind="stable")
    raise ValueError(ordering)


# each ordering, with the small blocks it is read in (rows' worth of BLOCK_ELEMENTS); --like
# shares its terms with the rows of --compare, so it is read in fewer (the test runs in seconds)
ORDERINGS = {"built": (1, 3), "target": (1,), "target-desc": (1, 3), "pred": (3,)}
LIKE_ORDERINGS = {"built": (1,), "target": (3,), "target-desc": (1,)}


def _write(tmp_path, case: Case, data: Data, ordering: str, fmt: str) -> list[str]:
    """The files of one ordering, and the command-line arguments that name them."""
    order = _order(data, ordering)
    folder = tmp_path / ordering
    folder.mkdir()
    pred, target = data.pred[order], data.target[order]
    args = []
    if fmt == "npy":
        np.save(folder / "p.npy", pred)
        np.save(folder / "t.npy", target)
        args += [folder / "p.npy", folder / "t.npy"]
    else:
        names = data.pred_names or ([f"c{k}" for k in range(pred.shape[1])] if not data.labels else None)
        pd.DataFrame(pred, columns=names).to_csv(folder / "p.csv")
        if data.labels:
            labels = pd.Series(target, name="y")
            if data.label_text is not None:
                labels = labels.map(lambda v: np.nan if math.isnan(v) else data.label_text[int(v)])
            elif not np.isnan(target).any():
                labels = labels.astype(int)
            labels.to_csv(folder / "t.csv")
        else:
            pd.DataFrame(target, columns=names).to_csv(folder / "t.csv")
        args += [folder / "p.csv", folder / "t.csv"]
    if data.weights is not None:
        np.save(folder / "w.npy", data.weights[order])
        args += ["--weights", folder / "w.npy"]
    if data.var is not None:
        var = data.var[order] if len(data.var) == N else data.var
        np.save(folder / "var.npy", var)
        args += ["--var", folder / "var.npy"]
    for name, value in case.options.items():
        flag = "--" + name.replace("_", "-")
        if value is True:
            args.append(flag)
        elif value is False:
            args.append("--no-" + name.replace("_", "-"))
        elif isinstance(value, list):
            np.save(folder / f"{name}.npy", np.asarray(value, dtype=float))
            args += [flag, folder / f"{name}.npy"]
        else:
            args += [flag, value]
    return args + list(case.flags)


def _format(data: Data, ordering: str) -> str:
    """CSV (pandas' defaults: rows matched by their row labels), or .npy (matched by position)
    for the descending order; class labels stay CSV (an .npy array has no text column)."""
    return "npy" if ordering == "target-desc" and not data.labels else "csv"


# --- one run, and what two runs must share --------------------------------------------------------


class Outcome(NamedTuple):
    code: int
    data: object  # the parsed JSON, or None
    stderr: str


def _invoke(run, args, monkeypatch, rows: int | None, width: int) -> Outcome:
    with monkeypatch.context() as m:
        if rows is not None:
            m.setattr(inputs_module, "BLOCK_ELEMENTS", rows * width)
            m.setattr(text_module, "CHUNK_BYTES", 256)
            m.setattr(npy_module, "CHUNK_BYTES", 256)
            if hasattr(terms_module, "TILE_VALUES"):  # a block's terms are computed a tile of rows at a time
                m.setattr(terms_module, "TILE_VALUES", width)
        out = run(*args)
    data = loaded(out.stdout) if out.exit_code == 0 else None
    return Outcome(out.exit_code, data, out.stderr)


def _numbers(value) -> np.ndarray:
    return np.array([math.nan if v is None else v for v in np.ravel(np.asarray(value, dtype=object))], dtype=float)


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    x, y = _numbers(a), _numbers(b)
    return x.shape == y.shape and bool(np.all(np.isclose(x, y, rtol=RTOL, atol=0.0, equal_nan=True) | (x == y)))


RESULT_NUMBERS = ("value", "total", "per_sample", "per_output", "per_element")
RESULT_NUMBERS += ("n",)
RESULT_SAME = ("shape", "non_finite", "ids", "like", "options")


def _differences(mode: str, whole: Outcome, small: Outcome) -> list[str]:
    """What the small-block run got wrong, compared with the whole-input run."""
    if whole.code != 0 or small.code != 0:
        if small.code == 2 and small.stderr.count("\n") == 1 and not small.data:
            return []  # a refusal (the whole input's, or one the engine makes reading once)
        if whole.code == 2 and small.code == 0:
            return [f"the whole input is refused ({whole.stderr.strip()}) but the small blocks give a number"]
        return [f"exit {whole.code} vs {small.code}: {small.stderr.strip()[:300]}"]
    if mode == "compare":
        return _compare_differences(whole.data, small.data)
    out = []
    for key in RESULT_NUMBERS:
        if not _close(whole.data.get(key), small.data.get(key)):
            out.append(f"{key}: {_shown(whole.data.get(key))} vs {_shown(small.data.get(key))}")
    w, v = whole.data.get("weights") or {}, small.data.get("weights") or {}
    if w.get("divisor") != v.get("divisor") or not _close(w.get("value"), v.get("value")):
        out.append(f"weights: {w!r} vs {v!r}")
    for key in RESULT_SAME:
        if whole.data.get(key) != small.data.get(key):
            out.append(f"{key}: {whole.data.get(key)!r} vs {small.data.get(key)!r}")
    return out


def _compare_differences(whole: list, small: list) -> list[str]:
    rows = {(r["framework"], r["call"]): r for r in small}
    if [(r["framework"], r["call"]) for r in whole] != [(r["framework"], r["call"]) for r in small]:
        return ["--compare lists other rows"]
    out = []
    for row in whole:
        other = rows[(row["framework"], row["call"])]
        refused, other_refused = row["note"].startswith("refused"), other["note"].startswith("refused")
        if other_refused and not refused:
            continue  # refused reading once: allowed
        if refused and not other_refused:
            out.append(f"{row['call']}: refused for the whole input ({row['note']}) but {other['value']!r} in blocks")
        elif not (_close(row["n"], other["n"]) and _close(row["value"], other["value"])):
            out.append(f"{row['call']}: {row['value']!r} (n {row['n']}) vs {other['value']!r} (n {other['n']})")
    return out


def _shown(value) -> str:
    text = json.dumps(value)
    return text if len(text) < 160 else text[:157] + "..."


@pytest.mark.parametrize(("case", "mode"), PARAMS)
def test_blocks_give_the_whole_inputs_result(run, tmp_path, monkeypatch, case, mode):
    data = _data(case)
    width = data.pred.shape[1]
    extra = ["--compare"] if mode == "compare" else ["--like", mode.split(":")[1]] if mode.startswith("like:") else []
    orderings = ORDERINGS if not mode.startswith("like:") else LIKE_ORDERINGS
    failures, computed = [], 0
    for ordering in orderings:
        args = _write(tmp_path, case, data, ordering, _format(data, ordering))
        command = [case.loss, *args, *extra, "--format", "json", "--level", "element"]
        whole = _invoke(run, command, monkeypatch, None, width)
        computed += whole.code == 0
        for rows in orderings[ordering]:
            small = _invoke(run, command, monkeypatch, rows, width)
            failures += [f"{ordering}, blocks of {rows} row(s)' worth: {d}" for d in _differences(mode, whole, small)]
    if case.valid and mode == "plain":
        assert computed == len(orderings), f"the case's inputs are not valid for {case.loss}: {whole.stderr}"
    assert not failures, "\n".join(failures)


def test_every_loss_is_covered():
    # an exponent loss (perplexity) has the N-D pass only: its blocks are tests/test_tensors_cli.py's
    assert {loss.name for loss in LOSSES if not loss.exponent} <= {case.loss for case in CASES}
