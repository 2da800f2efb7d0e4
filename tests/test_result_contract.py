"""The JSON of --format json is a contract: these keys, these types, schema_version 1.

Changing any of this needs a new schema_version and a note in the README.
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
    "weights",  # added with --weights; an addition, so schema_version stays 1
    "per_sample",
    "per_output",
    "output_names",  # the predictions' column names (null without a header); an addition, so schema_version stays 1
    "per_element",
    "gradient",  # null unless --grad
    "ids",  # null unless --id-col or row labels
    "inputs",  # how each input was read; an addition, so schema_version stays 1
    "non_finite",  # null, or why a value that is null is not a finite number
    "like",  # null, or the framework whose own call this is (--like), with its constants
    "ci",  # null, or --ci's interval {low, high, level, method, resamples, seed}; an addition
    "signature",  # what reproduces the number (loss|reduce|n|weights|options|inputs|ci|version); an addition
]


@pytest.fixture
def seed_json(run):
    result = run("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "--reduce", "samples", "-f", "json")
    assert result.exit_code == 0
    return json.loads(result.stdout)


def test_keys_and_order(seed_json):
    assert list(seed_json) == EXPECTED_KEYS


def test_values_of_the_seed_example(seed_json):
    assert seed_json["schema_version"] == 1
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
    data = json.loads(run(*args, "-f", "json").stdout)
    # weighted per-sample values 1 x 0.1 and 3 x 0.37, divided by the weights' sum 4
    assert data["weights"] == {"divisor": "sum", "value": 4.0}
    assert data["per_sample"] == pytest.approx([0.1, 1.11], rel=1e-12)
    assert data["value"] == pytest.approx(1.21 / 4, rel=1e-12)
    data = json.loads(run(*args, "--weight-divisor", "count", "-f", "json").stdout)
    assert data["weights"] == {"divisor": "count", "value": 2.0}
    assert data["value"] == pytest.approx(1.21 / 2, rel=1e-12)


def test_per_sample_only_losses_have_null_element_arrays(run, tmp_path):
    data = json.loads(run("cosine_distance", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "-f", "json").stdout)
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
    data = json.loads(run("huber", p, t, "--delta", "0.5", "-f", "json").stdout)
    assert data["options"] == {"delta": 0.5}
    # |d| = 2 > delta: 0.5 (2 - 0.25) = 0.875; mean over 2 elements
    assert data["value"] == pytest.approx(0.4375, rel=1e-12)
    data = json.loads(run("bce", p.with_name("p.json"), t, "--from-logits", "-f", "json").stdout)
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
    data = json.loads(run("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "-f", "json").stdout)
    # float64 np.mean of the seed's squared errors is 0.02350000000000001, not 0.0235
    assert repr(data["value"]) == "0.02350000000000001"
