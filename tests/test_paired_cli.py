"""Issue 13 on the command line: --ci, --against, --baseline --paired, --time-series,
--fail-if-worse and the signature. The statistics themselves are checked against scipy.stats
and by hand in test_stats.py; here, that the command line feeds them the right per-sample
sums and reports what they say. Expected values come from scipy.stats.bootstrap on the
per-sample losses (scikit-learn's mean_squared_error per row), and from losscli.stats called
directly on arrays built here."""

import hashlib
import json
import math
import re

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from jsonout import loaded

from losscli.stats import RatioStatistic, diebold_mariano, paired_bootstrap, paired_permutation_test

RNG = np.random.default_rng(13)
N = 200


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Targets and three models' predictions, as pandas writes them (an index column)."""
    folder = tmp_path_factory.mktemp("models")
    target = RNG.normal(size=(N, 2))
    models = {
        "base": target + RNG.normal(scale=1.0, size=target.shape),
        "new": target + RNG.normal(scale=0.8, size=target.shape),  # better
        "same": target + RNG.normal(scale=1.0, size=target.shape),  # as good as base
        "bad": target + RNG.normal(scale=1.5, size=target.shape),  # worse
    }
    paths = {"targets": folder / "targets.csv"}
    pd.DataFrame(target, columns=["y0", "y1"]).to_csv(paths["targets"])
    for name, values in models.items():
        paths[name] = folder / f"{name}.csv"
        pd.DataFrame(values, columns=["y0", "y1"]).to_csv(paths[name])
    return target, models, paths


def _json(result):
    assert result.exit_code == 0, result.stderr
    return loaded(result.stdout)


def _per_sample(pred, target):
    return ((pred - target) ** 2).mean(axis=1)  # mse --reduce all: L[i] = sum_j l / C


# --- --ci -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["bca", "percentile"])
def test_ci_is_scipys_bootstrap_of_the_mean(run, data, method):
    target, models, paths = data
    out = _json(
        run("mse", paths["new"], paths["targets"], "--ci", "--ci-method", method, "-f", "json", "--level", "element")
    )
    expected = scipy.stats.bootstrap(
        (_per_sample(models["new"], target),),
        np.mean,
        n_resamples=2000,
        random_state=np.random.default_rng(0),
        method="BCa" if method == "bca" else "percentile",
    ).confidence_interval
    assert out["ci"]["low"] == pytest.approx(expected.low, rel=1e-9)
    assert out["ci"]["high"] == pytest.approx(expected.high, rel=1e-9)
    assert {k: out["ci"][k] for k in ("level", "method", "resamples", "seed")} == {
        "level": 0.95,
        "method": method,
        "resamples": 2000,
        "seed": 0,
    }


@pytest.mark.parametrize("given,level", [("0.9", 0.9), ("90", 0.9), ("99%", 0.99)])
def test_ci_level_as_a_fraction_or_a_percentage(run, data, given, level):
    _, _, paths = data
    out = _json(
        run(
            "mse",
            paths["new"],
            paths["targets"],
            "--ci",
            given,
            "--resamples",
            "200",
            "-f",
            "json",
            "--level",
            "element",
        )
    )
    assert out["ci"]["level"] == pytest.approx(level)
    assert out["ci"]["low"] < out["value"] < out["ci"]["high"]


def test_ci_of_a_weighted_mean_resamples_the_ratio(run, data, tmp_path):
    """A mean divided by the sum of the weights: each resample divides its own weighted sum by its
    own weights' sum (scipy's paired statistic of (w L, w))."""
    target, models, paths = data
    weights = RNG.uniform(0.5, 3.0, size=N)
    pd.Series(weights, name="w").to_csv(tmp_path / "w.csv")
    flags = (
        "--weights",
        tmp_path / "w.csv",
        "--ci",
        "--ci-method",
        "bca",
        "-f",
        "json",
        "--level",
        "element",
    )  # scipy's method
    out = _json(run("mse", paths["new"], paths["targets"], *flags))
    per_sample = _per_sample(models["new"], target)

    def ratio(a, b):
        return np.sum(a, axis=-1) / np.sum(b, axis=-1)

    expected = scipy.stats.bootstrap(
        (weights * per_sample, weights),
        ratio,
        paired=True,
        n_resamples=2000,
        random_state=np.random.default_rng(0),
        method="BCa",
    ).confidence_interval
    assert (out["ci"]["low"], out["ci"]["high"]) == pytest.approx((expected.low, expected.high), rel=1e-9)


