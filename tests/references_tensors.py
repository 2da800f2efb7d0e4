"""Reference values of losses over N-D inputs, from the real frameworks: PyTorch, Keras 3, optax, torchmetrics.

Run ``python tests/references_tensors.py`` (with the ``reference`` dependency group installed; ``make
fixtures`` runs it) to rewrite ``tests/fixtures/tensors.json``. ``test_tensors_fixture.py`` checks
losscli/core/tensors.py against that file without any framework; ``test_tensors_reference.py`` rebuilds
the values from the installed frameworks and checks both the file and the code against them.

Each case holds its inputs (N-D arrays as nested lists), the framework calls it was given to (``source``)
and each call's value; ``gradients`` holds torch.autograd's gradient of some of the float64 calls with
respect to the predictions (losscli's --grad, checked at rtol 1e-9). PyTorch, optax (jax_enable_x64) and
torchmetrics compute in float64 and are checked at rtol 1e-9; Keras 3 on the torch backend computes in
float32, so its inputs are float32 numbers (written here as the float64 values they are exactly) and its
values are checked at rtol 1e-6.

Nothing here imports losscli: these values are independent of the code under test.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path

import numpy as np

FIXTURE = Path(__file__).parent / "fixtures" / "tensors.json"
EXACT = 1e-9  # float64 frameworks
KERAS_RTOL = 1e-6  # Keras 3 computes in float32 on the torch backend
os.environ.setdefault("KERAS_BACKEND", "torch")  # before anything imports keras


def _frameworks() -> dict:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import keras
    import optax
    import torch
    import torchmetrics.text

    if keras.backend.backend() != "torch":
        raise RuntimeError(f"Keras runs on {keras.backend.backend()}; set KERAS_BACKEND=torch")
    return {"torch": torch, "keras": keras, "optax": optax, "jnp": jnp, "torchmetrics": torchmetrics}


# --- the inputs ------------------------------------------------------------------------------


def _simplex(rng, shape, axis=-1):
    x = rng.uniform(0.05, 1.0, shape)
    return x / x.sum(axis=axis, keepdims=True)


def _f32(x):
    """Values that are float32 numbers exactly, as float64."""
    return np.asarray(x, dtype=np.float32).astype(np.float64)


def _labels(rng, shape, classes, ignored=None, fraction=0.25):
    y = rng.integers(0, classes, shape)
    if ignored is not None:
        y = np.where(rng.uniform(size=shape) < fraction, ignored, y)
    return y


SEED = 20260520  # the committed fixture's; the live tests draw other inputs too


def cases(seed: int = SEED) -> list[dict]:
    """The inputs of every case: shapes of rank 3 and 4, channels first (PyTorch) and last (Keras, optax)."""
    rng = np.random.default_rng(seed)
    out = []

    def add(name, **inputs):
        out.append({"name": name, "inputs": {k: np.asarray(v).tolist() for k, v in inputs.items()}})

    add("torch_ce_nchw", logits=rng.normal(0, 2, (3, 5, 4, 2)), labels=_labels(rng, (3, 4, 2), 5))
    add("torch_ce_nchw_ignore", logits=rng.normal(0, 2, (3, 5, 4, 2)), labels=_labels(rng, (3, 4, 2), 5, -100))
    add(
        "torch_ce_nchw_class_weights",
        logits=rng.normal(0, 2, (3, 5, 4, 2)),
        labels=_labels(rng, (3, 4, 2), 5, -100),
        class_weights=[0.5, 2.0, 1.0, 3.0, 0.25],
    )
    add("torch_nll_ncd", log_probs=np.log(_simplex(rng, (3, 4, 5), axis=1)), labels=_labels(rng, (3, 5), 4, -100))
    kl_pred, kl_target = _f32(_simplex(rng, (2, 3, 4))), _f32(_simplex(rng, (2, 3, 4)))
    add("kld_2x3x4", pred=kl_pred, target=kl_target)
    add("torch_mse_ntc", pred=rng.normal(0, 1, (3, 4, 2)), target=rng.normal(0, 1, (3, 4, 2)))
    cce_pred = _f32(_simplex(rng, (3, 4, 5)))
    add(
        "keras_cce_ntc",
        pred=cce_pred,
        target=np.eye(5)[rng.integers(0, 5, (3, 4))],
        weights=_f32(rng.uniform(0, 2, (3, 4))),
    )
    add(
        "keras_sparse_cce_ntc",
        pred=_f32(_simplex(rng, (3, 4, 5))),
        labels=_labels(rng, (3, 4), 5),
        labels_ignored=_labels(rng, (3, 4), 5, -1, fraction=0.3),
        weights=_f32(rng.uniform(0, 2, (3, 4))),
    )
    add(
        "keras_mse_ntc",
        pred=_f32(rng.normal(0, 1, (3, 4, 2))),
        target=_f32(rng.normal(0, 1, (3, 4, 2))),
        weights=_f32(rng.uniform(0, 2, (3, 4))),
    )
    add("torchmetrics_perplexity", logits=rng.normal(0, 2, (3, 6, 7)), labels=_labels(rng, (3, 6), 7, -100))
    add(
        "optax_softmax_ce_ntc",
        logits=rng.normal(0, 2, (3, 4, 5)),
        target=_simplex(rng, (3, 4, 5)),
        labels=_labels(rng, (3, 4), 5),
    )
    add("keras_dice_nhwc", pred=_f32(rng.uniform(0, 1, (2, 3, 4, 2))), target=rng.integers(0, 2, (2, 3, 4, 2)))
    add(
        "keras_mask_vs_weights",
        pred=_f32(rng.normal(0, 1, (3, 4, 2))),
        target=_f32(rng.normal(0, 1, (3, 4, 2))),
        mask=(rng.uniform(0, 1, (3, 4)) < 0.7).astype(np.float64),
    )
    return out


# --- the framework calls -----------------------------------------------------------------------


def _torch_values(case: dict, torch) -> dict[str, float]:
    nn, a = torch.nn, {k: np.asarray(v) for k, v in case["inputs"].items()}

    def t(x, dtype=torch.float64):
        return torch.tensor(x, dtype=dtype)

    name = case["name"]
    if name.startswith("torch_ce"):
        logits, labels = t(a["logits"]), t(a["labels"], torch.long)
        weight = t(a["class_weights"]) if "class_weights" in a else None
        return {
            f"CrossEntropyLoss(weight={'w' if weight is not None else None}, reduction={r!r})": float(
                nn.CrossEntropyLoss(weight=weight, reduction=r)(logits, labels)
            )
            for r in ("mean", "sum")
        }
    if name == "torch_nll_ncd":
        return {"NLLLoss()": float(nn.NLLLoss()(t(a["log_probs"]), t(a["labels"], torch.long)))}
    if name == "kld_2x3x4":
        log_input, target = t(np.log(a["pred"])), t(a["target"])
        with warnings.catch_warnings():  # 'mean' divides by every element, and torch says it will change
            warnings.simplefilter("ignore", UserWarning)
            return {
                f"KLDivLoss(reduction={r!r})": float(nn.KLDivLoss(reduction=r)(log_input, target))
                for r in ("batchmean", "mean", "sum")
            }
    if name == "torch_mse_ntc":
        return {"MSELoss()": float(nn.MSELoss()(t(a["pred"]), t(a["target"])))}
    return {}


def _keras_values(case: dict, keras) -> dict[str, float]:
    losses, a = keras.losses, {k: np.asarray(v) for k, v in case["inputs"].items()}

    def f(x):
        return np.asarray(x, dtype=np.float32)

    name = case["name"]
    if name == "kld_2x3x4":
        return {"keras.losses.KLDivergence()": float(losses.KLDivergence()(f(a["target"]), f(a["pred"])))}
    if name == "keras_cce_ntc":
        call = losses.CategoricalCrossentropy()
        return {
            "CategoricalCrossentropy()": float(call(f(a["target"]), f(a["pred"]))),
            "CategoricalCrossentropy()(sample_weight=(N, T))": float(
                call(f(a["target"]), f(a["pred"]), sample_weight=f(a["weights"]))
            ),
        }
    if name == "keras_sparse_cce_ntc":
        labels, ignored = a["labels"].astype(np.int64), a["labels_ignored"].astype(np.int64)
        return {
            "SparseCategoricalCrossentropy()": float(losses.SparseCategoricalCrossentropy()(labels, f(a["pred"]))),
            "SparseCategoricalCrossentropy()(sample_weight=(N, T))": float(
                losses.SparseCategoricalCrossentropy()(labels, f(a["pred"]), sample_weight=f(a["weights"]))
            ),
            "SparseCategoricalCrossentropy(ignore_class=-1)": float(
                losses.SparseCategoricalCrossentropy(ignore_class=-1)(ignored, f(a["pred"]))
            ),
        }
    if name == "keras_mse_ntc":
        call = losses.MeanSquaredError()
        return {
            "MeanSquaredError()": float(call(f(a["target"]), f(a["pred"]))),
            "MeanSquaredError()(sample_weight=(N, T))": float(
                call(f(a["target"]), f(a["pred"]), sample_weight=f(a["weights"]))
            ),
        }
    if name == "keras_mask_vs_weights":  # a Keras mask leaves cells out of n; zero sample weights keep them in
        from keras.src import backend

        mask = a["mask"].astype(bool)
        masked = backend.convert_to_tensor(f(a["pred"]))
        backend.set_keras_mask(masked, backend.convert_to_tensor(mask))
        return {
            "MeanSquaredError()(y_pred with a Keras mask)": float(losses.MeanSquaredError()(f(a["target"]), masked)),
            "MeanSquaredError()(sample_weight=mask)": float(
                losses.MeanSquaredError()(f(a["target"]), f(a["pred"]), sample_weight=f(a["mask"]))
            ),
        }
    if name == "keras_dice_nhwc":
        return {
            f"Dice(axis={axis})": float(losses.Dice(axis=axis)(f(a["target"]), f(a["pred"])))
            for axis in (None, (1, 2), (1, 2, 3))
        }
    return {}


def _other_values(case: dict, fw: dict) -> dict[str, float]:
    a = {k: np.asarray(v) for k, v in case["inputs"].items()}
    name = case["name"]
    if name == "torchmetrics_perplexity":
        torch = fw["torch"]
        metric = fw["torchmetrics"].text.Perplexity(ignore_index=-100).to(torch.float64)
        value = metric(torch.tensor(a["logits"], dtype=torch.float64), torch.tensor(a["labels"], dtype=torch.long))
        return {"torchmetrics.text.Perplexity(ignore_index=-100)": float(value)}
    if name == "optax_softmax_ce_ntc":
        optax, jnp = fw["optax"], fw["jnp"]
        logits = jnp.asarray(a["logits"], dtype=jnp.float64)
        return {
            "optax.softmax_cross_entropy(logits, labels).mean()": float(
                optax.softmax_cross_entropy(logits, jnp.asarray(a["target"], dtype=jnp.float64)).mean()
            ),
            "optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()": float(
                optax.softmax_cross_entropy_with_integer_labels(logits, jnp.asarray(a["labels"])).mean()
            ),
        }
    return {}


def _torch_gradients(case: dict, fw: dict) -> dict[str, list]:
    """torch.autograd's gradient of some of the float64 calls above with respect to the predictions (their
    shape), keyed as in ``values``: what losscli's --grad must give."""
    torch, a = fw["torch"], {k: np.asarray(v) for k, v in case["inputs"].items()}

    def grad(x, loss):
        leaf = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        loss(leaf).backward()
        return leaf.grad.numpy().tolist()

    nn, name = torch.nn, case["name"]
    if name.startswith("torch_ce"):
        labels = torch.tensor(a["labels"], dtype=torch.long)
        weight = torch.tensor(a["class_weights"], dtype=torch.float64) if "class_weights" in a else None
        call = f"CrossEntropyLoss(weight={'w' if weight is not None else None}, reduction='mean')"
        return {call: grad(a["logits"], lambda x: nn.CrossEntropyLoss(weight=weight)(x, labels))}
    if name == "torch_nll_ncd":
        labels = torch.tensor(a["labels"], dtype=torch.long)
        return {"NLLLoss()": grad(a["log_probs"], lambda x: nn.NLLLoss()(x, labels))}
    if name == "kld_2x3x4":
        target = torch.tensor(a["target"], dtype=torch.float64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return {
                f"KLDivLoss(reduction={r!r})": grad(
                    np.log(a["pred"]), lambda x, r=r: nn.KLDivLoss(reduction=r)(x, target)
                )
                for r in ("batchmean", "mean")
            }
    if name == "torch_mse_ntc":
        target = torch.tensor(a["target"], dtype=torch.float64)
        return {"MSELoss()": grad(a["pred"], lambda x: nn.MSELoss()(x, target))}
    if name == "torchmetrics_perplexity":
        labels, perplexity = torch.tensor(a["labels"], dtype=torch.long), fw["torchmetrics"].functional.text.perplexity
        return {
            "torchmetrics.text.Perplexity(ignore_index=-100)": grad(a["logits"], lambda x: perplexity(x, labels, -100))
        }
    return {}


def build(seed: int = SEED) -> list[dict]:
    fw = _frameworks()
    built = []
    for case in cases(seed):
        exact = {**_torch_values(case, fw["torch"]), **_other_values(case, fw)}
        keras = _keras_values(case, fw["keras"])
        values = {call: {"value": v, "rtol": EXACT} for call, v in exact.items()}
        values |= {call: {"value": v, "rtol": KERAS_RTOL} for call, v in keras.items()}
        built.append({**case, "values": values, "gradients": _torch_gradients(case, fw)})
    return built


def main() -> int:
    built = build()
    FIXTURE.parent.mkdir(exist_ok=True)
    FIXTURE.write_text("[\n" + ",\n".join(json.dumps(case) for case in built) + "\n]\n")
    calls = sum(len(c["values"]) for c in built)
    print(f"wrote {FIXTURE}: {len(built)} cases, {calls} framework values", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
