"""Outputs that list every sample (``--format csv`` at the sample or element level, and
``--format jsonl``), written block by block as the pass goes: a block's lines are built
column-wise from whole arrays (no per-row writer), and held in a spooled temporary file
(memory up to a few MiB, then disk), so memory stays bounded however many samples there
are. The text is the same as the in-memory writers in ``outputs.py`` would give.
"""

from __future__ import annotations

import json
import tempfile

import numpy as np

IN_MEMORY = 1 << 20  # bytes of text held in memory before the spool moves to disk


def _orjson():
    try:
        import orjson
    except ImportError:
        return None
    return orjson


def shortest_text(values: np.ndarray) -> list[str]:
    """Shortest round-trip text of every value: Python's repr, as json and csv write it, the same
    text with or without orjson. orjson (``losscli[fast]``) writes a float array's list about 5x faster
    than repr does, and the same digits, but writes an exponent where
    repr does not and the other way round (0.00001 for repr's 1e-05): the values repr writes with
    an exponent (below 1e-4 or from 1e16 on, with a margin either side) and those not finite are
    written by repr."""
    orjson = _orjson() if values.dtype.kind == "f" and values.size > 64 else None
    if orjson is None:
        return list(map(repr, values.tolist()))
    flat = np.asarray(values, dtype=np.float64).reshape(-1)  # float32 too: repr of the float64
    # a list of floats, not OPT_SERIALIZE_NUMPY: orjson 3.12 and 3.13 corrupt the heap writing some float64
    # arrays that way (331 copies of -3.9685326062766875e-143 abort the process: tests/test_number_text.py)
    out = orjson.dumps(flat.tolist())[1:-1].decode("ascii").split(",")
    size = np.abs(flat)
    with np.errstate(invalid="ignore"):
        by_repr = ~((size >= 1.001e-4) & (size < 0.999e16)) & (size != 0)  # NaN: not >= anything
    for k in np.flatnonzero(by_repr).tolist():
        out[k] = repr(float(flat[k]))
    return out


def csv_cell(text: str) -> str:
    """A cell as the csv module quotes it: in quotes when it holds a comma, a quote or a newline."""
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _json_numbers(values: np.ndarray) -> list[str]:
    """Numbers as strict JSON writes them: null for a value that is not finite."""
    out = shortest_text(values)
    if not np.isfinite(values).all():
        for k in np.flatnonzero(~np.isfinite(values)).tolist():
            out[k] = "null"
    return out


class RowSink:
    """Lines of CSV (``level`` sample or element) or JSON Lines, one block at a time."""

    def __init__(self, fmt: str, level: str, names: list[str], with_ids: bool):
        self.fmt, self.level, self.names, self.with_ids = fmt, level, names, with_ids
        self.file = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY, mode="w+b")  # noqa: SIM115 (closed by close())
        self.rows = 0
        if fmt == "csv":
            values = ["loss"] if len(names) == 1 else names
            middle = ["output"] if level == "element" else []
            self.file.write((",".join(["sample", *(["id"] if with_ids else []), *middle, *values]) + "\n").encode())

    def write(self, start: int, ids, per_sample: list[np.ndarray], terms: list[np.ndarray]) -> None:
        n = len(per_sample[0])
        samples = list(map(str, range(start, start + n)))
        ids = None if ids is None or not self.with_ids else [str(x) for x in ids]
        if self.fmt == "jsonl":
            text = self._jsonl(samples, ids, per_sample)
        elif self.level == "element":
            text = self._elements(samples, ids, terms)
        else:
            columns = [
                samples,
                *([list(map(csv_cell, ids))] if ids is not None else []),
                *map(shortest_text, per_sample),
            ]
            text = "".join(",".join(row) + "\n" for row in zip(*columns, strict=True))
        self.file.write(text.encode("utf-8"))
        self.rows += n

    def _elements(self, samples: list[str], ids, terms: list[np.ndarray]) -> str:
        c = terms[0].shape[1]
        columns = [[s for s in samples for _ in range(c)]]
        if ids is not None:
            columns.append([cell for x in ids for cell in [csv_cell(x)] * c])
        columns.append(list(map(str, range(c))) * len(samples))
        columns += [shortest_text(t.ravel()) for t in terms]
        return "".join(",".join(row) + "\n" for row in zip(*columns, strict=True))

    def _jsonl(self, samples: list[str], ids, per_sample: list[np.ndarray]) -> str:
        keys = [json.dumps(name) for name in self.names]
        columns = [[f'{{"sample": {s}' for s in samples]]
        if ids is not None:
            columns.append([f', "id": {json.dumps(x)}' for x in ids])
        for key, values in zip(keys, per_sample, strict=True):
            columns.append([f", {key}: {v}" for v in _json_numbers(values)])
        return "".join("".join(row) + "}\n" for row in zip(*columns, strict=True))

    def stream(self):
        """The text written, from its start: a binary file to copy out."""
        self.file.flush()
        self.file.seek(0)
        return self.file

    def close(self) -> None:
        self.file.close()
