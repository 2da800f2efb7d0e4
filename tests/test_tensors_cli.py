"""N-D inputs through the command line: the committed framework values of tests/fixtures/tensors.json
(written by tests/references_tensors.py from PyTorch, Keras 3, optax and torchmetrics) reproduced by
``losscli LOSS FILES FLAGS``, the inputs saved as a user saves model outputs (``np.save``).

Each call of a case is one command line: the flags a user of that framework would give (``--like`` where
losscli should know the framework's default call, the named axes where they choose n). stdout is the
number (``--format value``) or the JSON object; stderr is empty.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from jsonout import loaded
from typer.testing import CliRunner

from losscli.cli.app import app
from losscli.core import tensors as T

CASES = {c["name"]: c for c in loaded((Path(__file__).parent / "fixtures" / "tensors.json").read_text())}
runner = CliRunner()

# call -> (loss, the inputs in order, flags); an input "log:pred" is the log of the case's pred (KLDivLoss's input)
COMMANDS = {
    "CrossEntropyLoss(weight=None, reduction='mean')": ("sparse_cce", ["logits", "labels"], ["--like", "torch"]),
    "CrossEntropyLoss(weight=None, reduction='sum')": (
        "sparse_cce",
        ["logits", "labels"],
        ["--from-logits", "--axis", "1", "--ignore-index", "-100", "--reduce", "none"],
    ),
    "CrossEntropyLoss(weight=w, reduction='mean')": (
        "sparse_cce",
        ["logits", "labels"],
        ["--like", "torch", "--class-weights", "file:class_weights"],
    ),
    "CrossEntropyLoss(weight=w, reduction='sum')": (
        "sparse_cce",
        ["logits", "labels"],
        ["--from-logits", "--class-weights", "file:class_weights", "--ignore-index", "-100", "--reduce", "none"],
    ),
    "NLLLoss()": ("nll", ["log_probs", "labels"], ["--like", "torch"]),
    "KLDivLoss(reduction='batchmean')": ("kld", ["log:pred", "target"], ["--log-input", "--reduce", "samples"]),
    "KLDivLoss(reduction='mean')": ("kld", ["log:pred", "target"], ["--log-input", "--reduce", "all"]),
    "KLDivLoss(reduction='sum')": ("kld", ["log:pred", "target"], ["--log-input", "--reduce", "none"]),
    "keras.losses.KLDivergence()": ("kld", ["pred", "target"], ["--like", "keras"]),
    "MSELoss()": ("mse", ["pred", "target"], ["--like", "torch"]),
    "CategoricalCrossentropy()": ("cce", ["pred", "target"], ["--like", "keras"]),
    "CategoricalCrossentropy()(sample_weight=(N, T))": (
        "cce",
        ["pred", "target"],
        ["--like", "keras", "--weights", "file:weights"],
    ),
    "SparseCategoricalCrossentropy()": ("sparse_cce", ["pred", "labels"], ["--like", "keras"]),
    "SparseCategoricalCrossentropy()(sample_weight=(N, T))": (
        "sparse_cce",
        ["pred", "labels"],
        ["--like", "keras", "--weights", "file:weights"],
    ),
    "SparseCategoricalCrossentropy(ignore_class=-1)": (
        "sparse_cce",
        ["pred", "labels_ignored"],
        ["--like", "keras", "--ignore-index", "-1"],
    ),
    "MeanSquaredError()": ("mse", ["pred", "target"], ["--like", "keras"]),
    "MeanSquaredError()(sample_weight=(N, T))": (
        "mse",
        ["pred", "target"],
        ["--like", "keras", "--weights", "file:weights"],
    ),
    "torchmetrics.text.Perplexity(ignore_index=-100)": ("perplexity", ["logits", "labels"], ["--ignore-index", "-100"]),
    "optax.softmax_cross_entropy(logits, labels).mean()": ("cce", ["logits", "target"], ["--from-logits"]),
    "optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()": (
        "sparse_cce",
        ["logits", "labels"],
        ["--from-logits"],
    ),
    "MeanSquaredError()(y_pred with a Keras mask)": (
        "mse",
        ["pred", "target"],
        ["--like", "keras", "--mask", "file:mask"],
    ),
    "MeanSquaredError()(sample_weight=mask)": (
        "mse",
        ["pred", "target"],
        ["--like", "keras", "--weights", "file:mask"],
    ),
    "Dice(axis=None)": ("dice", ["pred", "target"], ["--like", "keras"]),
    "Dice(axis=(1, 2))": ("dice", ["pred", "target"], ["--axis", "1,2"]),
    "Dice(axis=(1, 2, 3))": ("dice", ["pred", "target"], []),
}


def _saved(tmp_path: Path, case: dict, name: str) -> str:
    key = name.removeprefix("log:").removeprefix("file:")
    values = np.asarray(case["inputs"][key], dtype=np.float64)
    if key.startswith("labels"):
        values = values.astype(np.int64)  # class labels as a model's argmax or a tokenizer writes them
    if name.startswith("log:"):
        values = np.log(values)
    path = tmp_path / f"{name.replace(':', '_')}.npy"
    np.save(path, values)
    return str(path)


def _run(tmp_path: Path, case: dict, call: str, fmt: str = "value", extra=(), drop_flags: bool = False):
    """The command of ``call`` (its flags dropped with ``drop_flags``), ``extra`` flags added."""
    loss, names, flags = COMMANDS[call]
    files = [_saved(tmp_path, case, name) for name in names]
    flags = [] if drop_flags else [_saved(tmp_path, case, f) if f.startswith("file:") else f for f in flags]
    return runner.invoke(app, [loss, *files, *flags, *extra, "--format", fmt])


CALLS = [(name, call) for name, case in CASES.items() for call in case["values"]]


@pytest.mark.parametrize(("name", "call"), CALLS, ids=[f"{n}:{c}" for n, c in CALLS])
def test_every_framework_value_holds_through_the_command_line(tmp_path, name, call):
    case = CASES[name]
    result = _run(tmp_path, case, call)
    assert (result.exit_code, result.stderr) == (0, ""), result.stderr
    expected = case["values"][call]
    np.testing.assert_allclose(float(result.stdout), expected["value"], rtol=expected["rtol"], atol=0)


GRADIENTS = [(name, call) for name, case in CASES.items() for call in case.get("gradients", {})]


@pytest.mark.parametrize(("name", "call"), GRADIENTS, ids=[f"{n}:{c}" for n, c in GRADIENTS])
def test_the_gradient_is_torch_autograds_with_the_inputs_shape(tmp_path, name, call):
    """``--grad``: d value / d predictions, shaped as the predictions (channels-first included), against
    torch.autograd's gradient of the same call (tests/references_tensors.py), at rtol 1e-9; an ignored label's
    logits get 0, as in PyTorch."""
    case = CASES[name]
    result = _run(tmp_path, case, call, fmt="json", extra=["--grad"])
    assert (result.exit_code, result.stderr) == (0, ""), result.stderr
    got, want = np.array(loaded(result.stdout)["gradient"], dtype=float), np.array(case["gradients"][call])
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-15 * np.abs(want).max())


def test_the_token_mean_states_its_valid_tokens(tmp_path):
    """torchmetrics' perplexity case: 2 x 8 labels with some -100 (the generator's padding); n counts the
    others, and the JSON says how many were ignored and how the class axis was found."""
    case = CASES["torchmetrics_perplexity"]
    labels = np.asarray(case["inputs"]["labels"])
    ignored = int((labels == -100).sum())
    result = _run(tmp_path, case, "torchmetrics.text.Perplexity(ignore_index=-100)", fmt="json")
    data = loaded(result.stdout)
    assert data["n"] == labels.size - ignored
    assert data["removed"] == {"masked": 0, "ignored": ignored, "past_length": 0}
    n, t = labels.shape
    assert data["n_text"] == f"{labels.size - ignored} valid tokens of {n} x {t} positions ({ignored} ignored)"
    assert data["axes"]["how"].startswith("the class axis is the last")
    assert data["schema_version"] == 2 and data["reduce"] == "samples,positions"


def test_like_torchmetrics_is_its_perplexity_and_keeps_what_is_given(tmp_path):
    """``--like torchmetrics`` is ``Perplexity()``: no label ignored by default, so the generator's -100
    padding is refused as a label; with ``--ignore-index -100`` given, it is kept, and the number is the
    fixture's ``Perplexity(ignore_index=-100)``."""
    case = CASES["torchmetrics_perplexity"]
    call = "torchmetrics.text.Perplexity(ignore_index=-100)"
    refused = _run(tmp_path, case, call, extra=["--like", "torchmetrics"], drop_flags=True)
    assert refused.exit_code == 2 and "-100 is PyTorch's ignored label" in refused.stderr, refused.stderr
    kept = _run(tmp_path, case, call, extra=["--like", "torchmetrics"])
    assert kept.exit_code == 0, kept.stderr
    expected = case["values"][call]
    np.testing.assert_allclose(float(kept.stdout), expected["value"], rtol=expected["rtol"], atol=0)
    torch = _run(tmp_path, case, call, extra=["--like", "torch"])
    assert torch.exit_code == 2 and "the frameworks that have it: torchmetrics" in torch.stderr


