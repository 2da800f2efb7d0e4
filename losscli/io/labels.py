"""Class labels, as the writer meant them: matched to the predictions' columns by name.

``pd.DataFrame(clf.predict_proba(X), columns=clf.classes_)`` names each column after its
class, in the order of ``clf.classes_``: ``setosa, versicolor, virginica``, or ``3, 5, 7``
for integer classes. A label then means the column of that name, not the column at that
position (label 3 is column 0 there). Labels are matched by name when ``--classes`` names
the columns, or when the predictions have a header and the first labels read are all
among its names; otherwise a label is a 0-based column position.
"""

from __future__ import annotations

import numpy as np

from . import cells


def label_key(value) -> str:
    """A label as text, numbers canonical: "3", "3.0" and "3.000e+00" are all "3"."""
    text = value if isinstance(value, str) else repr(float(value))
    text = text.strip()
    try:
        number = float(text)
    except ValueError:
        return text
    if number != number:
        return "nan"
    return str(int(number)) if number.is_integer() and abs(number) < 2**63 else repr(number)


class UnknownLabel(Exception):
    """A label that names no column; ``index`` is its row in the block."""

    def __init__(self, index: int, label: str, why: str):
        super().__init__(why)
        self.index, self.label, self.why = index, label, why


class ClassLabels:
    """Labels (text or numbers) -> class indices (float; NaN where missing)."""

    def __init__(self, names: tuple[str, ...] | None, classes: list[str] | None, n_classes: int, ignore_index):
        self.n_classes, self.ignore_index = n_classes, ignore_index
        self.given = classes is not None
        self.names = [label_key(c) for c in classes] if classes is not None else None
        if self.names is None and names is not None and list(names) != [str(k) for k in range(len(names))]:
            self.header = [label_key(n) for n in names]
        else:
            self.header = None
        if self.names is not None and len(self.names) != n_classes:
            from ..errors import UsageError

            raise UsageError(f"--classes names {len(self.names)} classes for {n_classes} prediction columns")
        self.by_name: bool | None = True if self.names is not None else None
        self._positions = {name: k for k, name in enumerate(self.names or [])}

    def encode(self, labels: np.ndarray) -> np.ndarray:
        if labels.dtype.kind == "f" and self.by_name is False:
            return labels  # class numbers already; NaN where missing
        unique, inverse = np.unique(
            np.asarray(labels, dtype=object if labels.dtype.kind != "f" else None), return_inverse=True
        )
        keys = [None if _missing(x) else label_key(x) for x in unique.tolist()]
        if self.by_name is None:
            self._decide(keys)
        codes = np.empty(len(keys))
        for k, key in enumerate(keys):
            try:
                codes[k] = self._code(key)
            except UnknownLabel as exc:
                exc.index = int(np.argmax(inverse.reshape(-1) == k))
                raise
        return codes[inverse.reshape(-1)] if len(codes) else np.empty(0)

    def _code(self, key: str | None) -> float:
        if key is None:
            return np.nan
        if self.ignore_index is not None and key == label_key(self.ignore_index):
            return float(self.ignore_index)
        if self.by_name:
            if key not in self._positions:
                shown = ", ".join(self.names[:10])
                why = f"is not one of the classes {shown}; every label must name a column"
                if not self.given:  # decided from the data: say how, and how to decide otherwise
                    why += (
                        " (the first labels read all named prediction columns, so labels are matched by name; "
                        "pass --classes to name the columns in order)"
                    )
                raise UnknownLabel(-1, key, why)
            return float(self._positions[key])
        try:
            return float(key)
        except ValueError:
            raise UnknownLabel(
                -1,
                key,
                "is not a class number, and the predictions' columns have no class names to match it; "
                "name the classes in the columns' order with --classes, or give the predictions a header",
            ) from None

    def _decide(self, keys: list[str | None]) -> None:
        ignore = None if self.ignore_index is None else label_key(self.ignore_index)
        seen = {k for k in keys if k is not None and k != ignore}
        if not seen:
            return  # every label missing or ignored: the next labels decide (a file sorted by label)
        if self.header is not None and seen <= set(self.header):
            self.by_name, self.names = True, self.header
        else:
            self.by_name = False
        self._positions = {name: k for k, name in enumerate(self.names or [])}

    def describe(self) -> str | None:
        if not self.by_name:
            return None
        source = "--classes" if self.given else "the predictions' column names"
        return f"class labels matched by name to {source} ({', '.join(self.names[:8])})"


def _missing(value) -> bool:
    if isinstance(value, str):
        return value.strip() in cells.MISSING
    return value is None or value != value
