"""Reference values from the real frameworks: PyTorch, Keras 3 and scikit-learn.

Run ``python tests/references.py`` (with the ``reference`` dependency group
installed) to rewrite ``tests/fixtures/reference.json``. ``test_reference.py``
checks losscli against that file; ``test_reference_live.py`` rebuilds the values
from the installed frameworks and checks losscli against them too.

Every element term comes from a framework in float64, with one exception the
guide allows: Keras 3 on the torch backend averages in float32 (``keras.ops.mean``),
so where Keras is the only reference its per-sample values are checked at rtol 1e-6
and the float64 formula that agrees with them is the fixture (computed here with
torch ops, or with mpmath at 50 digits for log-cosh).

Nothing here imports losscli: these values are independent of the code under test.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

FIXTURE = Path(__file__).parent / "fixtures" / "reference.json"
REDUCES = ("all", "samples", "outputs", "none")
KERAS_RTOL = 1e-6  # Keras 3 averages in float32 on the torch backend
os.environ.setdefault("KERAS_BACKEND", "torch")  # before anything imports keras


def _frameworks():
    import keras
    import sklearn.metrics
    import torch

    if keras.backend.backend() != "torch":
        raise RuntimeError(f"Keras runs on {keras.backend.backend()}; set KERAS_BACKEND=torch")
    return torch, keras, sklearn.metrics


# --- the inputs ------------------------------------------------------------------------


def cases() -> list[dict]:
    """Inputs and options for every loss: defaults and non-default options, 2-D and 1-D."""
    rng = np.random.default_rng(20261125)

    def normal(*shape, scale=2.0):
        return np.round(rng.normal(0.0, scale, shape), 6)

    out = []

    def add(loss, preds, targets, **options):
        out.append(
            {
                "loss": loss,
                "options": options,
                "preds": np.asarray(preds, float).tolist(),
                "targets": np.asarray(targets, float).tolist(),
            }
        )

    for loss in ("mse", "mae", "huber", "smooth_l1", "log_cosh", "mape"):
        add(loss, normal(6, 4), normal(6, 4))
        add(loss, normal(7), normal(7))
    add("mape", normal(3, 2), [[0.0, 1e-9], [2.0, -3.0], [1e-7, 0.5]])  # the 1e-7 floor
    for delta in (0.5, 3.0):
        add("huber", normal(6, 4), normal(6, 4), delta=delta)
    for beta in (0.5, 0.0):
        add("smooth_l1", normal(6, 4), normal(6, 4), beta=beta)
    add("log_cosh", [[1e-6, -0.01, 30.0, -800.0]], [[0.0, 0.0, 0.0, 0.0]])  # tiny and huge errors

    add("msle", rng.uniform(0, 5, (6, 4)), rng.uniform(0, 5, (6, 4)))
    add("msle", [0.0, 1.0, 2.5, 10.0], [0.0, 0.0, 3.0, 9.0])
    add("poisson", rng.uniform(0.1, 5, (6, 4)), rng.integers(0, 6, (6, 4)))
    add("poisson", [0.0, 0.5, 2.0, 7.5], [0.0, 1.0, 3.0, 7.0])

    for loss in ("hinge", "squared_hinge"):
        add(loss, normal(6, 3, scale=1.0), rng.integers(0, 2, (6, 3)))  # {0, 1}: taken as -1, 1
        add(loss, normal(7, scale=1.0), rng.choice([-1.0, 1.0], 7))

    add("bce", rng.uniform(0.01, 0.99, (6, 4)), rng.integers(0, 2, (6, 4)))
    add("bce", rng.uniform(0.01, 0.99, (5, 3)), rng.uniform(0, 1, (5, 3)))  # soft labels
    add("bce", [0.0, 1.0, 0.0, 1.0, 1e-50], [0.0, 1.0, 1.0, 0.0, 1.0])  # the -100 log floor
    add("bce", normal(6, 4, scale=5.0), rng.integers(0, 2, (6, 4)), from_logits=True)
    add("bce", [-50.0, 50.0, 0.0, 800.0, -800.0], [1.0, 0.0, 0.5, 1.0, 0.0], from_logits=True)
    return out


# --- element terms from the frameworks ---------------------------------------------------


def _as2d(a) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    return a.reshape(len(a), -1)


def _keras_per_sample(keras, name: str, p: np.ndarray, t: np.ndarray, **kwargs) -> np.ndarray:
    fn = getattr(keras.losses, name)
    return np.asarray(fn(t, p, **kwargs), dtype=np.float64)


def _check(label: str, got, want, rtol: float, atol: float = 0.0) -> None:
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=label)


def _hinge_labels(t: np.ndarray) -> np.ndarray:
    return 2.0 * t - 1.0 if np.all((t == 0) | (t == 1)) else t


def element_terms(case: dict) -> tuple[np.ndarray, str]:
    """The (N, C) element terms for ``case`` and a note on where they come from."""
    torch, keras, metrics = _frameworks()
    p, t = _as2d(case["preds"]), _as2d(case["targets"])
    tp, tt = torch.tensor(p), torch.tensor(t)
    o = case["options"]
    nn = torch.nn
    loss = case["loss"]

    def torch_terms(module):
        return module(reduction="none")(tp, tt).numpy()

    if loss == "mse":
        return torch_terms(nn.MSELoss), "torch.nn.MSELoss"
    if loss == "mae":
        return torch_terms(nn.L1Loss), "torch.nn.L1Loss"
    if loss == "huber":
        delta = o.get("delta", 1.0)
        terms = nn.HuberLoss(reduction="none", delta=delta)(tp, tt).numpy()
        keras_l = _keras_per_sample(keras, "huber", p, t, delta=delta)
        _check("Keras Huber", keras_l, terms.mean(axis=1), KERAS_RTOL)
        return terms, "torch.nn.HuberLoss; Keras Huber agrees at rtol 1e-6"
    if loss == "smooth_l1":
        return nn.SmoothL1Loss(reduction="none", beta=o.get("beta", 1.0))(tp, tt).numpy(), "torch.nn.SmoothL1Loss"
    if loss == "log_cosh":
        import mpmath

        mpmath.mp.dps = 50
        terms = np.array(
            [
                [
                    float(mpmath.log(mpmath.cosh(mpmath.mpf(pi) - mpmath.mpf(ti))))
                    for pi, ti in zip(prow, trow, strict=True)
                ]
                for prow, trow in zip(p, t, strict=True)
            ]
        )
        keras_l = _keras_per_sample(keras, "log_cosh", p, t)
        _check("Keras LogCosh", keras_l, terms.mean(axis=1), KERAS_RTOL, atol=1e-12)
        return terms, "mpmath log(cosh(p - t)) at 50 digits; Keras LogCosh agrees at rtol 1e-6"
    if loss == "mape":
        terms = 100.0 * np.abs((t - p) / np.maximum(np.abs(t), 1e-7))
        keras_l = _keras_per_sample(keras, "mean_absolute_percentage_error", p, t)
        _check("Keras MAPE", keras_l, terms.mean(axis=1), KERAS_RTOL)
        if np.all(np.abs(t) >= 1e-7):
            sk = metrics.mean_absolute_percentage_error(t, p, multioutput="raw_values")
            _check("scikit-learn MAPE", 100.0 * sk, terms.mean(axis=0), 1e-12)
            return terms, "100 |t - p| / max(|t|, 1e-7); = 100 x scikit-learn MAPE; Keras agrees at rtol 1e-6"
        return terms, "100 |t - p| / max(|t|, 1e-7); Keras MAPE agrees at rtol 1e-6"
    if loss == "msle":
        terms = (np.log1p(p) - np.log1p(t)) ** 2
        sk = metrics.mean_squared_log_error(t, p, multioutput="raw_values")
        _check("scikit-learn MSLE", sk, terms.mean(axis=0), 1e-12)
        return terms, "scikit-learn mean_squared_log_error (per output, float64)"
    if loss == "poisson":
        terms = nn.PoissonNLLLoss(log_input=False, full=False, eps=1e-7, reduction="none")(tp, tt).numpy()
        keras_l = _keras_per_sample(keras, "poisson", p, t)
        _check("Keras Poisson", keras_l, terms.mean(axis=1), KERAS_RTOL)
        return terms, "torch.nn.PoissonNLLLoss(log_input=False, eps=1e-7) = Keras Poisson (rtol 1e-6)"
    if loss in ("hinge", "squared_hinge"):
        margin = torch.clamp(1.0 - torch.tensor(_hinge_labels(t)) * tp, min=0.0)
        terms = (margin if loss == "hinge" else margin**2).numpy()
        keras_l = _keras_per_sample(keras, loss, p, t)
        _check(f"Keras {loss}", keras_l, terms.mean(axis=1), KERAS_RTOL, atol=1e-12)
        return terms, f"torch float64 max(1 - t p, 0){'^2' if loss != 'hinge' else ''}; Keras agrees at rtol 1e-6"
    if loss == "bce":
        if o.get("from_logits"):
            return torch_terms(nn.BCEWithLogitsLoss), "torch.nn.BCEWithLogitsLoss"
        return torch_terms(nn.BCELoss), "torch.nn.BCELoss"
    raise KeyError(f"no reference for {loss}")


def reductions(elements: np.ndarray) -> dict:
    """Every reduction of the reference element terms, done with torch in float64.

    ``all`` and ``none`` are torch's own ``mean`` and ``sum``.
    """
    import torch

    e = torch.tensor(elements)
    n_samples, n_outputs = elements.shape
    total = e.sum()
    return {
        "all": {"value": e.mean().item(), "per_sample": e.mean(dim=1).tolist(), "per_output": e.mean(dim=0).tolist()},
        "samples": {
            "value": (total / n_samples).item(),
            "per_sample": e.sum(dim=1).tolist(),
            "per_output": e.mean(dim=0).tolist(),
        },
        "outputs": {
            "value": (total / n_outputs).item(),
            "per_sample": e.mean(dim=1).tolist(),
            "per_output": e.sum(dim=0).tolist(),
        },
        "none": {"value": total.item(), "per_sample": e.sum(dim=1).tolist(), "per_output": e.sum(dim=0).tolist()},
    }


def build() -> list[dict]:
    import keras
    import sklearn
    import torch

    versions = f"torch {torch.__version__}, keras {keras.__version__}, scikit-learn {sklearn.__version__}"
    built = []
    for case in cases():
        elements, source = element_terms(case)
        built.append(
            {
                **case,
                "source": source,
                "versions": versions,
                "elements": elements.tolist(),
                "reductions": reductions(elements),
            }
        )
    return built


def main() -> int:
    FIXTURE.parent.mkdir(exist_ok=True)
    # One case a line: small diffs when a case changes.
    FIXTURE.write_text("[\n" + ",\n".join(json.dumps(case) for case in build()) + "\n]\n")
    print(f"wrote {FIXTURE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