# --- masks, ignored labels, lengths and weights: each changes n in its own words -------------------

# Two sequences of three steps, one output. Terms (p - t)^2 = p^2 with t = 0: [[1, 4, 9], [16, 25, 36]].
PRED = np.array([[[1.0], [2.0], [3.0]], [[4.0], [5.0], [6.0]]])
ZERO = np.zeros_like(PRED)


def _files(tmp_path: Path, **arrays) -> dict[str, str]:
    paths = {}
    for name, values in arrays.items():
        paths[name] = str(tmp_path / f"{name}.npy")
        np.save(paths[name], np.asarray(values))
    return paths


def _json(args: list[str]) -> dict:
    result = runner.invoke(app, [*args, "--format", "json", "--level", "element"])
    assert (result.exit_code, result.stderr) == (0, ""), result.stderr
    return loaded(result.stdout)


def test_a_mask_removes_positions_from_the_sum_and_from_n(tmp_path):
    f = _files(tmp_path, p=PRED, t=ZERO, m=[[1, 1, 0], [1, 0, 0]])
    data = _json(["mse", f["p"], f["t"], "--mask", f["m"]])
    # kept terms 1 + 4 + 16 = 21 over the 3 kept positions x 1 output
    assert (data["total"], data["n"], data["value"]) == (21.0, 3.0, 7.0)
    assert data["removed"] == {"masked": 3, "ignored": 0, "past_length": 0}
    assert data["n_text"] == "3 valid positions of 2 x 3 positions (3 masked) x 1 output = 3"
    assert data["per_sample"] == [2.5, 16.0]  # (1 + 4) / 2 and 16 / 1: each sample over its own valid steps


def test_lengths_cut_the_padding_on_the_right_as_the_same_mask_does(tmp_path):
    f = _files(tmp_path, p=PRED, t=ZERO, n=[2, 1], m=[[1, 1, 0], [1, 0, 0]])
    by_lengths = _json(["mse", f["p"], f["t"], "--lengths", f["n"]])
    by_mask = _json(["mse", f["p"], f["t"], "--mask", f["m"]])
    assert (by_lengths["value"], by_lengths["n"]) == (by_mask["value"], by_mask["n"]) == (7.0, 3.0)
    assert by_lengths["removed"] == {"masked": 0, "ignored": 0, "past_length": 3}
    assert "(3 past length)" in by_lengths["n_text"]


