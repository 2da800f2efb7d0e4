"""--explain: the formulas with the user's numbers, and n under every other --reduce.

Expected numbers: the first seed (sum of squared errors 0.1 and 0.37 per sample).
"""

import pytest
from conftest import SAMPLES
from jsonout import loaded
from test_errors import _fails


def _explained(run, *args):
    result = run("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "--explain", *args)
    assert result.exit_code == 0, result.stderr
    text = result.stdout.split("Explanation", 1)[1]
    return " ".join(text.split())  # Rich wraps lines at 80 columns


def test_samples_spells_out_the_seed_answer(run):
    text = _explained(run, "-r", "samples")
    assert "mse = (0.1 + 0.37) / 2 = 0.235 (n = 2 samples; outputs summed, mean over samples)" in text
    assert "i runs over the 2 samples" in text and "j over the 10 outputs" in text
    assert "l[0, 0] = 0.01 for p = 0.9, t = 1" in text


@pytest.mark.parametrize(
    "reduce, batch",
    [
        ("all", "mse = (0.01 + 0.037) / 2 = 0.0235"),  # per-sample means over 10 outputs, then over 2 samples
        ("outputs", "mse = (0.01 + 0.037) = 0.047"),
        ("none", "mse = (0.1 + 0.37) = 0.47"),
    ],
)
def test_batch_formula_under_each_reduce(run, reduce, batch):
    assert batch in _explained(run, "-r", reduce)


def test_every_other_reduce_with_n_and_value(run):
    text = _explained(run)
    assert "--reduce all n = 2 samples x 10 outputs = 20: mse = 0.0235" in text
    assert "--reduce samples n = 2 samples: mse = 0.235" in text
    assert "--reduce outputs n = 10 outputs: mse = 0.047" in text
    assert "--reduce none n = 1: mse = 0.47" in text
    assert text.count("<- this result") == 1


def test_large_inputs_use_totals(run, tmp_path):
    import numpy as np

    np.save(tmp_path / "p.npy", np.full((100, 3), 2.0))
    np.save(tmp_path / "t.npy", np.zeros((100, 3)))
    result = run("mae", tmp_path / "p.npy", tmp_path / "t.npy", "-r", "none", "--explain")
    text = " ".join(result.stdout.split("Explanation", 1)[1].split())
    # 300 absolute errors of 2: per-sample sums of 6, the batch sum 600
    assert "mae = (600) = 600" in text
    assert "(sum of 3 terms)" not in text and "L[0] = (2 + 2 + 2) = 6" in text


def test_explain_is_for_tables(run):
    _fails(
        run("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "--explain", "-f", "json", "--level", "element"),
        "--explain",
    )


def test_grad_in_json_has_the_predictions_shape(run):

    data = loaded(
        run(
            "mse",
            SAMPLES / "preds.csv",
            SAMPLES / "targets.csv",
            "-r",
            "samples",
            "--grad",
            "-f",
            "json",
            "--level",
            "element",
        ).stdout
    )
    # d/dp of sum_j (p - t)^2 / N = 2 (p - t) / 2: the seed's first row is -0.1, then 0.1 nine times
    assert data["gradient"][0] == pytest.approx([-0.1] + [0.1] * 9, rel=1e-12)
    assert data["gradient"][1] == pytest.approx([0.2, -0.1] + [0.2] * 8, rel=1e-12)


def test_grad_table(run):
    out = run("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "--grad").stdout
    assert "Gradient  d mse / d p[i, j]   (the predictions' shape; n = 20 divides it)" in out


def test_explain_grad_answers_the_second_seed(run):
    text = _explained(run, "-r", "samples", "--grad")
    assert "the mean of the 2 per-sample gradients equals the gradient of the mean (largest difference" in text
    # 2 (p - t) for p[0, 0] = 0.9, t = 1 is -0.2; divided by each n
    assert (
        "grad[0, 0] under --reduce all: -0.01 (n = 20), samples: -0.1 (n = 2), outputs: -0.02 (n = 10), "
        "none: -0.2 (n = 1); n x grad[0, 0] = -0.2 under each" in text
    )
