"""A state file is untrusted input: every field checked, with bounds, before any of it is used.

``losscli merge`` adds up what states claim. A state can be damaged, written by hand or by an
attacker, so each one is checked whole before anything is allocated or added: the types of its
fields, counts that a run can give (rows from 0 to 2^53, no more samples counted than rows, no
more terms that are not finite than terms), sums that their loss can give (a negative total of
squared errors cannot be), vectors as long as the width the state names, histogram buckets
that a float64 can fall in, kept rows that lie among the state's rows, and exact sums whose
size is bounded (``"exact": "1e2000000000"`` would take hours to expand). A problem is one line
that names the file and the field, exit 2.
"""

from __future__ import annotations

import math
import re

from ..core.registry import LOSSES, NON_NEGATIVE_TERMS
from ..errors import InputError

MAX_ROWS = 1 << 53  # a count beyond 2^53 is not exact as the float64 divisor it becomes
MAX_LOSSES = 4 * len(LOSSES)  # losses of one run (the same loss twice under other options is possible)
MAX_PARTIALS = 64  # an exact float sum has at most ~40 non-overlapping partials
MAX_HEX = 32  # '-0x1.fffffffffffffp+1023' is 24 characters
# A histogram key is floor(log2|v| * 256) * 2 + sign: |v| from 2^-1074 to below 2^1024.
KEY_LOW, KEY_HIGH = -1074 * 256 * 2, 1024 * 256 * 2 - 1
_FRACTION = re.compile(r"-?[0-9]{1,1000}/[0-9]{1,1000}")  # an exact sum of floats: ~650 digits at most
_SPECIAL = {"0.0", "-0.0", "inf", "-inf", "nan"}


class _Damaged(Exception):
    """A field that no run writes: its place in the file, and what is wrong with it."""

    def __init__(self, where: str, why: str):
        super().__init__(f"{where} {why}")


def check_document(data: dict, path: str) -> None:
    """Raise an InputError naming ``path`` and the field if the state ``data`` is not one a run writes."""
    try:
        _document(data)
    except _Damaged as exc:
        raise InputError(f"{path}: is damaged: {exc}; write the state again with --save-state") from None


def _document(data: dict) -> None:
    losses = _list(data, "losses", "losses", 1, MAX_LOSSES)
    for k, entry in enumerate(losses):
        _entry(_dict_at(entry, f"losses[{k}]"), f"losses[{k}]")
    inputs = data.get("inputs", [])
    if not isinstance(inputs, list):
        raise _Damaged("inputs", "is not a list")
    for k, item in enumerate(inputs):
        where = f"inputs[{k}]"
        item = _dict_at(item, where)
        if not isinstance(item.get("path"), str):
            raise _Damaged(f"{where}.path", "is not a file name")
        digest = item.get("sha256")
        if digest is not None and not (isinstance(digest, str) and re.fullmatch(r"[0-9a-f]{64}", digest)):
            raise _Damaged(f"{where}.sha256", "is not a sha256 digest")
        if item.get("bytes") is not None:
            _count(item["bytes"], f"{where}.bytes", 1 << 62)
    _count(data.get("dropped", 0), "dropped", MAX_ROWS)
    columns = data.get("columns")
    if columns is not None:
        widths = {entry["state"]["n_outputs"] for entry in losses}
        if not (isinstance(columns, list) and all(isinstance(c, str) for c in columns) and {len(columns)} == widths):
            raise _Damaged("columns", "is not the list of the predictions' column names, one per output")
    signs = data.get("label_signs")
    if signs is not None:
        signs = _dict_at(signs, "label_signs")
        for key in ("first", "lone"):
            if not isinstance(signs.get(key), list):
                raise _Damaged(f"label_signs.{key}", "is not a list")
        for k, pair in enumerate(signs["first"]):
            if not (isinstance(pair, list) and len(pair) == 2 and _is_number(pair[0]) and isinstance(pair[1], str)):
                raise _Damaged(f"label_signs.first[{k}]", "is not a [label, where] pair")
        if not all(_is_number(x) for x in signs["lone"]):
            raise _Damaged("label_signs.lone", "holds something that is not a label")