def test_per_sample_and_per_position_weights_scale_the_terms_and_enter_n(tmp_path):
    f = _files(tmp_path, p=PRED, t=ZERO, w=[1.0, 3.0], wp=[[1.0, 0.0, 1.0], [0.0, 0.0, 2.0]])
    per_sample = _json(["mse", f["p"], f["t"], "--weights", f["w"]])
    # all: sum w_i l = 1 x 14 + 3 x 77 = 245; n = (sum of weights) x 3 positions x 1 output = 12
    assert (per_sample["total"], per_sample["n"]) == (245.0, 12.0)
    per_position = _json(["mse", f["p"], f["t"], "--weights", f["wp"], "--reduce", "samples,positions"])
    # 1 + 9 + 2 x 36 = 82 over the weights' sum 4 (scikit-learn's np.average over the positions)
    assert (per_position["total"], per_position["n"], per_position["value"]) == (82.0, 4.0, 20.5)
    keras = _json(["mse", f["p"], f["t"], "--weights", f["wp"], "--like", "keras"])
    assert keras["n"] == 6.0  # Keras's sum_over_batch_size: N x T whatever the weights


def test_every_position_removed_is_an_error_unless_empty_says_otherwise(tmp_path):
    f = _files(tmp_path, p=PRED, t=ZERO, m=np.zeros((2, 3)))
    refused = runner.invoke(app, ["mse", f["p"], f["t"], "--mask", f["m"]])
    assert refused.exit_code == 2 and refused.stdout == ""
    assert "nothing to average: every one of the 2 x 3 positions is removed (6 masked)" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    for flags, expected in ((["--empty", "nan"], "nan"), (["--empty", "zero"], "0.0"), (["--like", "torch"], "nan")):
        result = runner.invoke(app, ["mse", f["p"], f["t"], "--mask", f["m"], *flags, "-f", "value"])
        assert (result.exit_code, result.stdout.strip()) == (0, expected), result.stderr
    keras = runner.invoke(app, ["mse", f["p"], f["t"], "--mask", f["m"], "--like", "keras", "-f", "value"])
    assert keras.stdout.strip() == "0.0"  # Keras divides by max(count, 1): 0 over nothing


def test_a_sample_with_nothing_valid_has_no_value_and_no_place_in_n(tmp_path):
    f = _files(tmp_path, p=PRED, t=ZERO, m=[[1, 0, 0], [0, 0, 0]])
    data = _json(["mse", f["p"], f["t"], "--mask", f["m"], "--reduce", "samples"])
    assert (data["value"], data["n"], data["samples_without_cells"]) == (1.0, 1.0, 1)
    assert data["per_sample"] == [1.0, None]
    assert data["n_text"] == "1 of 2 samples (1 with every position removed)"
    csv = runner.invoke(app, ["mse", f["p"], f["t"], "--mask", f["m"], "-f", "csv"])
    assert csv.stdout == "sample,loss\n0,1.0\n1,\n"


def test_the_three_divisors_of_one_kl_input(tmp_path):
    """The issue's example: one (2, 3, 4) KL input, three n; the names of the axes say which."""
    case = CASES["kld_2x3x4"]
    f = _files(tmp_path, p=np.log(case["inputs"]["pred"]), t=case["inputs"]["target"])
    texts = {r: _json(["kld", f["p"], f["t"], "--log-input", "--reduce", r])["n_text"] for r in ("samples", "all")}
    assert texts == {"samples": "2 samples", "all": "2 x 3 = 6 positions x 4 outputs = 24"}
    assert _json(["kld", f["p"], f["t"], "--log-input"])["n_text"] == "2 x 3 = 6 positions"  # the default


def _same_bits(got: dict, whole: dict) -> None:
    """Every key to the bit, but the breakdown tables: compensated sums (core/sums.py VectorSum, as the 2-D
    per-output table), within a few units in the last place of the whole-input run."""
    got, whole = dict(got), dict(whole)
    for key in ("per_output", "per_position"):
        a, b = got.pop(key), whole.pop(key)
        if key == "per_position" and a is not None and b is not None:  # n: counts, or sums of weights
            assert a["shape"] == b["shape"]
            np.testing.assert_allclose(a["n"], b["n"], rtol=1e-13, atol=0)
            a, b = a["value"], b["value"]
        assert (a is None) == (b is None), key
        if a is not None:
            np.testing.assert_allclose(np.array(a, dtype=float), np.array(b, dtype=float), rtol=1e-13, atol=0)
    assert got == whole


def test_blocks_of_samples_give_the_same_bits(tmp_path, monkeypatch):
    from losscli.engine import tensor_pass

    rng = np.random.default_rng(7)
    logits, labels = rng.normal(size=(9, 5, 6)) * 30, rng.integers(0, 6, size=(9, 5))
    labels[rng.random(labels.shape) < 0.3] = -100
    f = _files(tmp_path, p=logits, y=labels)
    args = ["sparse_cce", f["p"], f["y"], "--from-logits", "--ignore-index", "-100"]
    whole = _json(args)
    monkeypatch.setattr(tensor_pass, "BLOCK_VALUES", 2 * 5 * 6)  # two samples a block
    _same_bits(_json(args), whole)
    _same_bits(_json([*args, "--jobs", "2"]), whole)  # five blocks over two threads


def _long_sequences(tmp_path: Path) -> dict[str, str]:
    """Three sequences of 150 steps (runs of 64 steps: two whole, one of 22), 6 classes: logits, labels with
    -100, a mask, lengths, per-step weights, probabilities and same-shape targets."""
    rng = np.random.default_rng(12)
    logits = rng.normal(size=(3, 150, 6)) * 4
    labels = rng.integers(0, 6, size=(3, 150))
    labels[rng.random(labels.shape) < 0.2] = -100
    probs = np.exp(logits) / np.exp(logits).sum(axis=2, keepdims=True)
    return _files(
        tmp_path,
        p=logits,
        y=labels,
        q=probs,
        t=rng.normal(size=(3, 150, 6)),
        m=(rng.random((3, 150)) < 0.9).astype(np.int8),
        n=np.array([150, 97, 1]),
        w=rng.uniform(0.5, 2.0, size=(3, 150)),
        cw=rng.uniform(0.5, 2.0, size=6),
    )