def test_ci_in_the_table(run, data):
    _, _, paths = data
    out = run("mse", paths["new"], paths["targets"], "--ci", "--resamples", "500")
    assert out.exit_code == 0, out.stderr
    line = next(line for line in out.stdout.splitlines() if line.startswith("95% CI"))
    assert re.search(r"\d\.\d+ \[\d\.\d+, \d\.\d+\] 95% CI +\(bootstrap, studentized, 500", line)


@pytest.mark.parametrize("bad", ["0", "1", "100", "1.5", "0.3", "-5"])
def test_a_level_that_is_none_is_refused(run, data, bad):
    _, _, paths = data
    out = run("mse", paths["new"], paths["targets"], "--ci", bad)
    assert out.exit_code == 2 and out.stdout == ""
    assert "--ci" in out.stderr and out.stderr.count("\n") == 1


# --- --against ------------------------------------------------------------------------------------


def _statistic(pred, target):
    return RatioStatistic.mean(_per_sample(pred, target))


def test_against_reports_what_the_paired_tests_say(run, data):
    target, models, paths = data
    out = _json(
        run(
            "mse",
            paths["new"],
            paths["targets"],
            "--against",
            paths["base"],
            "--against",
            paths["bad"],
            "-f",
            "json",
            "--level",
            "element",
        )
    )
    names = [m["name"] for m in out["models"]]
    assert names == [str(paths["base"]), str(paths["new"]), str(paths["bad"])]  # the baseline first
    base = _statistic(models["base"], target)
    for model, key in zip(out["models"][1:], ("new", "bad"), strict=True):
        mine = _statistic(models[key], target)
        difference = paired_bootstrap(mine, base, resamples=2000, seed=0)
        test = paired_permutation_test(mine, base, resamples=2000, seed=0)
        assert model["difference"] == pytest.approx(difference.difference, rel=1e-9)
        assert model["interval"]["low"] == pytest.approx(difference.interval.low, rel=1e-9)
        assert model["interval"]["high"] == pytest.approx(difference.interval.high, rel=1e-9)
        assert model["p_value"] == pytest.approx(test.p_value, rel=1e-12)
    assert [m["verdict"] for m in out["models"]] == ["baseline", "better", "worse"]
    assert out["best"] == str(paths["new"])
    assert [m["tied_with_best"] for m in out["models"]] == [False, True, False]


def test_models_as_good_as_the_best_are_tied(run, data):
    _, _, paths = data
    out = _json(
        run("mse", paths["same"], paths["targets"], "--against", paths["base"], "-f", "json", "--level", "element")
    )
    verdicts = [(m["verdict"], m["tied_with_best"]) for m in out["models"]]
    assert verdicts == [("baseline", True), ("no significant difference", True)]


def test_against_pairs_samples_by_their_ids(run, data, tmp_path):
    """The baseline's rows in another order (pandas keeps the index): the same comparison, to
    the last bit (samples are resampled in the order of their ids, whatever a file's order)."""
    target, models, paths = data
    shuffled = tmp_path / "base_shuffled.csv"
    frame = pd.read_csv(paths["base"], index_col=0)
    frame.sample(frac=1.0, random_state=1).to_csv(shuffled)
    straight = _json(
        run("mse", paths["new"], paths["targets"], "--against", paths["base"], "-f", "json", "--level", "element")
    )
    moved = _json(run("mse", paths["new"], paths["targets"], "--against", shuffled, "-f", "json", "--level", "element"))
    assert moved["models"][1]["p_value"] == straight["models"][1]["p_value"]
    assert moved["models"][1]["interval"] == straight["models"][1]["interval"]


def test_against_col_in_one_file(run, data, tmp_path):
    target, models, _ = data
    frame = pd.DataFrame({"y": target[:, 0], "new": models["new"][:, 0], "base": models["base"][:, 0]})
    frame.to_csv(tmp_path / "all.csv", index=False)
    out = _json(
        run(
            "mse",
            tmp_path / "all.csv",
            "--pred-col",
            "new",
            "--target-col",
            "y",
            "--against-col",
            "base",
            "-f",
            "json",
            "--level",
            "element",
        )
    )
    expected = paired_bootstrap(
        RatioStatistic.mean((models["new"][:, 0] - target[:, 0]) ** 2),
        RatioStatistic.mean((models["base"][:, 0] - target[:, 0]) ** 2),
    )
    assert out["models"][1]["difference"] == pytest.approx(expected.difference, rel=1e-9)
    assert out["models"][0]["name"] == "--against-col base"