def _entry(entry: dict, where: str) -> None:
    for key, kind, what in (
        ("loss", str, "a loss name"),
        ("options", dict, "a table of options"),
        ("reduce", str, "a reduction"),
        ("weight_divisor", str, "a weight divisor"),
        ("weighted", bool, "true or false"),
        ("labels", bool, "true or false"),
    ):
        if not isinstance(entry.get(key), kind):
            raise _Damaged(f"{where}.{key}", f"is {_shown(entry.get(key))}, not {what}")
    arrays = _array_options(entry["loss"])
    for name, value in entry["options"].items():  # numbers, flags, names; the numbers of a file (--var FILE)
        plain = value is None or isinstance(value, bool | int | float | str)
        rows = value if isinstance(value, list) and all(isinstance(x, list) for x in value) else [value]
        numbers = name in arrays and all(isinstance(r, list) and all(_is_number(x) for x in r) for r in rows)
        if not (plain or numbers):
            raise _Damaged(f"{where}.options.{name}", f"is {_shown(value)}, not a value of that option")
    if entry.get("like") is not None:
        _like(_dict_at(entry["like"], f"{where}.like"), f"{where}.like")
    _state(_dict_at(entry.get("state"), f"{where}.state"), f"{where}.state", entry["loss"])


def _like(like: dict, where: str) -> None:
    """What --like used: a framework losscli knows, its call, and the constants and overrides it
    names, each a value an option can take."""
    from ..core.frameworks import NAMES

    framework = like.get("framework")
    if not (isinstance(framework, str) and framework in NAMES and isinstance(like.get("call"), str)):
        raise _Damaged(where, f"names no framework losscli knows ({', '.join(NAMES)}) and its call")
    if like.get("dtype", "float64") not in ("float64", "float32"):
        raise _Damaged(f"{where}.dtype", f"is {_shown(like.get('dtype'))}, not float64 or float32")
    for k, constant in enumerate(_list(like, "constants", f"{where}.constants", 0, 100)):
        at = f"{where}.constants[{k}]"
        constant = _dict_at(constant, at)
        if not isinstance(constant.get("option"), str) or not isinstance(constant.get("why"), str):
            raise _Damaged(at, "names no option and reason")
        _option_value(constant, "value", at)
    overridden = like.get("overridden", [])
    if not isinstance(overridden, list) or len(overridden) > 100:
        raise _Damaged(f"{where}.overridden", f"is {_shown(overridden)}, not a list of overrides")
    for k, override in enumerate(overridden):
        at = f"{where}.overridden[{k}]"
        override = _dict_at(override, at)
        if not isinstance(override.get("option"), str):
            raise _Damaged(at, "names no option")
        for key in ("given", "framework"):
            _option_value(override, key, at)


def _option_value(data: dict, key: str, where: str) -> None:
    """A value an option can hold: a number, a flag, a name, nothing, or a list of numbers."""
    if key not in data:
        raise _Damaged(where, f"has no {key}")
    value = data[key]
    plain = value is None or isinstance(value, bool | int | float | str)
    if not (plain or (isinstance(value, list) and len(value) <= 1 << 16 and all(_is_number(x) for x in value))):
        raise _Damaged(f"{where}.{key}", f"is {_shown(value)}, not a value of an option")


def _array_options(loss: str) -> set[str]:
    """The options of ``loss`` that may hold a file's numbers (none for a name no loss has: the
    loss itself is refused when the state is used)."""
    from ..core.registry import get_loss
    from ..errors import LossCliError

    try:
        return {option.name for option in get_loss(loss).options if option.kind == "array"}
    except LossCliError:
        return set()