RUNS = {
    "sparse_cce, ignored, mask, lengths": [
        "sparse_cce",
        "p",
        "y",
        "--from-logits",
        "--ignore-index",
        "-100",
        "--mask",
        "m",
        "--lengths",
        "n",
    ],
    "sparse_cce, per-step weights": [
        "sparse_cce",
        "p",
        "y",
        "--from-logits",
        "--ignore-index",
        "-100",
        "--weights",
        "w",
    ],
    "sparse_cce, class weights, torch": [
        "sparse_cce",
        "p",
        "y",
        "--from-logits",
        "--like",
        "torch",
        "--class-weights",
        "cw",
    ],
    "perplexity": ["perplexity", "p", "y", "--ignore-index", "-100", "--mask", "m"],
    "mse, positions and outputs": ["mse", "q", "t", "--reduce", "samples,positions,outputs", "--weights", "w"],
    "kld, samples": ["kld", "q", "q", "--reduce", "samples", "--lengths", "n"],
}


@pytest.mark.parametrize("name", RUNS)
def test_a_sample_larger_than_a_block_is_read_in_runs_of_positions_with_the_same_bits(tmp_path, monkeypatch, name):
    """A (3, 150, 6) input with blocks of 60 values: each sample is read 64 steps at a time (memory bounded by
    the block, not the sample: benchmarks/ tokens group); the value, n and every sample's value are the bits
    of the whole-sample pass, because sums are exact and a sample's sum adds runs of 64 steps in order."""
    from losscli.engine import tensor_pass

    f = _long_sequences(tmp_path)
    args = [f.get(a, a) for a in RUNS[name]]
    whole = _json(args)
    roles = T.axis_roles((3, 150, 6))
    assert tensor_pass.position_run(roles, tensor_pass.BLOCK_VALUES) is None  # 900 values a sample: whole
    monkeypatch.setattr(tensor_pass, "BLOCK_VALUES", 60)
    assert tensor_pass.position_run(roles, 60) == 64
    _same_bits(_json(args), whole)
    _same_bits(_json([*args, "--jobs", "3"]), whole)  # a sample a thread: the sums merge exactly
    if name != "kld, samples":  # --grad: the runs' gradients put back where they belong
        monkeypatch.setattr(tensor_pass, "BLOCK_VALUES", 1 << 22)
        whole_grad = np.array(_json([*args, "--grad"])["gradient"], dtype=float)
        monkeypatch.setattr(tensor_pass, "BLOCK_VALUES", 60)
        np.testing.assert_array_equal(
            np.array(_json([*args, "--grad", "--jobs", "2"])["gradient"], dtype=float), whole_grad
        )


def test_runs_of_positions_name_the_bad_value_where_it_is(tmp_path, monkeypatch):
    from losscli.engine import tensor_pass

    monkeypatch.setattr(tensor_pass, "BLOCK_VALUES", 60)
    probs = np.full((2, 150, 4), 0.25)
    probs[1, 131, 2] = -0.5
    labels = np.zeros((2, 150), dtype=int)
    labels[1, 140] = 7
    f = _files(tmp_path, q=probs, y=labels, ok=np.full((2, 150, 4), 0.25), y0=np.zeros((2, 150), dtype=int))
    assert f"{f['q']}[1, 131, 2]: -0.5 is negative" in _refused(["sparse_cce", f["q"], f["y0"]])
    assert f"{f['y']}[1, 140] = 7 is not a class label in [0, 4)" in _refused(["sparse_cce", f["ok"], f["y"]])


def test_a_json_document_of_rank_three_is_read_as_a_tensor(tmp_path):
    (tmp_path / "p.json").write_text(json.dumps(PRED.tolist()))
    (tmp_path / "t.json").write_text(json.dumps(ZERO.tolist()))
    data = _json(["mse", str(tmp_path / "p.json"), str(tmp_path / "t.json")])
    assert (data["value"], data["n"], data["shape"]) == (91 / 6, 6.0, [2, 3, 1])


# --- refusals: one line, exit 2 ----------------------------------------------------------------


