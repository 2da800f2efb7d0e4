"""CI checks: thresholds, a baseline with a tolerance, the config file, annotations."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NamedTuple

from ..core.result import Result, short
from ..errors import InputError, UsageError


class Tolerance(NamedTuple):
    amount: float
    relative: bool  # a fraction of |before|, from "5%"

    def allowed(self, before: float) -> float:
        return abs(before) * self.amount if self.relative else self.amount

    def __str__(self) -> str:
        return f"{short(self.amount * 100)}%" if self.relative else short(self.amount)


def parse_tolerance(text: str | None) -> Tolerance:
    if text is None:
        return Tolerance(0.0, False)
    raw = str(text).strip()
    relative = raw.endswith("%")
    try:
        amount = float(raw[:-1] if relative else raw)
    except ValueError:
        raise UsageError(f"--tolerance {text!r}: give a number (0.01) or a percentage (5%)") from None
    if not amount >= 0:
        raise UsageError(f"--tolerance {text!r} must be >= 0")
    return Tolerance(amount / 100 if relative else amount, relative)


def _annotate(message: str) -> None:
    # GitHub Actions turns this line into an error annotation on the run.
    if os.environ.get("GITHUB_ACTIONS") == "true":
        sys.stderr.write(f"::error title=losscli check failed::{message}\n")


def check_thresholds(results: list[Result], fail_above: float | None, fail_below: float | None) -> bool:
    """Say every crossed threshold on stderr; True if one was crossed."""
    failed = False
    for result in results:
        crossed = []
        if fail_above is not None and result.value > fail_above:
            crossed.append(f"is above --fail-above {fail_above!r}")
        if fail_below is not None and result.value < fail_below:
            crossed.append(f"is below --fail-below {fail_below!r}")
        for what in crossed:
            message = f"{result.loss} = {result.value!r} (--reduce {result.reduce}) {what}"
            sys.stderr.write(f"losscli: check failed: {message}\n")
            _annotate(message)
            failed = True
    return failed


def load_baseline(path: str) -> dict[str, dict]:
    """Loss name -> the earlier ``--format json`` object."""
    import json

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"--baseline {path}: no such file; write one with --save-baseline") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"--baseline {path}: is not a losscli JSON result ({exc})") from None
    objects = data if isinstance(data, list) else [data]
    if not all(isinstance(o, dict) and "loss" in o and "value" in o for o in objects):
        raise InputError(f"--baseline {path}: is not a losscli JSON result; write one with --save-baseline")
    return {o["loss"]: o for o in objects}


class BaselineRow(NamedTuple):
    loss: str
    before: float | None
    after: float
    allowed: float | None
    worse: bool

    @property
    def change(self) -> float | None:
        return None if self.before is None else self.after - self.before


def compare_baseline(results: list[Result], baseline: dict[str, dict], tolerance: Tolerance) -> list[BaselineRow]:
    rows = []
    for result in results:
        old = baseline.get(result.loss)
        if old is None:
            rows.append(BaselineRow(result.loss, None, result.value, None, False))
            continue
        if old.get("reduce") != result.reduce:
            raise UsageError(
                f"--baseline has {result.loss} under --reduce {old.get('reduce')}, this run uses {result.reduce}; "
                f"compare like with like"
            )
        before = float(old["value"])
        allowed = tolerance.allowed(before)
        rows.append(BaselineRow(result.loss, before, result.value, allowed, result.value - before > allowed))
    return rows


def report_baseline(rows: list[BaselineRow], tolerance: Tolerance, quiet: bool) -> bool:
    """The before/after table on stderr (unless quiet); True if a loss got worse."""
    failed = [row for row in rows if row.worse]
    if not quiet or failed:
        lines = [f"{'loss':<16} {'before':>14} {'after':>14} {'change':>14}  tolerance {tolerance}"]
        for row in rows:
            if row.before is None:
                lines.append(f"{row.loss:<16} {'-':>14} {short(row.after):>14} {'-':>14}  not in the baseline")
                continue
            status = "WORSE" if row.worse else "ok"
            lines.append(
                f"{row.loss:<16} {short(row.before):>14} {short(row.after):>14} {row.change:>+14.6g}  {status}"
            )
        sys.stderr.write("\n".join(lines) + "\n")
    for row in failed:
        message = (
            f"{row.loss} got worse: {short(row.before)} -> {short(row.after)} "
            f"({row.change:+.6g}, more than the tolerance {tolerance})"
        )
        sys.stderr.write(f"losscli: check failed: {message}\n")
        _annotate(message)
    return bool(failed)