def _state(state: dict, where: str, loss: str) -> None:
    width = _count(state.get("n_outputs"), f"{where}.n_outputs", MAX_ROWS, low=1)
    columns = _count(state.get("term_columns"), f"{where}.term_columns", MAX_ROWS, low=1)
    if columns not in (width, 1):
        raise _Damaged(f"{where}.term_columns", f"is {columns}, for {width} outputs (it is {width}, or 1)")
    rows = _count(state.get("rows"), f"{where}.rows", MAX_ROWS)
    counted = _count(state.get("counted"), f"{where}.counted", MAX_ROWS)
    if counted > rows:
        raise _Damaged(f"{where}.counted", f"is {counted:,}: more samples counted than the {rows:,} rows")
    non_finite = _count(state.get("non_finite"), f"{where}.non_finite", MAX_ROWS * max(1, columns))
    if non_finite > rows * columns:
        raise _Damaged(f"{where}.non_finite", f"is {non_finite:,}: more than the {rows * columns:,} terms")
    total = _exact_sum(state.get("total"), f"{where}.total")
    if loss in NON_NEGATIVE_TERMS and total < 0:
        raise _Damaged(f"{where}.total", f"is {total!r}, negative: every term of {loss} is >= 0")
    if rows == 0 and total != 0:
        raise _Damaged(f"{where}.total", f"is {total!r} over 0 rows")
    for key in ("divisor", "scale_total"):  # sums of weights and of |t|: never negative
        value = _exact_sum(state.get(key), f"{where}.{key}")
        if value < 0 or value != value:
            raise _Damaged(f"{where}.{key}", f"is {value!r}; it sums weights or |t|, which are >= 0")
    for key in ("per_output", "scale_per_output"):
        vector = _dict_at(state.get(key), f"{where}.{key}")
        for part in ("high", "low"):
            _hexes(vector.get(part), f"{where}.{key}.{part}", columns, finite=False)
    _sketch(_dict_at(state.get("sketch"), f"{where}.sketch"), f"{where}.sketch", rows)
    kept = _dict_at(state.get("kept"), f"{where}.kept")
    keep = kept.get("keep")
    if not (isinstance(keep, list) and len(keep) == 4 and isinstance(keep[3], bool)):
        raise _Damaged(f"{where}.kept.keep", "is not [head, tail, top, histogram]")
    head, tail, top = (_count(keep[k], f"{where}.kept.keep[{k}]", MAX_ROWS) for k in range(3))
    if not keep[3] and _dict_at(state.get("sketch"), "").get("count"):
        raise _Damaged(f"{where}.sketch", "holds counts of a state that kept no histogram")
    _topk(state.get("worst_elements"), f"{where}.worst_elements", top, rows, columns)
    _rows_kept(kept, where, rows, width, columns, head, tail, top)


def _rows_kept(kept: dict, where: str, rows: int, width: int, columns: int, head: int, tail: int, top: int) -> None:
    """The first and last rows, as one run keeps them, and a record of every row they name."""
    first = _list(kept, "head", f"{where}.kept.head", 0, head)
    last = _list(kept, "tail", f"{where}.kept.tail", 0, tail)
    if first != list(range(min(head, rows))):
        raise _Damaged(f"{where}.kept.head", f"is not the first {min(head, rows):,} rows")
    if last != list(range(rows - min(tail, rows), rows)):
        raise _Damaged(f"{where}.kept.tail", f"is not the last {min(tail, rows):,} rows")
    named = set(first) | set(last)
    for key in ("top_rows", "top_samples"):
        named |= _topk(kept.get(key), f"{where}.kept.{key}", top, rows, 1)
    records = _dict_at(kept.get("records"), f"{where}.kept.records")
    if len(records) > len(named) + 2 * top + head + tail:
        raise _Damaged(f"{where}.kept.records", f"holds {len(records):,} rows, more than the state keeps")
    for key, record in records.items():
        at = f"{where}.kept.records[{key!r}]"
        if not (isinstance(key, str) and key.isdigit() and int(key) < rows):
            raise _Damaged(at, f"is not a row of the {rows:,}")
        _record(_dict_at(record, at), at, width, columns)
    missing = sorted(i for i in named if str(i) not in records)
    if missing:
        raise _Damaged(f"{where}.kept.records", f"has no row {missing[0]}, which the state names")


def _record(record: dict, where: str, width: int, columns: int) -> None:
    _hex(record.get("per_sample"), f"{where}.per_sample", finite=False)
    _hexes(record.get("terms"), f"{where}.terms", columns, finite=False)
    _hexes(record.get("pred"), f"{where}.pred", width, finite=False)
    target = record.get("target")
    _hexes(target, f"{where}.target", 1 if isinstance(target, list) and len(target) == 1 else width, finite=False)
    if record.get("gradient") is not None:
        _hexes(record["gradient"], f"{where}.gradient", width, finite=False)
    if record.get("id") is not None and not isinstance(record["id"], str):
        raise _Damaged(f"{where}.id", "is not text")
    if record.get("label") is not None:
        _hex(record["label"], f"{where}.label")


def _sketch(sketch: dict, where: str, rows: int) -> None:
    counts = _dict_at(sketch.get("counts"), f"{where}.counts")
    total = 0
    for key, count in counts.items():
        if not (isinstance(key, str) and re.fullmatch(r"-?[0-9]{1,7}", key) and KEY_LOW <= int(key) <= KEY_HIGH):
            raise _Damaged(f"{where}.counts", f"has the bucket {_shown(key)}, which no float64 falls in")
        total += _count(count, f"{where}.counts[{key!r}]", rows, low=1)
    zeros = _count(sketch.get("zeros"), f"{where}.zeros", rows)
    count = _count(sketch.get("count"), f"{where}.count", rows)
    if total + zeros != count:
        raise _Damaged(f"{where}.count", f"is {count:,}, but its buckets hold {total + zeros:,}")
    if count:
        low, high = sketch.get("low"), sketch.get("high")
        if not (_is_number(low) and _is_number(high) and math.isfinite(low) and math.isfinite(high) and low <= high):
            raise _Damaged(f"{where}", "has no finite low <= high")