def test_the_table_and_markdown(run, data):
    _, _, paths = data
    table = run("mse", paths["new"], paths["targets"], "--against", paths["base"])
    assert table.exit_code == 0, table.stderr
    assert "better" in table.stdout and "baseline" in table.stdout and "lower is better" in table.stdout
    markdown = run("mse", paths["new"], paths["targets"], "--against", paths["base"], "-f", "markdown")
    assert markdown.stdout.startswith("## losscli: mse, models compared")
    assert "| model | mse | - baseline [95%] | p | verdict | tied with the best |" in markdown.stdout


# --- the gate ---------------------------------------------------------------------------------------


def test_fail_if_worse_fails_on_a_worse_model(run, data, monkeypatch):
    _, _, paths = data
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    out = run(
        "mse",
        paths["bad"],
        paths["targets"],
        "--against",
        paths["base"],
        "--fail-if-worse",
        "-f",
        "json",
        "--level",
        "element",
    )
    assert out.exit_code == 1
    lines = out.stderr.splitlines()
    assert lines[0].startswith(f"losscli: check failed: {paths['bad']} is worse than {paths['base']}: +")
    assert "95% CI, p = " in lines[0] and "more than the tolerance 0" in lines[0]
    assert lines[1].startswith("::error title=losscli check failed::")


def test_fail_if_worse_passes_a_better_or_equal_model(run, data):
    _, _, paths = data
    for model in ("new", "same"):
        out = run("mse", paths[model], paths["targets"], "--against", paths["base"], "--fail-if-worse", "-q")
        assert (out.exit_code, out.stderr) == (0, "")


def test_fail_if_worse_allows_the_tolerance(run, data):
    """bad is worse by about 1.25 (noise of variance 2.25 against 1) on a baseline near 1: a 200%
    tolerance lets it pass."""
    _, _, paths = data
    args = ("mse", paths["bad"], paths["targets"], "--against", paths["base"], "--fail-if-worse", "-q")
    assert run(*args, "--tolerance", "200%").exit_code == 0
    assert run(*args, "--tolerance", "0.1").exit_code == 1


# --- --baseline --paired and --time-series -----------------------------------------------------------


def test_paired_baseline_file_gives_what_against_gives(run, data, tmp_path):
    _, _, paths = data
    saved = tmp_path / "base.json"
    assert run("mse", paths["base"], paths["targets"], "--save-baseline", saved, "-q").exit_code == 0
    paired = _json(
        run("mse", paths["new"], paths["targets"], "--baseline", saved, "--paired", "-f", "json", "--level", "element")
    )
    against = _json(
        run("mse", paths["new"], paths["targets"], "--against", paths["base"], "-f", "json", "--level", "element")
    )
    for key in ("difference", "p_value"):
        assert paired["models"][1][key] == pytest.approx(against["models"][1][key], rel=1e-9)
    assert paired["models"][1]["verdict"] == against["models"][1]["verdict"] == "better"
    assert paired["models"][1]["interval"]["low"] == pytest.approx(against["models"][1]["interval"]["low"], rel=1e-9)


def test_paired_refuses_a_baseline_without_per_sample_losses(run, data, tmp_path):
    _, _, paths = data
    saved = tmp_path / "b.json"
    saved.write_text(json.dumps({"loss": "mse", "reduce": "all", "value": 1.0, "options": {}}))
    out = run("mse", paths["new"], paths["targets"], "--baseline", saved, "--paired")
    assert out.exit_code == 2
    assert "holds no per-sample losses" in out.stderr


@pytest.mark.parametrize("horizon", [1, 3])
def test_time_series_is_the_diebold_mariano_test(run, data, horizon):
    target, models, paths = data
    args = ("mse", paths["new"], paths["targets"], "--against", paths["base"], "--time-series", str(horizon))
    out = _json(run(*args, "-f", "json", "--level", "element"))
    expected = diebold_mariano(_per_sample(models["new"], target), _per_sample(models["base"], target), h=horizon)
    model = out["models"][1]
    assert model["p_value"] == pytest.approx(expected.p_value, rel=1e-9)
    assert out["method"] == "diebold-mariano" and out["horizon"] == horizon
    assert f"DM = {expected.statistic:.4g}" in model["test"]
    assert model["interval"]["low"] < model["difference"] < model["interval"]["high"]
    # the statistic as a number for pipelines (stats.diebold_mariano is checked against the fixture in test_stats)
    assert model["statistic"] == pytest.approx(expected.statistic, rel=1e-12)
    assert out["models"][0]["statistic"] is None  # the baseline is compared with nothing


