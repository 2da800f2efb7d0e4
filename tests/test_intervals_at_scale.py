"""Intervals over many samples (issue 22): past 4,096 samples the buckets of stats/buckets.py are
resampled; the interval is then the same to the bit whether the samples were read by one run, by
--jobs 2, by Dask, or by runs of each shard whose states are merged; up to 4,096 samples the buckets
are the samples themselves and the interval is the per-sample bootstrap's."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from jsonout import loaded
from typer.testing import CliRunner

from losscli.cli.app import app
from losscli.stats import RatioStatistic, bootstrap_interval
from losscli.stats.buckets import BUCKETS, Buckets, bucket_of, bucketed

runner = CliRunner()


def _value(*args) -> str:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def _shards(tmp_path: Path, sizes) -> list[tuple[Path, Path]]:
    rng = np.random.default_rng(22)
    (tmp_path / "p").mkdir()
    (tmp_path / "t").mkdir()
    pairs = []
    for k, size in enumerate(sizes):
        pair = (tmp_path / "p" / f"s{k}.npy", tmp_path / "t" / f"s{k}.npy")
        np.save(pair[0], rng.normal(size=(size, 2)))
        np.save(pair[1], rng.normal(size=(size, 2)))
        pairs.append(pair)
    return pairs


@pytest.mark.parametrize("sizes", [(3000, 2500, 1700), (900, 700)], ids=["buckets", "samples"])
def test_merged_states_jobs_and_one_run_give_one_interval(tmp_path: Path, sizes):
    pairs = _shards(tmp_path, sizes)
    flags = ["--ci", "0.9", "-f", "value"]
    one_run = _value("mae", tmp_path / "p", tmp_path / "t", *flags)
    assert _value("mae", tmp_path / "p", tmp_path / "t", *flags, "--jobs", "2") == one_run
    states = []
    for k, (p, t) in enumerate(pairs):
        states.append(tmp_path / f"state{k}.json")
        _value("mae", p, t, "--save-state", states[-1], "-f", "value")
    assert _value("merge", *states, "--ci", "0.9", "-f", "value") == one_run
    value, low, high = (float(x) for x in one_run.split())
    assert low < value < high


def test_up_to_4096_samples_the_interval_is_the_per_sample_bootstrap(tmp_path: Path):
    rng = np.random.default_rng(5)
    p, t = rng.normal(size=BUCKETS), rng.normal(size=BUCKETS)
    np.save(tmp_path / "p.npy", p)
    np.save(tmp_path / "t.npy", t)
    got = loaded(_value("mse", tmp_path / "p.npy", tmp_path / "t.npy", "--ci", "-f", "json", "--level", "element"))[
        "ci"
    ]
    want = bootstrap_interval(RatioStatistic.mean((p - t) ** 2), resamples=2000, seed=0)
    assert (got["low"], got["high"], got["method"]) == (want.low, want.high, "studentized")


def test_past_4096_samples_the_buckets_are_resampled(tmp_path: Path):
    rng = np.random.default_rng(6)
    p, t = rng.normal(size=10_000), rng.normal(size=10_000)
    np.save(tmp_path / "p.npy", p)
    np.save(tmp_path / "t.npy", t)
    got = loaded(_value("mse", tmp_path / "p.npy", tmp_path / "t.npy", "--ci", "-f", "json", "--level", "element"))[
        "ci"
    ]
    # Written out: each sample's squared error summed into its bucket (the hash of its position), the
    # buckets with samples resampled as units.
    losses = (p - t) ** 2
    buckets = bucket_of(np.arange(10_000))
    sums, sizes = np.bincount(buckets, losses, BUCKETS), np.bincount(buckets, minlength=BUCKETS).astype(float)
    used = sizes > 0
    want = bootstrap_interval(RatioStatistic(sums[used], sizes[used]), resamples=2000, seed=0)
    assert [got["low"], got["high"]] == pytest.approx([want.low, want.high], rel=1e-12)
    assert bucketed(RatioStatistic.mean(losses)).n_samples == int(used.sum())


def test_buckets_are_a_partition_by_position_that_ignores_the_values():
    positions = np.arange(1_000_000)
    buckets = bucket_of(positions)
    counts = np.bincount(buckets, minlength=BUCKETS)
    assert counts.sum() == 1_000_000 and counts.min() > 0
    assert counts.std() < 2 * np.sqrt(1_000_000 / BUCKETS)  # about Poisson's spread: no bucket favoured
    assert np.array_equal(bucket_of(positions[:10]), buckets[:10])  # the same position, the same bucket


def test_bucket_sums_round_trip_a_state_to_the_bit():
    rng = np.random.default_rng(7)
    kept = Buckets()
    kept.add(0, rng.normal(size=5000), rng.uniform(size=5000))
    again = Buckets.from_dict(loaded(json.dumps(kept.to_dict())))
    assert np.array_equal(again.numerator, kept.numerator) and np.array_equal(again.sizes, kept.sizes)
    assert again.rows is None and again.samples == 5000


def test_a_resampling_phase_shows_its_bar_on_a_terminal(monkeypatch):
    """With stderr a terminal (and NO_COLOR set: colour off, the bar still shown), a phase of resamples
    draws its bar once it has run past its delay."""
    from losscli.report import progress
    from losscli.stats import bootstrap_interval

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setattr(progress, "DELAY", 0.0)
    statistic = RatioStatistic.mean(np.random.default_rng(0).normal(size=300) ** 2)
    with progress.phase("resampling", 20_000, quiet=False) as shown:
        import time

        time.sleep(0.2)  # the timer draws the bar
        bootstrap_interval(statistic, resamples=20_000)
    assert shown.done == 20_000
    assert "resampling" in terminal.getvalue()
    with progress.phase("resampling", 10, quiet=True) as hidden:
        assert not isinstance(hidden, progress.Phase)


def test_dask_gives_the_interval_of_one_run(tmp_path: Path):
    pytest.importorskip("dask.distributed")
    _shards(tmp_path, (3000, 2500))
    flags = ["--ci", "0.9", "-f", "value"]
    one_run = _value("mae", tmp_path / "p", tmp_path / "t", *flags)
    assert _value("mae", tmp_path / "p", tmp_path / "t", *flags, "--dask") == one_run


def test_against_past_4096_samples_pairs_the_buckets_of_both_models(tmp_path: Path):
    """Two models' .npy predictions of 10,000 samples (no ids: matched by position): each pass sums its
    samples into the buckets of their positions, so bucket k of one model holds the same samples as
    bucket k of the other; the paired bootstrap and test run over those 4,096 pairs."""
    from losscli.stats import paired_bootstrap, paired_permutation_test

    rng = np.random.default_rng(9)
    t = rng.normal(size=10_000)
    a, b = t + rng.normal(scale=0.5, size=10_000), t + rng.normal(scale=0.55, size=10_000)
    for name, values in (("a", a), ("b", b), ("t", t)):
        np.save(tmp_path / f"{name}.npy", values)
    out = loaded(
        _value(
            "mse",
            tmp_path / "a.npy",
            tmp_path / "t.npy",
            "--against",
            tmp_path / "b.npy",
            "-f",
            "json",
            "--level",
            "element",
        )
    )
    buckets = bucket_of(np.arange(10_000))
    sizes = np.bincount(buckets, minlength=BUCKETS).astype(float)
    used = sizes > 0

    def units(pred):
        return RatioStatistic(np.bincount(buckets, (pred - t) ** 2, BUCKETS)[used], sizes[used])

    want = paired_bootstrap(units(a), units(b), resamples=2000, seed=0)
    test = paired_permutation_test(units(a), units(b), resamples=2000, seed=0)
    model = out["models"][1]
    assert out["samples"] == 10_000 and "buckets of the samples" in model["test"]
    assert [model["interval"]["low"], model["interval"]["high"]] == pytest.approx(
        [want.interval.low, want.interval.high], rel=1e-12
    )
    assert model["p_value"] == pytest.approx(test.p_value, rel=1e-12)
