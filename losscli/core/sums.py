"""Sums that merge: exact scalars, compensated vectors, a histogram and top-K that combine.

Every figure losscli reports is a sum over blocks of rows. Blocks are fixed (their rows
depend on the width alone) and their sums are merged in block order, so a run gives the
same bits whatever ``--jobs`` is, and states saved by separate runs merge to what one run
gives. What holds of the batch total, precisely:

- the blocks' sums are merged exactly (Shewchuk's partials, as ``math.fsum``);
- a block of a loss whose terms can be negative is summed exactly too (:func:`exact_parts`,
  an error-free extraction): terms that cancel give what ``math.fsum`` of every term gives;
- a block of a loss whose every term is >= 0 (``NON_NEGATIVE_TERMS``: mse, mae, sparse_cce,
  ...) is NumPy's pairwise sum of the block's contiguous terms, whose relative error is at most
  25 + log2(n / 128) units of 2^-53 for n terms (a leaf of 128 terms: 15 additions in each of
  8 accumulators, 3 to join them, up to 7 for a remainder; then one level of halving per
  doubling): 36 units (4.0e-15) for the 2^18 terms of a block. Terms of one sign cannot
  cancel, so the total is within that of the exact sum. Summing them exactly would cost the
  plain run a tenth of its time; a pairwise sum of terms of one sign is true to 15 digits.

The per-output sums are each block's column sums (a matrix product), merged with
Neumaier's compensation: error about 2^-53 times the sum of the |terms| of the column.
"""

from __future__ import annotations

import math

import numpy as np

_HUGE = 2.0**1020  # below this, two partials cannot overflow when added


class ExactSum:
    """A float sum kept exactly: non-overlapping partials (Shewchuk 1997, as ``math.fsum``);
    past 2^1020 exact fractions, so an intermediate overflow cannot spoil it. Terms that
    are inf or NaN are summed apart, by IEEE rules, and win."""

    __slots__ = ("partials", "special", "exact")

    def __init__(self):
        self.partials: list[float] = []
        self.special = 0.0  # the sum of the inf and NaN terms
        self.exact = None  # a Fraction, once a partial nears overflow

    def add(self, x: float) -> None:
        x = float(x)
        if not math.isfinite(x):
            self.special += x
            return
        if self.exact is None and (abs(x) >= _HUGE or (self.partials and abs(self.partials[-1]) >= _HUGE)):
            from fractions import Fraction

            self.exact = sum((Fraction(p) for p in self.partials), Fraction(0))
            self.partials = []
        if self.exact is not None:
            from fractions import Fraction

            self.exact += Fraction(x)
            return
        kept = []
        for y in self.partials:
            if abs(x) < abs(y):
                x, y = y, x
            high = x + y
            low = y - (high - x)
            if low:
                kept.append(low)
            x = high
        kept.append(x)
        self.partials = kept

    def merge(self, other: ExactSum) -> None:
        self.special += other.special
        for x in other.partials:
            self.add(x)
        if other.exact is not None:
            self.add(0.0)
            if self.exact is None:
                from fractions import Fraction

                self.exact = sum((Fraction(p) for p in self.partials), Fraction(0))
                self.partials = []
            self.exact += other.exact

    @property
    def value(self) -> float:
        if self.special != 0.0 or self.special != self.special:
            return self.special
        if self.exact is not None:
            try:
                return float(self.exact)
            except OverflowError:
                return math.inf if self.exact > 0 else -math.inf
        return math.fsum(self.partials)

    def to_dict(self) -> dict:
        exact = None if self.exact is None else f"{self.exact.numerator}/{self.exact.denominator}"
        return {"partials": [p.hex() for p in self.partials], "special": repr(self.special), "exact": exact}

    @classmethod
    def from_dict(cls, data: dict) -> ExactSum:
        out = cls()
        out.partials = [float.fromhex(p) for p in data["partials"]]
        out.special = float(data["special"])
        if data.get("exact"):
            from fractions import Fraction

            out.exact = Fraction(data["exact"])
        return out