def _refused(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and result.stdout == "", (result.exit_code, result.stdout)
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    return result.stderr


def test_a_label_outside_the_classes_names_the_file_and_the_position(tmp_path):
    labels = np.array([[0, 1, 2], [1, -100, 0]])
    f = _files(tmp_path, p=np.zeros((2, 3, 4)), y=labels)
    message = _refused(["sparse_cce", f["p"], f["y"], "--from-logits"])
    assert f"{f['y']}[1, 1] = -100 is not a class label in [0, 4)" in message
    assert "--ignore-index -100" in message


def test_shapes_that_do_not_fit_say_what_would(tmp_path):
    f = _files(tmp_path, p=np.zeros((2, 3, 4)), y=np.zeros((2, 5), dtype=int), m=np.ones((2, 4)))
    assert "would fit" in _refused(["sparse_cce", f["p"], f["y"]])
    message = _refused(["mse", f["p"], f["p"], "--mask", f["m"]])
    assert "the mask has shape (2, 4)" in message and "(2, 3)" in message


def test_what_the_nd_pass_does_not_compute_is_refused_not_approximated(tmp_path):
    f = _files(tmp_path, p=PRED, t=ZERO)
    for flags in (["--plot", str(tmp_path / "x.png")], ["--format", "jsonl"], ["--save-baseline", str(tmp_path / "b")]):
        assert "is not available on N-D inputs (" in _refused(["mse", f["p"], f["t"], *flags])


def test_positions_of_a_table_are_refused(tmp_path):
    (tmp_path / "p.csv").write_text("1,2\n3,4\n")
    message = _refused(["mse", str(tmp_path / "p.csv"), str(tmp_path / "p.csv"), "--reduce", "samples,positions"])
    assert "has no positions" in message


def test_a_reduce_list_without_positions_is_the_two_d_reduction(tmp_path):
    (tmp_path / "p.csv").write_text("1,2\n3,4\n")
    (tmp_path / "t.csv").write_text("0,0\n0,0\n")
    args = ["mse", str(tmp_path / "p.csv"), str(tmp_path / "t.csv"), "-f", "value"]
    listed = runner.invoke(app, [*args, "--reduce", "outputs,samples"])
    named = runner.invoke(app, [*args, "--reduce", "all"])
    assert listed.stdout == named.stdout == "7.5\n"  # (1 + 4 + 9 + 16) / 4


def test_the_python_api_runs_the_same_pass():
    from losscli import Axes, compute

    r = compute("mse", PRED, ZERO, axes=Axes(mask=[[1, 1, 0], [1, 0, 0]]))
    assert (r.value, r.n, r.removed.masked) == (7.0, 3.0, 3)
    ppl = compute("perplexity", np.zeros((1, 4, 8)), np.zeros((1, 4), dtype=int))
    assert ppl.value == pytest.approx(8.0, rel=1e-15)  # uniform logits over 8 classes: perplexity 8


def test_keras_labels_and_weights_with_a_trailing_axis_of_size_1_are_squeezed(tmp_path):
    """Keras squeezes sparse labels (N, T, 1) to (N, T) and per-timestep weights (N, T, 1) to (N, T)
    (``squeeze_or_expand_to_same_rank``); losscli reads them so, gives the number of the squeezed arrays,
    and says so."""
    rng = np.random.default_rng(3)
    logits, labels, w = rng.normal(size=(2, 3, 4)), rng.integers(0, 4, size=(2, 3)), rng.uniform(size=(2, 3))
    flat = _files(tmp_path, p=logits, y=labels, w=w)
    kept = _files(tmp_path, p1=logits, y1=labels[..., None], w1=w[..., None])
    common = ["--from-logits", "--format", "json", "--level", "element"]
    want = _json(["sparse_cce", flat["p"], flat["y"], "--weights", flat["w"], *common])
    got = _json(["sparse_cce", kept["p1"], kept["y1"], "--weights", kept["w1"], *common])
    assert (got["value"], got["n"], got["n_text"]) == (want["value"], want["n"], want["n_text"])
    assert "labels (2, 3, 1) read as (2, 3), as Keras squeezes them" in got["axes"]["how"]


def test_a_class_axis_0_without_a_samples_axis_is_refused_with_the_reshape(tmp_path):
    """Keras's ``SparseCategoricalCrossentropy(axis=0)`` on (C, H, W) and labels (H, W): losscli's axis 0
    is the samples, so it refuses, naming the reshape that gives Keras's number."""
    f = _files(tmp_path, p=np.full((2, 4, 4), 0.5), y=np.zeros((4, 4), dtype=int))
    said = _refused(["sparse_cce", f["p"], f["y"]])
    assert "only without axis 0, which losscli reads as the samples" in said and "p[None] and y[None]" in said


# --- the tables: per output, per position, the largest cells, every cell ------------------------


def _csv_rows(args: list[str]) -> list[dict]:
    import csv
    import io

    result = runner.invoke(app, [*args, "--format", "csv"])
    assert (result.exit_code, result.stderr) == (0, ""), result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_each_position_is_the_mean_over_the_samples_valid_there(tmp_path):
    """Terms p^2 = [[1, 4, 9], [16, 25, 36]], cell (1, 1) masked: Q = [(1 + 16) / 2, 4 / 1, (9 + 36) / 2] with
    n = [2, 1, 2]; the value (1 + 4 + 9 + 16 + 36) / 5 = 13.2 is their n-weighted mean."""
    f = _files(tmp_path, p=PRED, t=ZERO, m=np.array([[1, 1, 1], [1, 0, 1]]))
    args = ["mse", f["p"], f["t"], "--mask", f["m"]]
    data = _json(args)
    assert data["per_position"] == {"shape": [3], "value": [8.5, 4.0, 22.5], "n": [2.0, 1.0, 2.0]}
    assert data["value"] == pytest.approx(66 / 5, rel=1e-15) and data["per_output"] == [pytest.approx(66 / 5)]
    rows = _csv_rows([*args, "--level", "position"])
    assert [(r["axis_1"], r["n"], float(r["loss"])) for r in rows] == [
        ("0", "2.0", 8.5),
        ("1", "1.0", 4.0),
        ("2", "2.0", 22.5),
    ]
    cells = _csv_rows([*args, "--level", "element"])
    assert [r["loss"] for r in cells] == ["1.0", "4.0", "9.0", "16.0", "", "36.0"]  # the masked cell: no value
    assert [(r["sample"], r["axis_1"]) for r in cells][4] == ("1", "1")


def test_the_outputs_add_up_to_the_value_or_average_to_it(tmp_path):
    """A class loss sums its outputs (each class's contribution); mse under --reduce all averages them."""
    rng = np.random.default_rng(5)
    f = _files(tmp_path, p=rng.normal(size=(3, 4, 5)), y=rng.integers(0, 5, size=(3, 4)), t=rng.normal(size=(3, 4, 5)))
    ce = _json(["sparse_cce", f["p"], f["y"], "--from-logits"])
    assert math.fsum(ce["per_output"]) == pytest.approx(ce["value"], rel=1e-14)
    mse = _json(["mse", f["p"], f["t"], "--reduce", "all"])
    assert math.fsum(mse["per_output"]) / 5 == pytest.approx(mse["value"], rel=1e-14)
    assert [
        float(r["loss"]) for r in _csv_rows(["mse", f["p"], f["t"], "--reduce", "all", "--level", "output"])
    ] == mse["per_output"]


def test_the_largest_cells_are_named_by_their_index(tmp_path):
    """--top 2 over p^2 = [[1, 4, 9], [16, 25, 36]]: cells (1, 2) = 36 and (1, 1) = 25, each its own n = 1."""
    f = _files(tmp_path, p=PRED, t=ZERO)
    data = _json(["mse", f["p"], f["t"], "--top", "2"])
    assert data["worst"] == [{"index": [1, 2], "value": 36.0}, {"index": [1, 1], "value": 25.0}]
    table = runner.invoke(app, ["mse", f["p"], f["t"]]).stdout
    assert "largest cells: mse" in table and "  [1, 2] 36" in table and "per position: mse" in table


def test_the_tables_refuse_what_they_cannot_say(tmp_path):
    f = _files(tmp_path, p=PRED, t=ZERO, q=np.zeros((2, 3)))
    assert "takes one loss at a time" in _refused(["mse,mae", f["p"], f["t"], "-f", "csv", "--level", "element"])
    said = _refused(["mse", f["q"], f["q"], "-f", "csv", "--level", "position"])
    assert "--level position: the positions of inputs of rank 3 or more" in said


def test_explain_lists_every_reduce_with_its_n_and_the_frameworks_numbers_are_among_them(tmp_path):
    """The seed question at rank 3: on one (2, 3, 4) KL input, PyTorch's batchmean divides by N, its mean by
    N x T x V and Keras by N x T (tests/fixtures/tensors.json, from the frameworks); the JSON's
    ``reductions`` (and the table under --explain) list each with its n, from the same sums."""
    case = CASES["kld_2x3x4"]
    f = _files(tmp_path, p=np.log(case["inputs"]["pred"]), t=case["inputs"]["target"])
    rows = {r["reduce"]: r for r in _json(["kld", f["p"], f["t"], "--log-input"])["reductions"]}
    values = case["values"]
    assert rows["samples"]["n_text"] == "2 samples"
    np.testing.assert_allclose(rows["samples"]["value"], values["KLDivLoss(reduction='batchmean')"]["value"], rtol=1e-9)
    assert rows["samples,positions,outputs"]["n"] == 24
    np.testing.assert_allclose(
        rows["samples,positions,outputs"]["value"], values["KLDivLoss(reduction='mean')"]["value"], rtol=1e-9
    )
    assert rows["samples,positions"]["n_text"] == "2 x 3 = 6 positions"
    np.testing.assert_allclose(
        rows["samples,positions"]["value"], values["keras.losses.KLDivergence()"]["value"], rtol=1e-6
    )
    np.testing.assert_allclose(rows["none"]["value"], values["KLDivLoss(reduction='sum')"]["value"], rtol=1e-9)
    assert len(rows) == 8  # every subset of samples, positions, outputs
    table = runner.invoke(app, ["kld", f["p"], f["t"], "--log-input", "--explain"]).stdout
    assert "--reduce samples,positions" in table and "<- this result" in table


@pytest.mark.parametrize("shape", [(0, 2, 3), (2, 0, 3), (2, 3, 0)])
def test_an_input_with_no_numbers_is_refused_as_the_2d_readers_refuse_it(tmp_path, shape):
    """The tensor fuzz's find (an outputs axis of length 0 was exit 70): every empty input is one line."""
    f = _files(tmp_path, p=np.zeros(shape))
    assert f"holds no numbers (shape {shape}); give at least one sample" in _refused(["mae", f["p"], f["p"]])


def test_like_sklearn_on_a_tensor_is_refused_as_scikit_learn_refuses_it(tmp_path):
    """sklearn.metrics.mean_squared_error raises on a (2, 3, 1) array ("Found array with dim 3"): --like
    sklearn cannot promise its number there."""
    f = _files(tmp_path, p=PRED, t=ZERO)
    assert "scikit-learn's metrics take arrays of rank 1 or 2" in _refused(["mse", f["p"], f["t"], "--like", "sklearn"])


def test_compare_lists_each_frameworks_own_call_with_its_n(tmp_path):
    """--compare on channels-first logits (3, 5, 4, 2) with -100 labels: PyTorch's CrossEntropyLoss(ignore_index
    =-100) is the fixture's number (torch, rtol 1e-9); Keras's ignore_class gives the same token mean in
    float32 (rtol 1e-6); the frameworks without an ignored label refuse, saying so."""
    case = CASES["torch_ce_nchw_ignore"]
    f = _files(tmp_path, p=case["inputs"]["logits"], y=np.asarray(case["inputs"]["labels"]))
    args = ["sparse_cce", f["p"], f["y"], "--from-logits", "--axis", "1", "--ignore-index", "-100", "--compare"]
    rows = {r["framework"]: r for r in _json(args)["comparison"]}
    torch_value = case["values"]["CrossEntropyLoss(weight=None, reduction='mean')"]["value"]
    np.testing.assert_allclose(rows["torch"]["value"], torch_value, rtol=1e-9)
    np.testing.assert_allclose(rows["keras"]["value"], torch_value, rtol=1e-6)
    labels = np.asarray(case["inputs"]["labels"])
    assert rows["torch"]["n"] == rows["keras"]["n"] == int((labels != -100).sum())
    assert "p.movedim" not in rows["torch"]["note"]  # already channels-first: PyTorch's own layout
    assert all(rows[fw]["note"].startswith("refused: ") for fw in ("sklearn", "optax", "numpy"))
    assert "each framework's own call on these inputs" in runner.invoke(app, args).stdout


# --- states: --save-state per shard, losscli merge -------------------------------------------


def _shards(tmp_path: Path) -> dict[str, str]:
    """Six sequences of 5 tokens over 4 classes, 20% padded with -100: the batch, and its shards of 4 and 2."""
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(6, 5, 4)), rng.integers(0, 4, (6, 5))
    y[rng.random(y.shape) < 0.2] = -100
    return _files(tmp_path, x=x, y=y, xa=x[:4], ya=y[:4], xb=x[4:], yb=y[4:])