@pytest.mark.parametrize("horizon", [1, 4])
def test_time_series_interval_is_a_block_bootstrap_of_the_difference(run, data, horizon):
    # Written out here: blocks of L = max(H, ceil(N^(1/3))) consecutive samples, their sums of the
    # per-sample loss differences d_i resampled with NumPy's draws for the seed, the percentile interval
    # of sum(drawn block sums) / sum(drawn block sizes) (type-7 quantiles): Kunsch's block bootstrap.
    target, models, paths = data
    args = ("mse", paths["new"], paths["targets"], "--against", paths["base"], "--time-series", str(horizon))
    out = _json(
        run(*args, "--ci", "0.9", "--ci-method", "percentile", "--resamples", "500", "-f", "json", "--level", "element")
    )
    d = _per_sample(models["new"], target) - _per_sample(models["base"], target)
    length = max(horizon, math.ceil(len(d) ** (1 / 3)))
    blocks = np.arange(len(d)) // length
    sums, sizes = np.bincount(blocks, d), np.bincount(blocks).astype(float)
    drawn = np.random.default_rng(0).integers(0, len(sums), (500, len(sums)))
    replicates = np.sort(sums[drawn].sum(axis=1) / sizes[drawn].sum(axis=1))
    interval = out["models"][1]["interval"]
    assert [interval["low"], interval["high"]] == pytest.approx(np.quantile(replicates, [0.05, 0.95]), rel=1e-9)
    assert f"blocks of {length:,} consecutive samples" in out["models"][1]["test"]


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--time-series"], "add --against"),
        (["--fail-if-worse"], "--fail-if-worse needs models to compare"),
        (["--paired"], "--baseline FILE --paired"),
        (["--against", "x.csv", "--explain"], "--explain explains one model"),
        (["--against", "x.csv", "-f", "csv"], "use --format table, json or markdown"),
    ],
)
def test_combinations_that_mean_nothing_are_refused(run, data, extra, message):
    _, _, paths = data
    out = run("mse", paths["new"], paths["targets"], *extra)
    assert out.exit_code == 2 and out.stdout == ""
    assert message in out.stderr and out.stderr.count("\n") == 1


def test_missing_values_in_a_compared_model_are_refused(run, data, tmp_path):
    target, models, paths = data
    frame = pd.read_csv(paths["base"], index_col=0)
    frame.iloc[3, 1] = np.nan
    frame.to_csv(tmp_path / "holes.csv")
    out = run("mse", paths["new"], paths["targets"], "--against", tmp_path / "holes.csv", "--drop-missing")
    assert out.exit_code == 2
    assert "dropped for missing values" in out.stderr


# --- the signature ------------------------------------------------------------------------------


def test_signature_names_what_reproduces_the_number(run, data):
    _, _, paths = data
    out = _json(
        run(
            "huber",
            paths["new"],
            paths["targets"],
            "--delta",
            "0.5",
            "--ci",
            "--seed",
            "7",
            "-f",
            "json",
            "--level",
            "element",
        )
    )
    digests = [hashlib.sha256(paths[k].read_bytes()).hexdigest()[:8] for k in ("new", "targets")]
    from losscli import __version__

    assert out["signature"] == (
        f"huber|reduce:all|n:{2 * N}|w:none|opts:delta=0.5|in:{','.join(digests)}|ci:studentized,2000,0.95,seed:7"
        f"|losscli:{__version__}"
    )


def test_signature_in_the_table(run, data):
    _, _, paths = data
    out = run("mse", paths["new"], paths["targets"], "-r", "samples")
    line = next(line for line in out.stdout.splitlines() if line.startswith("signature"))
    assert line.split()[1].startswith(f"mse|reduce:samples|n:{N}|w:none|in:")


def test_ci_with_format_value_prints_value_low_high(run, data):
    _, _, paths = data
    out = _json(
        run("mse", paths["new"], paths["targets"], "--ci", "--resamples", "300", "-f", "json", "--level", "element")
    )
    line = run("mse", paths["new"], paths["targets"], "--ci", "--resamples", "300", "-f", "value").stdout
    assert [float(x) for x in line.split()] == [out["value"], out["ci"]["low"], out["ci"]["high"]]