def add_exactly(total: ExactSum, values: np.ndarray) -> None:
    """Add the exact sum of the finite ``values`` to ``total``, by an error-free extraction (Rump,
    Ogita and Oishi 2008, ExtractVector): each pass splits every value at a bit position fixed by
    the largest magnitude and the count, so that the high parts add up in float64 with no
    rounding, whatever the order; the low parts, exact remainders, go to the next pass, until
    none is left (each pass takes about 53 - log2(n) bits of every value: three for terms that
    span 30 octaves). A tile of 32,768 values at a time, in the caches: 3x faster than a block."""
    flat = values.reshape(-1)
    high = np.empty(min(flat.size, EXACT_TILE))
    rest = np.empty_like(high)
    for start in range(0, flat.size, EXACT_TILE):
        tile = flat[start : start + EXACT_TILE]
        _add_tile(total, tile, high[: tile.size], rest[: tile.size])


EXACT_TILE = 1 << 15
MAX_PASSES = 128  # 34 bits a pass at the least, and float64 spans 2,098: under 70 passes


def _add_tile(total: ExactSum, values: np.ndarray, high: np.ndarray, rest: np.ndarray) -> None:
    bits = (values.size + 2).bit_length()  # 2^bits >= n + 2: the high parts' sum cannot round
    source = values
    largest = max(float(source.max()), -float(source.min()))
    for _ in range(MAX_PASSES):
        if largest == 0.0:
            return
        exponent = math.frexp(largest)[1] + bits
        if exponent > 1023:
            break  # sigma would overflow
        sigma = math.ldexp(1.0, exponent)
        np.add(source, sigma, out=high)
        np.subtract(high, sigma, out=high)  # each value's part at and above sigma's last bit, exactly
        total.add(float(high.sum()))  # exact: multiples of one power of 2, below sigma in all
        np.subtract(source, high, out=rest)  # the remainders, exactly
        source = rest
        largest = max(float(rest.max()), -float(rest.min()))
    for x in source[source != 0].tolist():  # values near overflow: one by one (ExactSum turns to fractions)
        total.add(x)


class VectorSum:
    """Per-component sums with Neumaier's compensation: error ~ eps |sum|, whatever the order."""

    __slots__ = ("high", "low")

    def __init__(self, size: int, high: np.ndarray | None = None, low: np.ndarray | None = None):
        self.high = np.zeros(size) if high is None else np.asarray(high, dtype=np.float64).copy()
        self.low = np.zeros(size) if low is None else np.asarray(low, dtype=np.float64).copy()

    def add(self, x: np.ndarray, at: slice | None = None) -> None:
        """``x`` added to every component, or to the components ``at`` (a run of them) only."""
        x = np.asarray(x, dtype=np.float64)
        where = slice(None) if at is None else at
        high = self.high[where]
        with np.errstate(invalid="ignore", over="ignore"):
            total = high + x
            big = np.abs(high) >= np.abs(x)
            self.low[where] += np.where(big, (high - total) + x, (x - total) + high)
        self.high[where] = total

    def merge(self, other: VectorSum) -> None:
        self.add(other.high)
        with np.errstate(invalid="ignore", over="ignore"):
            self.low += other.low

    @property
    def value(self) -> np.ndarray:
        with np.errstate(invalid="ignore", over="ignore"):
            out = self.high + self.low
        return np.where(np.isfinite(self.high), out, self.high)


# --- the histogram ----------------------------------------------------------------------

STEPS = 256  # buckets per octave: adjacent bucket edges differ by 0.27%


