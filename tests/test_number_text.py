"""The text of a number in CSV and JSON Lines is Python's repr, with or without orjson.

``report.rows.shortest_text`` lets orjson (``losscli[fast]``) write the bulk of an array and repr
write the values whose spelling differs (an exponent); the text must be repr's exactly, bit
pattern by bit pattern, so that an output does not depend on what is installed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from losscli.report import rows

orjson = pytest.importorskip("orjson")


def _repr_text(values: np.ndarray) -> list[str]:
    return list(map(repr, np.asarray(values, dtype=np.float64).reshape(-1).tolist()))


def test_every_kind_of_double_is_written_as_repr_writes_it():
    rng = np.random.default_rng(20261204)
    bits = rng.integers(0, 2**64, 200_000, dtype=np.uint64).view(np.float64)  # every exponent, NaN and inf too
    edges = np.concatenate([10.0 ** np.arange(-320, 309), 2.0 ** np.arange(-1074, 1024)])
    near = np.concatenate([np.nextafter(edges, 0), np.nextafter(edges, np.inf)])  # either side of 1e-4, 1e16
    special = np.array([0.0, -0.0, np.nan, np.inf, -np.inf, 5e-324, 1.7976931348623157e308, 1e-5, 9.999e-5])
    for values in (bits, edges, -edges, near, -near, special, rng.random(100_000) * 1e-4):
        assert rows.shortest_text(values) == _repr_text(values)


def test_float32_values_are_written_as_the_float64_they_are_read_as():
    values = np.random.default_rng(1).random(1000).astype(np.float32)  # what a model's .npy holds
    assert rows.shortest_text(values) == _repr_text(values)


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float64, st.integers(65, 400), elements=st.floats(allow_nan=True, allow_infinity=True)))
def test_shortest_text_is_repr(values):
    assert rows.shortest_text(values) == _repr_text(values)


def test_without_orjson_it_is_repr(monkeypatch):
    monkeypatch.setattr(rows, "_orjson", lambda: None)
    values = np.array([1e-5, 0.1, 1e16, np.nan] * 100)
    assert rows.shortest_text(values) == _repr_text(values)


def test_the_arrays_orjson_corrupts_the_heap_on_are_written_safely():
    """orjson 3.12 and 3.13 abort the process ("double free or corruption") writing 331 copies of this
    24-character float64 through OPT_SERIALIZE_NUMPY (found by test_shortest_text_is_repr; 3.11.9 does not).
    losscli hands orjson lists: the CSV, JSON Lines and JSON writers all go through these two functions. In a
    child process, so that a corrupted heap fails this test instead of killing the suite."""
    import subprocess
    import sys

    script = (
        "import numpy as np\n"
        "from losscli.report import outputs, rows\n"
        "v = np.full(331, -3.9685326062766875e-143)\n"
        "for _ in range(50):\n"
        "    assert rows.shortest_text(v) == [repr(-3.9685326062766875e-143)] * 331\n"
        "    assert outputs.dumps_bytes({'per_sample': v, 'two': v.reshape(-1, 1)}).count(b'e-143') == 662\n"
        "print('written')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout == "written\n", (done.returncode, done.stderr[-500:])
