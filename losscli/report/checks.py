"""CI checks: thresholds, a baseline with a tolerance, annotations.

A check never passes on a value that is not a finite number: a NaN or an infinite batch
value fails every check it is under, with a line that says why, and a threshold or a
tolerance that is not a finite number is a usage error (every comparison with NaN is
false, so it would never fail).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
from typing import NamedTuple

from ..core.result import Result, short
from ..errors import InputError, UsageError


def check_threshold(key: str, value: float, source: str | None) -> None:
    if not math.isfinite(value):
        where = f"{source}: {key} = {value!r}" if source else f"--{key} {value!r}"
        raise UsageError(f"{where} is not a finite number; a check against it would never fail")


def parse_threshold(key: str, value, source: str | None) -> float | dict[str, float]:
    """A threshold: one number, or each loss's own ("mse=5000,mae=60", or a TOML table), every one finite."""
    where = f"{source}: {key} = {value!r}" if source else f"--{key} {value!r}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        check_threshold(key, float(value), source)
        return float(value)
    pairs = value.items() if isinstance(value, dict) else None
    if pairs is None:
        text = str(value).strip()
        try:
            number = float(text)
        except ValueError:
            pairs = [item.split("=", 1) for item in text.split(",") if item.strip()]
            if not pairs or any(len(pair) != 2 for pair in pairs):
                raise UsageError(f"{where}: give a number (5000) or each loss's own (mse=5000,mae=60)") from None
        else:
            check_threshold(key, number, source)
            return number
    out = {}
    for name, amount in pairs:
        if isinstance(amount, bool):
            raise UsageError(f"{where}: {amount!r} for {str(name).strip()} is not a number")
        try:
            number = float(amount)
        except (TypeError, ValueError):
            raise UsageError(f"{where}: {amount!r} for {str(name).strip()} is not a number") from None
        check_threshold(key, number, source)
        if str(name).strip() in out:
            raise UsageError(f"{where}: {str(name).strip()} is given twice; give each loss one threshold")
        out[str(name).strip()] = number
    return out


class Tolerance(NamedTuple):
    amount: float
    relative: bool  # a fraction of |before|, from "5%"

    def allowed(self, before: float) -> float:
        return abs(before) * self.amount if self.relative else self.amount

    def __str__(self) -> str:
        return f"{short(self.amount * 100)}%" if self.relative else short(self.amount)


def parse_tolerance(text: str | float | None, config: str | None = None) -> Tolerance:
    """``--tolerance`` (or ``tolerance`` of the config file ``config``): 0.01 or 5%."""
    if text is None:
        return Tolerance(0.0, False)
    what = f"{config}: tolerance = {text!r}" if config else f"--tolerance {text!r}"
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise UsageError(f"{what}: give a number (0.01) or a percentage (5%)")
    raw = str(text).strip()
    relative = raw.endswith("%")
    try:
        amount = float(raw[:-1] if relative else raw)
    except ValueError:
        raise UsageError(f"{what}: give a number (0.01) or a percentage (5%)") from None
    if not math.isfinite(amount):
        raise UsageError(f"{what} is not a finite number; a check against it would never fail")
    if not amount >= 0:
        raise UsageError(f"{what} must be >= 0")
    return Tolerance(amount / 100 if relative else amount, relative)


def annotate(message: str) -> None:
    # GitHub Actions turns this line into an error annotation on the run.
    if os.environ.get("GITHUB_ACTIONS") == "true":
        _stderr(f"::error title=losscli check failed::{message}\n")


def _stderr(text: str) -> None:
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.write(text)


def fail(message: str) -> None:
    _stderr(f"losscli: check failed: {message}\n")
    annotate(message)


def not_finite(result: Result) -> str:
    return f"{result.loss} = {result.value!r} (--reduce {result.reduce}) is not a finite number ({result.non_finite})"


def _of_model(model: str | None) -> tuple[str, str]:
    """How a check's message names the model it checked, when other models were compared."""
    if model is None:
        return "", ""
    return f" of {model}", "; the checks apply to this model; the other models are only compared with it"


def _limit(threshold, loss: str, key: str, losses: list[str]):
    """The threshold of ``loss``: the one number, or its own (None where a per-loss table names it not)."""
    if not isinstance(threshold, dict):
        return threshold
    unknown = sorted(set(threshold) - set(losses))
    if unknown:
        raise UsageError(f"{key} names {unknown[0]}, which this run does not compute ({', '.join(losses)})")
    return threshold.get(loss)