def test_the_states_of_the_shards_merge_into_the_run_over_the_batch(tmp_path):
    """Exact sums: the merged value, total and n are the bits of one run over the whole batch; the tables
    are compensated sums, equal to 1e-13; a state keeps no samples."""
    f = _shards(tmp_path)
    common = ["--like", "torch", "-f", "value"]
    for part in ("a", "b"):
        saved = runner.invoke(
            app, ["sparse_cce", f[f"x{part}"], f[f"y{part}"], *common, "--save-state", str(tmp_path / f"{part}.json")]
        )
        assert saved.exit_code == 0, saved.stderr
    merged = runner.invoke(
        app, ["merge", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "-f", "json", "--level", "element"]
    )
    assert (merged.exit_code, merged.stderr) == (0, ""), merged.stderr
    got = loaded(merged.stdout)
    whole = _json(["sparse_cce", f["x"], f["y"], "--like", "torch"])
    for key in ("value", "total", "n", "n_text", "removed", "reduce", "reductions"):
        assert got[key] == whole[key], key
    np.testing.assert_allclose(got["per_output"], whole["per_output"], rtol=1e-13)
    np.testing.assert_allclose(got["per_position"]["value"], whole["per_position"]["value"], rtol=1e-13)
    assert got["per_sample"] is None and got["like"]["framework"] == "torch"


