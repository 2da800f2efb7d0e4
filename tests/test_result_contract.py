"""The JSON of --format json is a contract: these keys, these types, schema_version 2.

Changing any of this needs a new schema_version and a note in the README and the changelog. Version 2
(issue 23): the output is always a list of one object per loss; the default object is a summary whose size
does not grow with N; --level sample adds every sample's value and id, --level element every element's
term; the gradient is there when --grad asks for it.
"""

import json

import pytest
from conftest import SAMPLES

EXPECTED_KEYS = [
    "schema_version",
    "loss",
    "formula",
    "options",
    "reduce",
    "shape",
    "n",
    "total",
    "value",
    "weights",  # null, or the divisor of the weighted mean
    "per_output",
    "output_names",  # the predictions' column names (null without a header)
    "inputs",  # how each input was read
    "non_finite",  # null, or why a value that is null is not a finite number
    "like",  # null, or the framework whose own call this is (--like), with its constants
    "ci",  # null, or --ci's interval {low, high, level, method, resamples, seed}
    "signature",  # what reproduces the number (loss|reduce|n|weights|options|inputs|ci|version)
]
# what each --level adds, after "weights" ("per_sample") and after "output_names" (the rest)
SAMPLE_KEYS = ["per_sample", "ids"]
ELEMENT_KEYS = ["per_sample", "per_element", "ids"]


def _one(run, *args) -> dict:
    result = run(*args, "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, list) and len(data) == 1  # a list whatever the number of losses
    return data[0]


@pytest.fixture
def seed_json(run):
    return _one(run, "mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "--reduce", "samples", "--level", "element")


def test_keys_and_order_of_the_summary(run):
    summary = _one(run, "mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv")
    assert list(summary) == EXPECTED_KEYS


def test_keys_and_order_of_each_level(run, seed_json):
    sample = _one(run, "mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "--level", "sample")
    with_samples = [*EXPECTED_KEYS[:10], "per_sample", *EXPECTED_KEYS[10:12], "ids", *EXPECTED_KEYS[12:]]
    assert list(sample) == with_samples
    with_elements = [*EXPECTED_KEYS[:10], "per_sample", *EXPECTED_KEYS[10:12], "per_element", "ids",
                     *EXPECTED_KEYS[12:]]  # fmt: skip
    assert list(seed_json) == with_elements
    graded = _one(run, "mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "--grad")
    assert "gradient" in graded and "per_sample" not in graded


def test_several_losses_are_a_list_of_the_same_objects(run):
    result = run("mse,mae", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "-f", "json")
    data = json.loads(result.stdout)
    assert [d["loss"] for d in data] == ["mse", "mae"] and all(list(d) == EXPECTED_KEYS for d in data)


def test_the_summary_does_not_grow_with_n(run, tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    np.save(tmp_path / "p.npy", rng.normal(size=(2_000_000, 2)))
    np.save(tmp_path / "t.npy", rng.normal(size=(2_000_000, 2)))
    result = run("mse", tmp_path / "p.npy", tmp_path / "t.npy", "-f", "json")
    assert result.exit_code == 0 and len(result.stdout.encode()) < 100_000  # the bound: 100 KB


def test_values_of_the_seed_example(seed_json):
    assert seed_json["schema_version"] == 2
    assert seed_json["loss"] == "mse"
    assert seed_json["formula"] == "(p - t)^2"
    assert seed_json["options"] == {"output_weights": None}  # every option, None where none is given
    assert seed_json["reduce"] == "samples"
    assert seed_json["shape"] == [2, 10]
    assert seed_json["n"] == 2
    # the seed: squared errors sum to 0.1 (sample 0) + 0.37 (sample 1) = 0.47
    assert seed_json["total"] == pytest.approx(0.47, rel=1e-12)
    assert seed_json["value"] == pytest.approx(0.235, rel=1e-12)
    assert seed_json["per_sample"] == pytest.approx([0.1, 0.37], rel=1e-12)
    assert seed_json["per_output"] == pytest.approx([0.025, 0.01] + [0.025] * 8, rel=1e-12)
    assert seed_json["per_element"][1] == pytest.approx([0.04, 0.01] + [0.04] * 8, rel=1e-12)


def test_unweighted_results_have_no_weights_block(seed_json):
    assert seed_json["weights"] is None


def test_weights_block_names_the_divisor(run, tmp_path):
    (tmp_path / "w.csv").write_text("1\n3\n")
    args = ["mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "-r", "samples", "--weights", tmp_path / "w.csv"]
    data = json.loads(run(*args, "-f", "json", "--level", "sample").stdout)[0]
    # weighted per-sample values 1 x 0.1 and 3 x 0.37, divided by the weights' sum 4
    assert data["weights"] == {"divisor": "sum", "value": 4.0}
    assert data["per_sample"] == pytest.approx([0.1, 1.11], rel=1e-12)
    assert data["value"] == pytest.approx(1.21 / 4, rel=1e-12)
    data = json.loads(run(*args, "--weight-divisor", "count", "-f", "json").stdout)[0]
    assert data["weights"] == {"divisor": "count", "value": 2.0}
    assert data["value"] == pytest.approx(1.21 / 2, rel=1e-12)


def test_per_sample_only_losses_have_null_element_arrays(run, tmp_path):
    args = ("cosine_distance", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "-f", "json", "--level", "element")
    data = json.loads(run(*args).stdout)[0]
    assert data["per_element"] is None and data["per_output"] is None
    assert len(data["per_sample"]) == 2 and data["reduce"] == "samples"


def test_types(seed_json):
    assert isinstance(seed_json["n"], int)
    assert all(isinstance(x, float) for x in seed_json["per_sample"])
    assert len(seed_json["per_element"]) == 2 and all(len(row) == 10 for row in seed_json["per_element"])


def test_options_carry_defaults_and_given_values(run, tmp_path):
    p, t = tmp_path / "p.json", tmp_path / "t.json"
    p.write_text("[0.0, 2.0]")
    t.write_text("[0.0, 0.0]")
    data = json.loads(run("huber", p, t, "--delta", "0.5", "-f", "json").stdout)[0]
    assert data["options"] == {"delta": 0.5}
    # |d| = 2 > delta: 0.5 (2 - 0.25) = 0.875; mean over 2 elements
    assert data["value"] == pytest.approx(0.4375, rel=1e-12)
    data = json.loads(run("bce", p.with_name("p.json"), t, "--from-logits", "-f", "json").stdout)[0]
    # every option, the frameworks' constants included (eps none: PyTorch's, no clip)
    assert data["options"] == {
        "from_logits": True,
        "label_smoothing": 0.0,
        "pos_weight": None,
        "eps": None,
        "log_floor": -100.0,
        "log1p": True,
    }


def test_floats_are_full_precision(run):
    data = json.loads(run("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "-f", "json").stdout)[0]
    # float64 np.mean of the seed's squared errors is 0.02350000000000001, not 0.0235
    assert repr(data["value"]) == "0.02350000000000001"
