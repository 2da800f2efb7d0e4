"""Hinge targets as -1/1 when the input is read a block at a time.

Both maps are a property of every target at once. Keras turns targets that are all 0 or 1
into 2 t - 1 and keeps targets that are all -1 or 1; scikit-learn (LabelBinarizer) makes the
greater of the two labels +1, and a lone label -1. A block alone cannot tell: a block of
only 1s is +1 for scikit-learn when 0 is elsewhere in the file and -1 when it is not; blocks
of 0/1 and of -1/1 are each fine for Keras, but not in one file. Reading in one pass, losscli
follows the labels seen so far: each block gets scikit-learn's +1 label when two labels are
known, and a lone label is taken as the lesser (-1, as scikit-learn makes a lone label). A
later block that shows an earlier map was wrong (a smaller label after blocks of one label
only, a third label, 0 and -1 in one input) stops the run with the row that showed it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

HINGE_MAPS = ("keras", "sklearn", "as_given")
# scikit-learn's pos_label of one probability column (brier_score_loss): 1 of labels within {-1, 0, 1},
# else the greater of two, as the sklearn map
LABEL_MAPS = (*HINGE_MAPS, "sklearn_pos")
GREATER_POSITIVE = ("sklearn", "sklearn_pos")  # the maps that take scikit-learn's +1 label from the data


class LabelSigns:
    """The distinct targets seen (the first few, each with where it first is), and the
    labels that blocks were computed with alone (as scikit-learn's lesser label)."""

    def __init__(self):
        self.first: dict[float, str] = {}
        self.lone: set[float] = set()

    def see(self, targets: np.ndarray, where: Callable[[int, int], str]) -> float | None:
        """Note a block's targets (no NaN); scikit-learn's +1 label for it, None while one is known."""
        values = np.unique(targets)
        for value in values[:4].tolist():
            if value not in self.first and len(self.first) < 3:
                i, j = np.argwhere(targets.reshape(len(targets), -1) == value)[0]
                self.first[value] = where(int(i), int(j))
        if len(self.first) == 1:
            self.lone.add(next(iter(self.first)))
            return None
        return max(self.first)

    def merge(self, other: LabelSigns) -> None:
        """A later shard's labels (computed apart) added in."""
        for value, where in other.first.items():
            if value not in self.first and len(self.first) < 3:
                self.first[value] = where
        self.lone |= other.lone

    def problem(self, label_map: str | None) -> str | None:
        """Why the maps given to the blocks are not the whole input's, for this map (None: a loss
        with no map); None when they are."""
        labels = sorted(self.first)
        if label_map in ("keras", "as_given") and 0.0 in self.first and -1.0 in self.first:
            later = max((0.0, -1.0), key=lambda v: list(self.first).index(v))
            earlier = -1.0 if later == 0.0 else 0.0
            encoding = "{-1, 1}" if earlier == -1.0 else "{0, 1}"
            return (
                f"{self.first[later]}: {later!r} is not a label in {encoding}; hinge needs targets all in {{-1, 1}} "
                f"or all in {{0, 1}} ({earlier!r} is at {self.first[earlier]})"
            )
        if label_map == "sklearn_pos" and set(labels) <= {-1.0, 0.0, 1.0}:
            return None  # 1 is the positive label whatever the blocks saw
        if label_map not in GREATER_POSITIVE or len(labels) < 2:
            return None
        if len(labels) > 2:
            third = list(self.first)[-1]
            a, b = sorted(v for v in self.first if v != third)
            return (
                f"{self.first[third]}: target {third!r} is a third label after {a!r} and {b!r}; scikit-learn's "
                f"hinge_loss takes two labels with one decision per sample (its multiclass form takes a column of "
                f"decisions per class)"
            )
        smaller, greater = labels
        if greater in self.lone:
            return (
                f"{self.first[smaller]}: label {smaller!r} after rows that held only {greater!r}; scikit-learn makes "
                f"the greater label +1, and losscli, reading once, took the lone label {greater!r} as the lesser (-1) "
                f"for those rows: put a row of the smaller label first (or shuffle the rows)"
            )
        return None

    def to_dict(self) -> dict:
        return {"first": [[value, where] for value, where in self.first.items()], "lone": sorted(self.lone)}

    @classmethod
    def from_dict(cls, data: dict) -> LabelSigns:
        out = cls()
        out.first = {float(value): str(where) for value, where in data["first"]}
        out.lone = {float(value) for value in data["lone"]}
        return out


def label_map_of(options: dict) -> str | None:
    """The hinge label map a loss's options ask for, when the map depends on the data."""
    value = options.get("label_map")
    return value if isinstance(value, str) and value in LABEL_MAPS else None