class Sketch:
    """Counts of values in logarithmic buckets (sign, floor(log2|v| * STEPS)): a histogram
    that merges by adding counts. Exact min and max; counts exact per bucket."""

    def __init__(self):
        # Counts in one dense array from bucket key ``base`` on: adding a block's bincount is
        # one vector add. Float64 spans about 2,100 octaves, so it stays under 9 MB however wide.
        self.base = 0
        self.dense = np.zeros(0, dtype=np.int64)
        self.zeros = 0
        self.count = 0
        self.low = math.inf
        self.high = -math.inf

    @property
    def counts(self) -> dict[int, int]:
        """Count of every non-empty bucket, by key."""
        keys = np.flatnonzero(self.dense)
        return dict(zip((keys + self.base).tolist(), self.dense[keys].tolist(), strict=True))

    @counts.setter
    def counts(self, counts: dict[int, int]) -> None:
        self.base, self.dense = 0, np.zeros(0, dtype=np.int64)
        if counts:
            keys = np.fromiter(counts, dtype=np.int64, count=len(counts))
            self._cover(int(keys.min()), int(keys.max()))
            self.dense[keys - self.base] = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))

    def _cover(self, low: int, high: int) -> None:
        """Grow the array to hold keys low..high."""
        if not self.dense.size:
            self.base, self.dense = low, np.zeros(high - low + 1, dtype=np.int64)
            return
        top = self.base + len(self.dense) - 1
        if low >= self.base and high <= top:
            return
        new_low, new_high = min(low, self.base), max(high, top)
        grown = np.zeros(new_high - new_low + 1, dtype=np.int64)
        grown[self.base - new_low : self.base - new_low + len(self.dense)] = self.dense
        self.base, self.dense = new_low, grown

    def _add_counts(self, low: int, counts: np.ndarray) -> None:
        self._cover(low, low + len(counts) - 1)
        self.dense[low - self.base : low - self.base + len(counts)] += counts

    def add(self, values: np.ndarray) -> None:
        v = values[np.isfinite(values)]
        if not v.size:
            return
        self.count += int(v.size)
        self.low, self.high = min(self.low, float(v.min())), max(self.high, float(v.max()))
        zero = v == 0
        self.zeros += int(zero.sum())
        v = v[~zero]
        if not v.size:
            return
        with np.errstate(divide="ignore"):
            keys = np.floor(np.log2(np.abs(v)) * STEPS).astype(np.int64) * 2 + (v < 0)
        low = int(keys.min())
        self._add_counts(low, np.bincount(keys - low))

    def merge(self, other: Sketch) -> None:
        if other.dense.size:
            self._add_counts(other.base, other.dense)
        self.zeros += other.zeros
        self.count += other.count
        self.low, self.high = min(self.low, other.low), max(self.high, other.high)

    def buckets(self) -> list[tuple[float, float, int]]:
        """(low edge, high edge, count) of every non-empty bucket, in increasing order."""
        out = []
        for key, count in self.counts.items():
            step, negative = key >> 1, key & 1
            a, b = 2.0 ** (step / STEPS), 2.0 ** ((step + 1) / STEPS)
            out.append((-b, -a, count) if negative else (a, b, count))
        if self.zeros:
            out.append((0.0, 0.0, self.zeros))
        return sorted(out)

    def bins(self, n_bins: int = 10) -> list[tuple[float, float, int]]:
        """About ``n_bins`` contiguous bins from min to max: buckets grouped at the bucket edges
        nearest to equal steps, so every count is exact and min and max are exact."""
        buckets = self.buckets()
        if not buckets:
            return []
        width = (self.high - self.low) / n_bins
        groups: list[list] = []  # [high edge, count, slot]
        for low, high, count in buckets:
            slot = min(n_bins - 1, max(0, int((low - self.low) / width))) if width > 0 else 0
            if groups and groups[-1][2] == slot:
                groups[-1][0], groups[-1][1] = high, groups[-1][1] + count
            else:
                groups.append([high, count, slot])
        out, low = [], self.low
        for high, count, _ in groups:
            high = min(max(high, low), self.high)
            out.append((low, high, count))
            low = high
        out[-1] = (out[-1][0], self.high, out[-1][2])
        return out

    def to_dict(self) -> dict:
        return {
            "counts": {str(k): v for k, v in self.counts.items()},
            "zeros": self.zeros,
            "count": self.count,
            "low": self.low if self.count else None,
            "high": self.high if self.count else None,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Sketch:
        sketch = cls()
        sketch.counts = {int(k): int(v) for k, v in data["counts"].items()}
        sketch.zeros, sketch.count = int(data["zeros"]), int(data["count"])
        if sketch.count:
            sketch.low, sketch.high = float(data["low"]), float(data["high"])
        return sketch


# --- top K --------------------------------------------------------------------------------


def rank_key(values: np.ndarray) -> np.ndarray:
    """Largest first, NaN counted as the largest (a term that is not a number is the worst)."""
    if not np.isnan(values.sum()):  # no NaN: the values themselves (one sum screens them)
        return values
    return np.where(np.isnan(values), np.inf, values)


def top_rows(values: np.ndarray, k: int, run: int = 64) -> np.ndarray:
    """The indices of the k largest values (NaN the largest; among equal values the first), in
    no order; all when there are k or fewer.

    The k largest lie in runs (of ``run`` values) whose maximum is at least the k-th largest of
    the runs' maxima, so only those runs' values are partitioned: 6x faster than partitioning
    a block's 26,000 values."""
    if k <= 0:
        return np.empty(0, dtype=np.intp)
    if len(values) <= k:
        return np.arange(len(values))
    v = rank_key(values)
    whole = len(v) // run * run
    if whole // run > k:
        maxima = v[:whole].reshape(-1, run).max(axis=1)
        floor = np.partition(maxima, len(maxima) - k)[len(maxima) - k]
        candidates = np.flatnonzero(v >= floor)
    else:
        candidates = np.arange(len(v))
    picked = v[candidates]
    kth = np.partition(picked, len(picked) - k)[len(picked) - k]
    above = candidates[picked > kth]
    return np.concatenate([above, candidates[picked == kth][: k - len(above)]])


class TopK:
    """The k largest values seen, with their keys (sample index, or (sample, output))."""

    def __init__(self, k: int):
        self.k = k
        self.values = np.empty(0)
        self.keys = np.empty((0, 2), dtype=np.int64)

    def add(self, values: np.ndarray, keys: np.ndarray) -> None:
        if not self.k or not len(values):
            return
        if len(values) > self.k:
            pick = np.argpartition(-rank_key(values), self.k - 1)[: self.k]
            values, keys = values[pick], keys[pick]
        self._keep(np.concatenate([self.values, values]), np.concatenate([self.keys, keys]))

    def add_rows(self, values: np.ndarray, start: int, rows: np.ndarray | None = None) -> None:
        """``values[i]`` keyed by sample ``start + i``; ``rows``: the k largest, when known."""
        if not self.k or not len(values):
            return
        if rows is None:
            rows = top_rows(values, self.k)
        self._keep(
            np.concatenate([self.values, values[rows]]),
            np.concatenate([self.keys, np.stack([rows + start, np.zeros_like(rows)], axis=1)]),
        )

    def merge(self, other: TopK) -> None:
        self._keep(np.concatenate([self.values, other.values]), np.concatenate([self.keys, other.keys]))

    def _keep(self, values: np.ndarray, keys: np.ndarray) -> None:
        # largest first; ties by key, so that the order never depends on how rows were split
        order = np.lexsort((*keys.T[::-1], -rank_key(values)))[: self.k]
        self.values, self.keys = values[order], keys[order]


def _hexes(values: np.ndarray) -> list[str]:
    return [float(x).hex() for x in np.asarray(values, dtype=np.float64).ravel()]


def _floats(hexes: list[str]) -> np.ndarray:
    return np.array([float.fromhex(x) for x in hexes], dtype=np.float64)


def vector_to_dict(vector: VectorSum) -> dict:
    """A VectorSum to the last bit (hex floats), for a state file."""
    return {"high": _hexes(vector.high), "low": _hexes(vector.low)}


def vector_from_dict(data: dict) -> VectorSum:
    high, low = _floats(data["high"]), _floats(data["low"])
    return VectorSum(len(high), high, low)


def topk_to_dict(top: TopK) -> dict:
    return {"k": top.k, "values": _hexes(top.values), "keys": top.keys.tolist()}


def topk_from_dict(data: dict) -> TopK:
    top = TopK(int(data["k"]))
    top.values = _floats(data["values"])
    top.keys = np.array(data["keys"], dtype=np.int64).reshape(-1, 2)
    return top