def check_thresholds(
    results: list[Result], fail_above, fail_below, model: str | None = None, sources: dict | None = None
) -> bool:
    """Say every crossed threshold on stderr, naming the settings file that set it; True if one was crossed."""
    failed = False
    if fail_above is None and fail_below is None:
        return False
    of, why = _of_model(model)
    sources = sources or {}
    losses = [result.loss for result in results]

    def setting(name: str, limit: float) -> str:
        source = sources.get(name)
        key = name.replace("_", "-")
        return f"{key} = {limit!r} of {source}" if source else f"--{key} {limit!r}"

    for result in results:
        above = _limit(fail_above, result.loss, "--fail-above", losses)
        below = _limit(fail_below, result.loss, "--fail-below", losses)
        if above is None and below is None:
            continue
        if not math.isfinite(result.value):
            fail(not_finite(result) + f"{of}; no threshold check can pass on it")
            failed = True
            continue
        crossed = []
        if above is not None and result.value > above:
            crossed.append(f"is above {setting('fail_above', above)}")
        if below is not None and result.value < below:
            crossed.append(f"is below {setting('fail_below', below)}")
        for what in crossed:
            fail(f"{result.loss}{of} = {result.value!r} (--reduce {result.reduce}) {what}{why}")
            failed = True
    return failed


def load_baseline(path: str, source: str | None = None) -> dict[str, dict]:
    """Loss name -> the earlier ``--format json`` object, every field checked. ``source``: the settings
    file that named it, said in every message."""
    import json

    from ..io.documents import BASELINE_LIMIT, read_document

    try:
        data = json.loads(read_document(path, f"--baseline {path}", "a baseline", BASELINE_LIMIT))
    except FileNotFoundError:
        named = f"baseline = {path!r} of {source}" if source else f"--baseline {path}"
        raise InputError(f"{named}: no such file; write one with --save-baseline") from None
    except (IsADirectoryError, NotADirectoryError):
        raise InputError(f"--baseline {path}: is a directory; name the file --save-baseline wrote") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InputError(f"--baseline {path}: is not a losscli JSON result ({str(exc)[:120]})") from None
    objects = data if isinstance(data, list) else [data]
    if not objects or not all(isinstance(o, dict) and isinstance(o.get("loss"), str) for o in objects):
        raise InputError(f"--baseline {path}: is not a losscli JSON result; write one with --save-baseline")
    for o in objects:
        value = o.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise InputError(
                f"--baseline {path}: the value of {o['loss']} is {json.dumps(value)}, not a finite number; "
                f"save a new baseline"
            )
    return {o["loss"]: o for o in objects}


class BaselineRow(NamedTuple):
    loss: str
    before: float
    after: float
    allowed: float
    worse: bool
    why: str = ""
    other_inputs: str = ""  # the baseline's inputs and this run's, when they are not the same files

    @property
    def change(self) -> float:
        return self.after - self.before


def inputs_of(signature: str) -> str | None:
    """The ``in:`` part of a signature (each input's sha256, first 8 hex digits), or None without one."""
    for part in signature.split("|"):
        if part.startswith("in:"):
            return part[3:]
    return None


def _other_data(old: dict, result: Result) -> str:
    """How the baseline's data differ from this run's, or "": other shapes (250 of the 500 rows), or other
    targets (their sha256 in the signatures). The predictions may differ: they are the model compared."""
    shape = old.get("shape")
    if isinstance(shape, list) and [int(x) for x in shape if isinstance(x, int | float)] != list(result.shape):
        return f"{' x '.join(map(str, shape))} values then, {' x '.join(map(str, result.shape))} now"
    then, now = inputs_of(str(old.get("signature") or "")), inputs_of(result.signature)
    if then is None or now is None:
        return ""  # a baseline without digests (an older losscli, or one of stdin): nothing to compare
    targets_then, targets_now = then.split(",")[1:2], now.split(",")[1:2]  # in: preds, targets, weights
    if targets_then and targets_now and targets_then != targets_now:
        return f"targets {targets_then[0]} then, {targets_now[0]} now"
    return ""


