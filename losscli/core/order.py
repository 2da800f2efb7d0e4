"""The state of a loss whose value is no mean of its terms: an order statistic over the samples (a
maximum, a median) or calibration bins. Each adds a block's values and merges with the state of the
blocks after it; ``LossState`` holds one beside its sums (core/state.py), and finish.py reads its value.

- ``Maxima``: each output's largest term; merges exactly (NaN, once seen, stays).
- ``Held``: every term, for a median, in memory (8 bytes an element); never written to a state file.
- ``Bins``: calibration bins of the predicted probability, each bin's count and sums of probability and
  of outcome, all exact: they merge to the bits of one pass and are written.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .losses import _sigmoid as sigmoid
from .sums import ExactSum, add_exactly


class Maxima:
    """Each output's largest term so far."""

    kind = "max"

    def __init__(self, width: int, options: Mapping | None = None):
        self.values = np.full(width, -np.inf)

    def empty(self) -> Maxima:
        return Maxima(len(self.values))

    def add(self, terms: np.ndarray, pred: np.ndarray, targets: np.ndarray) -> None:
        if len(terms):
            np.maximum(self.values, terms.max(axis=0), out=self.values)

    def merge(self, other: Maxima) -> None:
        np.maximum(self.values, other.values, out=self.values)

    def per_output(self) -> np.ndarray:
        return self.values.copy()

    def permute(self, order: np.ndarray) -> None:
        self.values = self.values[order]

    def to_dict(self) -> dict:
        return {"kind": self.kind, "values": [float(x).hex() for x in self.values]}

    @classmethod
    def from_dict(cls, data: dict) -> Maxima:
        out = cls(len(data["values"]))
        out.values = np.array([float.fromhex(x) for x in data["values"]])
        return out


class Held:
    """Every term, for a median: it needs its values, not sums."""

    kind = "median"

    def __init__(self, width: int, options: Mapping | None = None):
        self.blocks: list[np.ndarray] = []
        self.width = width

    def empty(self) -> Held:
        return Held(self.width)

    def add(self, terms: np.ndarray, pred: np.ndarray, targets: np.ndarray) -> None:
        self.blocks.append(np.array(terms, dtype=np.float64))

    def merge(self, other: Held) -> None:
        self.blocks.extend(other.blocks)  # of the rows after these: a median does not mind their order

    def per_output(self) -> np.ndarray:
        if not self.blocks:
            return np.full(self.width, np.nan)
        return np.median(np.concatenate(self.blocks), axis=0)

    def permute(self, order: np.ndarray) -> None:
        self.blocks = [block[:, order] for block in self.blocks]

    def to_dict(self) -> dict:
        raise ValueError("a median's state holds its values; it is not written (engine/plan.py refuses first)")


def bin_edges(bins: int) -> np.ndarray:
    """k / B, each correctly rounded. torchmetrics' edges are torch.linspace(0, 1, B + 1), whose last bits
    depend on the CPU's vector width: a probability within an ulp of an edge may fall in the next bin
    there. Edges that are exact (B a power of 2, or k / B exact) agree everywhere."""
    return np.arange(bins + 1, dtype=np.float64) / bins