def test_merging_states_refuses_what_would_count_twice_or_mix(tmp_path):
    f = _shards(tmp_path)
    state = str(tmp_path / "a.json")
    first = ["sparse_cce", f["xa"], f["ya"], "--from-logits", "--ignore-index", "-100", "--save-state", state]
    assert runner.invoke(app, [*first, "-f", "value"]).exit_code == 0
    other = str(tmp_path / "b.json")
    assert (
        runner.invoke(
            app, ["sparse_cce", f["xb"], f["yb"], "--like", "torch", "--save-state", other, "-f", "value"]
        ).exit_code
        == 0
    )
    assert "counts the input" in _refused(["merge", state, state])
    assert "holds other losses or settings" in _refused(["merge", state, other])
    assert "a state holds no samples" in _refused(["merge", state, "-f", "csv", "--level", "sample"])
    good = loaded(Path(state).read_text())
    sums = good["losses"][0]["state"]
    tampered = [  # each a state a pass cannot make: refused, never merged into a number
        ("position_count", [1]),  # five positions, one count
        ("shape", [10**12, 4]),  # a bomb: checked against its tables before any array of its size
        ("cells", -5),
        ("cells", sums["cells"] + 1),  # one more valid cell than the positions count
        ("samples", 1.5),
        ("removed", [0, -5, 0]),
        ("non_finite", -3),
        ("with_outputs", "yes"),
        ("total", {**sums["total"], "special": "inf"}),  # an infinite sum without an infinite term
    ]
    for key, value in tampered:
        Path(state).write_text(json.dumps({**good, "losses": [{**good["losses"][0], "state": {**sums, key: value}}]}))
        assert f"{state}: is a damaged state file" in _refused(["merge", state]), key
    Path(state).write_text(json.dumps({**good, "inputs": None}))  # was exit 70
    assert "its inputs are not a list of files" in _refused(["merge", state])


# --- --ci: whole samples resampled -----------------------------------------------------------


def test_the_interval_of_a_token_mean_resamples_whole_sequences(tmp_path, monkeypatch):
    """The token mean is sum_i a_i / sum_i b_i with a_i a sequence's summed token losses and b_i its valid
    tokens (NumPy's log-softmax here, not losscli's): its interval is the ratio bootstrap of (a_i, b_i) over
    the sequences, to the bit; the same in runs of positions and over threads."""
    from losscli.engine import tensor_pass
    from losscli.stats import RatioStatistic, bootstrap_interval

    f = _shards(tmp_path)
    x, y = np.load(f["x"]), np.load(f["y"])
    log_q = x - x.max(axis=2, keepdims=True)
    log_q -= np.log(np.exp(log_q).sum(axis=2, keepdims=True))
    valid = y != -100
    picked = -np.take_along_axis(log_q, np.where(valid, y, 0)[..., None], axis=2)[..., 0]
    a, b = np.where(valid, picked, 0.0).sum(axis=1), valid.sum(axis=1).astype(float)
    want = bootstrap_interval(RatioStatistic(a, b), level=0.9, resamples=500, seed=4)
    args = ["sparse_cce", f["x"], f["y"], "--like", "torch", "--ci", "0.9", "--resamples", "500", "--seed", "4"]
    got = _json(args)["ci"]
    np.testing.assert_allclose([got["low"], got["high"]], [want.low, want.high], rtol=1e-12)
    monkeypatch.setattr(tensor_pass, "BLOCK_VALUES", 8)  # runs of 64 positions: one run a sequence here
    assert _json([*args, "--jobs", "2"])["ci"] == got


def test_the_interval_of_a_table_is_the_2d_interval(tmp_path):
    """A (N, C) table through the N-D pass (a mask of ones) and through the 2-D pass: one interval."""
    rng = np.random.default_rng(8)
    f = _files(tmp_path, p=rng.normal(size=(40, 3)), t=rng.normal(size=(40, 3)), m=np.ones(40))
    flags = ["--ci", "0.95", "--resamples", "400", "-f", "json", "--level", "element"]
    two_d = loaded(runner.invoke(app, ["mse", f["p"], f["t"], *flags]).stdout)["ci"]
    n_d = loaded(runner.invoke(app, ["mse", f["p"], f["t"], "--mask", f["m"], *flags]).stdout)["ci"]
    # The two passes sum a sample's terms in other orders (last bits); the bootstrap-t's quantiles of
    # (theta_r - theta) / se_r carry those differences further than a percentile does: 1e-9, not 1e-12.
    np.testing.assert_allclose([n_d["low"], n_d["high"]], [two_d["low"], two_d["high"]], rtol=1e-9)