def compare_baseline(
    results: list[Result], baseline: dict[str, dict], tolerance: Tolerance, allow_other_inputs: bool = False
) -> list[BaselineRow]:
    missing = [r.loss for r in results if r.loss not in baseline]
    if missing:
        held = ", ".join(baseline)
        raise InputError(
            f"--baseline holds no {missing[0]} (it holds {held}); compare like with like, or save a new baseline"
        )
    rows = []
    for result in results:
        old = baseline[result.loss]
        if old.get("reduce") != result.reduce:
            raise UsageError(
                f"--baseline has {result.loss} under --reduce {old.get('reduce')}, this run uses {result.reduce}; "
                f"compare like with like"
            )
        _same_options(result, old)
        before = float(old["value"])
        allowed = tolerance.allowed(before)
        if not math.isfinite(result.value):
            rows.append(BaselineRow(result.loss, before, result.value, allowed, True, not_finite(result)))
            continue
        worse = result.value - before > allowed
        other = "" if allow_other_inputs else _other_data(old, result)
        worse = worse or bool(other)
        rows.append(BaselineRow(result.loss, before, result.value, allowed, worse, other_inputs=other))
    return rows


def _same_options(result: Result, old: dict) -> None:
    """A loss under other options (huber --delta 0.05 against --delta 1) is another loss."""
    options = old.get("options")
    if not isinstance(options, dict):
        return  # a baseline of an older losscli: it did not say
    now = json.loads(json.dumps({k: _jsonable(v) for k, v in result.options.items()}))
    for name in sorted(set(options) | set(now)):
        if options.get(name) != now.get(name):
            flag = "--" + name.replace("_", "-")
            raise UsageError(
                f"--baseline has {result.loss} with {flag} {json.dumps(options.get(name))}, this run uses "
                f"{json.dumps(now.get(name))}; compare like with like, or save a new baseline"
            )


def _jsonable(value):
    import numpy as np

    return value.tolist() if isinstance(value, np.ndarray) else value


def report_baseline(
    rows: list[BaselineRow], tolerance: Tolerance, quiet: bool, model: str | None = None, sources: dict | None = None
) -> bool:
    """The before/after table on stderr when a loss got worse (True then); the settings a file gave named."""
    of, why = _of_model(model)
    given = [f"{name} of {file}" for name, file in (sources or {}).items() if name in ("baseline", "tolerance")]
    why += f" ({' and '.join(given)})" if given else ""
    failed = [row for row in rows if row.worse]
    relative = tolerance.relative
    if failed:  # on success the table is noise in a CI log; --format markdown writes it for the summary
        change = "change %" if relative else "change"
        lines = [f"{'loss':<16} {'before':>14} {'after':>14} {change:>14}  tolerance {tolerance}"]
        for row in rows:
            status = "WORSE" if row.worse else "ok"
            lines.append(
                f"{row.loss:<16} {short(row.before):>14} {short(row.after):>14} {_change(row, relative):>14}  {status}"
            )
        _stderr("\n".join(lines) + "\n")
    for row in failed:
        if row.why:
            fail(row.why + f"{of}; the baseline check cannot pass on it")
            continue
        if row.other_inputs:
            fail(
                f"{row.loss}{of}: the baseline was computed on other data ({row.other_inputs}; files by their "
                "sha256); the comparison is not like with like: pass --allow-other-inputs to compare anyway"
            )
            continue
        fail(
            f"{row.loss}{of} got worse: {short(row.before)} -> {short(row.after)} "
            f"({_change(row, relative)}, more than the tolerance {tolerance}){why}"
        )
    return bool(failed)


def _change(row: BaselineRow, relative: bool) -> str:
    if relative:
        if row.before == 0:
            return "+inf%" if row.change > 0 else ("0%" if row.change == 0 else "-inf%")
        return f"{100 * row.change / abs(row.before):+.4g}%"
    return f"{row.change:+.6g}"


def baseline_markdown(rows: list[BaselineRow], tolerance: Tolerance) -> str:
    """The before/after table and the verdict, for a CI job summary (--format markdown --baseline)."""
    relative = tolerance.relative
    out = [
        f"\n### Against the baseline (tolerance {tolerance})\n\n",
        "| loss | before | after | change | verdict |\n",
        "|---|---|---|---|---|\n",
    ]
    for row in rows:
        verdict = "WORSE" if row.worse else "ok"
        if row.other_inputs:
            verdict = f"FAILED: other data ({row.other_inputs})"
        elif row.why:
            verdict = f"FAILED: {row.why}"
        out.append(
            f"| `{row.loss}` | {short(row.before)} | {short(row.after)} | {_change(row, relative)} | {verdict} |\n"
        )
    failed = any(row.worse for row in rows)
    out.append("\nThe check " + ("failed: the job exits 1.\n" if failed else "passed.\n"))
    return "".join(out)