class Bins:
    """Calibration bins, torchmetrics' binning: a probability c is in the bin of the last edge <= c, so
    c = 1 has a bin of its own (B + 1 slots)."""

    kind = "bins"

    def __init__(self, width: int, options: Mapping):
        self.bins = int(options["bins"])
        self.from_logits = bool(options.get("from_logits"))
        self.norm = str(options.get("norm", "l1"))
        self.edges = bin_edges(self.bins)
        self.counts = np.zeros(self.bins + 1)
        self.accuracy = np.zeros(self.bins + 1)  # sums of 0s and 1s: exact below 2^53
        # sums of probabilities kept exactly: shards and blocks of any size give the same bits
        self.exact_confidence = [ExactSum() for _ in range(self.bins + 1)]

    def empty(self) -> Bins:
        return Bins(1, self.options())

    def options(self) -> dict:
        return {"bins": self.bins, "from_logits": self.from_logits, "norm": self.norm}

    def add(self, terms: np.ndarray, pred: np.ndarray, targets: np.ndarray) -> None:
        confidence = pred[:, 0]
        if self.from_logits:
            confidence = sigmoid(confidence)
        index = np.searchsorted(self.edges, confidence, side="right") - 1
        size = self.bins + 1
        self.counts += np.bincount(index, minlength=size)
        self.accuracy += np.bincount(index, weights=targets[:, 0], minlength=size)
        ordered = np.sort(confidence)  # each bin's probabilities side by side
        starts = np.searchsorted(ordered, self.edges, side="left")
        for b, (start, stop) in enumerate(zip(starts, [*starts[1:], len(ordered)], strict=True)):
            if stop > start:
                add_exactly(self.exact_confidence[b], ordered[start:stop])

    def merge(self, other: Bins) -> None:
        self.counts += other.counts
        self.accuracy += other.accuracy
        for mine, theirs in zip(self.exact_confidence, other.exact_confidence, strict=True):
            mine.merge(theirs)

    @property
    def confidence(self) -> np.ndarray:
        return np.array([total.value for total in self.exact_confidence])

    def gaps(self) -> tuple[np.ndarray, np.ndarray]:
        """Each bin's share of the samples and |mean outcome - mean probability| (0 for an empty bin)."""
        filled = self.counts > 0
        count = np.where(filled, self.counts, 1.0)
        # an empty bin's gap is 0 (torchmetrics' nan_to_num of 0 / 0); a NaN probability stays NaN
        accuracy = np.where(filled, self.accuracy / count, 0.0)
        confidence = np.where(filled, self.confidence / count, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = self.counts / self.counts.sum()
        return share, accuracy - confidence

    def value(self) -> float:
        """torchmetrics' _ce_compute: l1 the share-weighted mean gap, l2 its root mean square, max the
        largest."""
        share, gap = self.gaps()
        if self.norm == "l1":
            return float(np.sum(np.abs(gap) * share))
        if self.norm == "max":
            return float(np.max(np.abs(gap)))
        squares = float(np.sum(gap * gap * share))
        return float(np.sqrt(squares)) if squares != 0 else 0.0  # NaN stays NaN; torchmetrics' 0 at 0

    def table(self) -> list[dict[str, float | None]]:
        """Each bin as JSON shows it: its edges, n, mean probability and mean outcome (null when empty);
        the last is the slot of p = 1."""
        with np.errstate(invalid="ignore", divide="ignore"):
            confidence, accuracy = self.confidence / self.counts, self.accuracy / self.counts
        lower = [*self.edges[:-1], 1.0]
        upper = [*self.edges[1:], 1.0]
        return [
            {
                "lower": float(lower[b]),
                "upper": float(upper[b]),
                "n": int(self.counts[b]),
                "mean_p": float(confidence[b]) if self.counts[b] else None,
                "mean_t": float(accuracy[b]) if self.counts[b] else None,
            }
            for b in range(self.bins + 1)
        ]

    def per_output(self) -> np.ndarray:  # one output
        return np.array([self.value()])

    def permute(self, order: np.ndarray) -> None:  # one output: nothing to move
        return None

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            **self.options(),
            **{name: [float(x).hex() for x in getattr(self, name)] for name in ("counts", "accuracy")},
            "confidence": [total.to_dict() for total in self.exact_confidence],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Bins:
        if data.get("norm") not in ("l1", "l2", "max"):
            raise ValueError(f"calibration bins: norm {data.get('norm')!r} is none of l1, l2, max")
        out = cls(1, {"bins": int(data["bins"]), "from_logits": bool(data["from_logits"]), "norm": data["norm"]})
        for name in ("counts", "accuracy", "confidence"):
            if len(data[name]) != out.bins + 1:
                raise ValueError(f"calibration bins: {name} holds {len(data[name])} values, not {out.bins + 1}")
        out.counts = np.array([float.fromhex(x) for x in data["counts"]])
        out.accuracy = np.array([float.fromhex(x) for x in data["accuracy"]])
        out.exact_confidence = [ExactSum.from_dict(total) for total in data["confidence"]]
        return out


OrderStatistic = Maxima | Held | Bins
KINDS: dict[str, type[Maxima] | type[Held] | type[Bins]] = {"max": Maxima, "median": Held, "bins": Bins}


def order_statistic_of(kind: str, width: int, options: Mapping) -> OrderStatistic | None:
    return KINDS[kind](width, options) if kind else None


def order_statistic_from_dict(data: dict | None) -> OrderStatistic | None:
    if data is None:
        return None
    kind = KINDS.get(data.get("kind", ""))
    if kind is None or kind is Held:
        raise ValueError(f"unknown order statistic {data.get('kind')!r}")
    return kind.from_dict(data)  # type: ignore[union-attr]
