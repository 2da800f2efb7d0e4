"""The command line a person reads: every help screen at 80 columns, each loss's own help,
the short usage, and what a missing argument says."""

from __future__ import annotations

import pytest
from conftest import SAMPLES

from losscli import LOSSES

SCREENS = [("--help",), ("help",), ("list", "--help")] + [(loss.name, "--help") for loss in LOSSES]


@pytest.mark.parametrize("args", SCREENS, ids=[" ".join(a) for a in SCREENS])
def test_every_help_screen_fits_80_columns_and_cuts_nothing(run, args):
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines, args
    too_long = [line for line in lines if len(line) > 80]
    assert not too_long, too_long
    assert "…" not in result.stdout  # nothing elided: wrapped instead


def test_a_loss_help_is_that_loss_alone(run):
    text = run("huber", "--help").stdout
    flat = " ".join(text.split())
    assert "huber: Huber loss." in flat
    assert "0.5 d^2 if |d| <= delta else delta (|d| - 0.5 delta)" in flat  # its formula
    assert "--reduce all" in flat  # its default reduction
    assert 'PyTorch: torch.nn.HuberLoss(delta=1.0, reduction="mean")(p, t)' in flat  # the call in each framework
    assert "Keras: keras.losses.Huber(delta=1.0" in flat
    assert "--delta" in text and "huber: default 1" in flat  # its options with defaults
    assert flat.count("losscli huber ") >= 2  # two examples
    for other in ("--beta", "--from-logits", "--label-smoothing", "--quantile"):
        assert other not in text, other


def test_help_loss_is_the_loss_help(run):
    assert run("help", "mse").stdout.strip() == run("mse", "--help").stdout.strip()


def test_the_general_help_is_short_and_points_to_the_list(run):
    text = run("--help").stdout
    assert len(text.splitlines()) < 60
    for part in ("Usage: losscli LOSS PREDS TARGETS", "--reduce", "--format", "samples", "losscli list"):
        assert part in text, part
    assert "--delta" not in text  # loss options live in each loss's help


def test_no_arguments_print_a_short_usage_and_exit_2(run):
    result = run()
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Usage: losscli LOSS PREDS TARGETS")
    assert len(result.stderr.splitlines()) <= 5


def test_a_loss_without_files_says_what_is_missing_with_its_example(run):
    result = run("sparse_cce")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (
        "losscli: error: give the predictions and the targets, e.g. 'losscli sparse_cce proba.csv labels.csv'\n"
    )


def test_the_percent_tolerance_table_shows_a_percent_change(run, tmp_path):
    baseline = tmp_path / "b.json"
    assert run("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "--save-baseline", baseline, "-q").exit_code == 0
    worse = tmp_path / "p.csv"
    worse.write_text((SAMPLES / "preds.csv").read_text().replace("0.9", "0.8", 1))
    result = run("mse", worse, SAMPLES / "targets.csv", "--baseline", baseline, "--tolerance", "5%", "-f", "value")
    # the first squared error grows from 0.01 to 0.04: the sum 0.47 -> 0.50, +6.383% of the baseline
    assert result.exit_code == 1
    assert "change %" in result.stderr and "+6.383%" in result.stderr


@pytest.mark.parametrize("loss", [loss.name for loss in LOSSES])
def test_a_loss_help_names_every_framework_that_like_accepts(run, loss):
    """The help lists each --like the loss takes with some options or inputs (issue 17: help hinge and help
    tweedie_deviance left out torchmetrics and scikit-learn): the same frameworks --like's error names."""
    import re

    from losscli.core.conventions import FRAMEWORKS, frameworks_with

    text = run("help", loss).stdout
    shown = tuple(re.findall(r"^  --like (\w+) ", text, flags=re.MULTILINE))  # the description's rows
    assert shown == frameworks_with(loss)
    assert set(shown) <= set(FRAMEWORKS)