def test_an_interval_over_the_positions_alone_is_refused(tmp_path):
    f = _files(tmp_path, p=PRED, t=ZERO)
    assert "which a resample or a group of samples changes" in _refused(
        ["mse", f["p"], f["t"], "--reduce", "positions", "--ci", "0.9"]
    )


def _token_sums(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """NumPy's own per-sequence sums of the token losses and the valid tokens: (a_i, b_i)."""
    log_q = x - x.max(axis=2, keepdims=True)
    log_q -= np.log(np.exp(log_q).sum(axis=2, keepdims=True))
    valid = y != -100
    picked = -np.take_along_axis(log_q, np.where(valid, y, 0)[..., None], axis=2)[..., 0]
    return np.where(valid, picked, 0.0).sum(axis=1), valid.sum(axis=1).astype(float)


def test_against_tests_two_models_on_the_same_sequences(tmp_path):
    """--against on token logits: the paired bootstrap and the sign-flip test over whole sequences, as
    losscli.stats gives them for NumPy's own (a_i, b_i) of each model; --fail-if-worse is the 2-D gate."""
    from losscli.stats import RatioStatistic, paired_bootstrap

    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(30, 8, 5)), rng.integers(0, 5, (30, 8))
    y[rng.random(y.shape) < 0.2] = -100
    better = x.copy()
    better[np.arange(30)[:, None], np.arange(8)[None, :], np.where(y < 0, 0, y)] += 1.0  # the label's logit up
    f = _files(tmp_path, a=x, b=better, y=y)
    args = [
        "sparse_cce",
        f["b"],
        f["y"],
        "--like",
        "torch",
        "--against",
        f["a"],
        "--resamples",
        "500",
        "-f",
        "json",
        "--level",
        "element",
    ]
    data = loaded(runner.invoke(app, args).stdout)
    (baseline, model) = data["models"]
    assert baseline["name"] == f["a"] and model["name"] == f["b"] and model["verdict"] == "better"
    want = paired_bootstrap(RatioStatistic(*_token_sums(better, y)), RatioStatistic(*_token_sums(x, y)), resamples=500)
    np.testing.assert_allclose(model["difference"], want.difference, rtol=1e-12)
    np.testing.assert_allclose(
        [model["interval"]["low"], model["interval"]["high"]], [want.interval.low, want.interval.high], rtol=1e-12
    )
    worse = runner.invoke(
        app, ["sparse_cce", f["a"], f["y"], "--like", "torch", "--against", f["b"], "--fail-if-worse"]
    )
    assert worse.exit_code == 1 and "is worse than" in worse.stderr


def test_what_the_n_d_pass_would_compute_as_something_else_is_refused(tmp_path):
    """The hostile pass's finds: WMAPE (one ratio of batch sums) printed the MAE, --per-output-root was
    ignored, and --like torchmetrics named a kl_divergence call that raises on rank 3; N-D arrays on standard
    input failed on a closed stream. Each is one line now, never a number."""
    rng = np.random.default_rng(2)
    f = _files(tmp_path, p=rng.uniform(0.1, 2, (3, 4, 2)), t=rng.uniform(0.1, 2, (3, 4, 2)), w=np.array([1.0, -1, 1]))
    q = _files(tmp_path, a=rng.dirichlet(np.ones(5), (3, 4)), b=rng.dirichlet(np.ones(5), (3, 4)))
    assert "wmape is one ratio of sums over the batch" in _refused(["wmape", f["p"], f["t"]])
    assert "--per-output-root" in _refused(["rmse", f["p"], f["t"], "--per-output-root"])
    assert "torchmetrics' kld takes 2-D inputs" in _refused(["kld", q["a"], q["b"], "--like", "torchmetrics"])
    assert f"{f['w']}[1] = -1: weights are finite numbers >= 0" in _refused(
        ["mse", f["p"], f["t"], "--weights", f["w"]]
    )
    with open(f["p"], "rb") as stdin:
        said = _refused_stdin(["mse", "-", f["t"]], stdin.read())
    assert "the N-D pass reads its arrays from files" in said


def _refused_stdin(args: list[str], data: bytes) -> str:
    result = runner.invoke(app, args, input=data)
    assert result.exit_code == 2 and result.stdout == "", (result.exit_code, result.stdout)
    return result.stderr


def test_a_ratio_loss_over_tensors_refuses_what_it_does_not_resample(tmp_path):
    """The final read's finds: dice over N-D inputs printed no interval under --ci and exited 70 under
    --against; both are refused now. RMSE's per-output table no longer says its roots average to the value:
    sqrt(mean_j O_j^2) is (the value is the root of the mean of their squares)."""
    rng = np.random.default_rng(0)
    f = _files(tmp_path, p=rng.uniform(size=(4, 3, 3, 1)), t=rng.integers(0, 2, (4, 3, 3, 1)).astype(float))
    assert "has no --ci yet" in _refused(["dice", f["p"], f["t"], "--ci", "0.9"])
    assert "has no --against yet" in _refused(["dice", f["p"], f["t"], "--against", f["p"]])
    g = _files(tmp_path, a=rng.normal(size=(3, 4, 2)), b=rng.normal(size=(3, 4, 2)))
    data = _json(["rmse", g["a"], g["b"]])
    np.testing.assert_allclose(math.sqrt(np.mean(np.square(data["per_output"]))), data["value"], rtol=1e-13)
    assert "the value is the root of the mean of their squares" in runner.invoke(app, ["rmse", g["a"], g["b"]]).stdout