def _topk(top, where: str, k_kept: int, rows: int, columns: int) -> set[int]:
    """A top-K list (the rows it names, returned): as long as its k, keys inside the state."""
    top = _dict_at(top, where)
    k = _count(top.get("k"), f"{where}.k", MAX_ROWS)
    if k != k_kept:
        raise _Damaged(f"{where}.k", f"is {k}, where the state keeps {k_kept}")
    values = _hexes(top.get("values"), f"{where}.values", None, finite=False, most=k)
    keys = _list(top, "keys", f"{where}.keys", len(values), len(values))
    named = set()
    for n, pair in enumerate(keys):
        ok = isinstance(pair, list) and len(pair) == 2 and all(_is_int(x) for x in pair)
        if not ok or not (0 <= pair[0] < rows and 0 <= pair[1] < columns):
            raise _Damaged(f"{where}.keys[{n}]", f"is {_shown(pair)}, not a [row, column] of the state")
        named.add(pair[0])
    return named


# --- the pieces -------------------------------------------------------------------------------------


def _exact_sum(data, where: str) -> float:
    """The value an ExactSum of the file would have (its parts bounded), or _Damaged."""
    data = _dict_at(data, where)
    partials = _hexes(data.get("partials"), f"{where}.partials", None, most=MAX_PARTIALS)
    special = data.get("special")
    if not isinstance(special, str) or special not in _SPECIAL:
        raise _Damaged(f"{where}.special", f"is {_shown(special)}, not 0.0, inf, -inf or nan")
    exact = data.get("exact")
    if exact is not None:
        if not (isinstance(exact, str) and _FRACTION.fullmatch(exact)):
            raise _Damaged(f"{where}.exact", f"is {_shown(exact)}, not an exact sum of floats (a fraction)")
        numerator, denominator = (int(part) for part in exact.split("/"))
        if denominator <= 0 or denominator & (denominator - 1) or denominator.bit_length() > 1100:
            raise _Damaged(f"{where}.exact", "has a denominator that is not a power of 2 (a sum of floats has one)")
        if partials:
            raise _Damaged(where, "holds both partials and an exact fraction")
    if float(special) != 0.0:
        return float(special)
    if exact is not None:
        try:
            return numerator / denominator
        except OverflowError:
            return math.inf if numerator > 0 else -math.inf
    return math.fsum(partials)


def _hexes(values, where: str, length: int | None, finite: bool = True, most: int | None = None) -> list[float]:
    if not isinstance(values, list):
        raise _Damaged(where, f"is {_shown(values)}, not a list of numbers")
    if length is not None and len(values) != length:
        raise _Damaged(where, f"holds {len(values):,} numbers, where the state's width is {length:,}")
    if most is not None and len(values) > most:
        raise _Damaged(where, f"holds {len(values):,} numbers, more than {most:,}")
    return [_hex(v, f"{where}[{k}]", finite) for k, v in enumerate(values)]


def _hex(value, where: str, finite: bool = True) -> float:
    if not isinstance(value, str) or len(value) > MAX_HEX:
        raise _Damaged(where, f"is {_shown(value)}, not a number written in hex")
    try:
        number = float.fromhex(value)
    except (ValueError, OverflowError):
        raise _Damaged(where, f"is {_shown(value)}, not a number written in hex") from None
    if finite and not math.isfinite(number):
        raise _Damaged(where, f"is {value}, not a finite number")
    return number


def _count(value, where: str, most: int, low: int = 0) -> int:
    if not _is_int(value) or not low <= value <= most:
        raise _Damaged(where, f"is {_shown(value)}, not a whole number from {low} to {most:,}")
    return value


def _list(data: dict, key: str, where: str, least: int, most: int) -> list:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, list):
        raise _Damaged(where, f"is {_shown(value)}, not a list")
    if not least <= len(value) <= most:
        raise _Damaged(where, f"holds {len(value):,} items, not {least:,} to {most:,}")
    if key in ("head", "tail") and not all(_is_int(x) for x in value):
        raise _Damaged(where, "holds something that is not a row number")
    return value


def _dict_at(value, where: str) -> dict:
    if not isinstance(value, dict):
        raise _Damaged(where, f"is {_shown(value)}, not an object")
    return value


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
