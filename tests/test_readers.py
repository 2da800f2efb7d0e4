"""Readers: CSV/TSV details, JSON and NPY shapes, stdin sniffing."""

import io

import numpy as np
import pytest

from losscli import InputError
from losscli.io.readers import read_array, read_input


def _csv(text, header=None, fmt="csv"):
    return read_array(io.BytesIO(text.encode()), fmt, "x.csv", header=header).values


@pytest.mark.parametrize(
    "text",
    [
        "1,2\n3,4\n",
        "1,2\n3,4",  # no trailing newline
        "1,2\r\n3,4\r\n",  # CRLF
        "\n1,2\n\n\n3,4\n\n",  # blank lines
        "1,2\n  \n3,4\n",  # a line of spaces
        "\ufeff1,2\n3,4\n",  # byte-order mark
        '"1","2"\n3, 4\n',  # quoted cells, spaces
        "a,b\n1,2\n3,4\n",  # header detected
        '\n\n"p0",p1\r\n1,2\r\n3,4',  # header after blank lines, CRLF
    ],
)
def test_csv_variants_read_the_same(text):
    np.testing.assert_array_equal(_csv(text), [[1.0, 2.0], [3.0, 4.0]])


def test_tsv():
    np.testing.assert_array_equal(_csv("p\tq\n1\t2\n", fmt="tsv"), [[1.0, 2.0]])


def test_one_column_is_n_by_1():
    assert _csv("1\n2\n3\n").shape == (3, 1)


def test_forced_header_skips_a_numeric_first_row():
    np.testing.assert_array_equal(_csv("10,20\n1,2\n", header=True), [[1.0, 2.0]])


def test_forced_no_header_rejects_text():
    with pytest.raises(InputError, match="line 1, column 1: 'a' is not a number"):
        _csv("a,b\n1,2\n", header=False)


def test_number_forms():
    np.testing.assert_array_equal(_csv("+1.,-.5e1,1E2\n"), [[1.0, -5.0, 100.0]])


def test_csv_locates_rows_past_blank_lines():
    data = "p\n\n1\n\n2\n"
    got = read_array(io.BytesIO(data.encode()), "csv", "x.csv", reopen=lambda: io.BytesIO(data.encode()))
    assert got.locate(1, 0) == "line 5, column 1"


@pytest.mark.parametrize("text, shape", [("[1, 2.5, 3]", (3, 1)), ("[[1, 2], [3, 4], [5, 6]]", (3, 2))])
def test_json_shapes(text, shape):
    assert read_array(io.BytesIO(text.encode()), "json", "x.json").values.shape == shape


@pytest.mark.parametrize("dtype", ["int64", "int8", "bool", "float32", "uint16"])
def test_npy_numeric_dtypes_become_float64(dtype):
    buffer = io.BytesIO()
    np.save(buffer, np.ones((2, 3), dtype=dtype))
    values = read_array(io.BytesIO(buffer.getvalue()), "npy", "x.npy").values
    assert values.dtype == np.float64 and values.shape == (2, 3) and values.flags.c_contiguous


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"[1, 2]", [[1.0], [2.0]]),  # JSON list: 2 samples
        (b" \n[[1, 2]]", [[1.0, 2.0]]),  # JSON rows
        (b"1,2\n", [[1.0, 2.0]]),  # CSV
        (b"1\t2\n", [[1.0, 2.0]]),  # TSV
    ],
)
def test_stdin_is_sniffed(data, expected):
    got = read_input("-", stdin=io.BytesIO(data))
    assert got.name == "<stdin>"
    np.testing.assert_array_equal(got.values, expected)


def test_stdin_npy_is_sniffed():
    buffer = io.BytesIO()
    np.save(buffer, np.arange(3.0))
    np.testing.assert_array_equal(read_input("-", stdin=io.BytesIO(buffer.getvalue())).values, [[0], [1], [2]])


def test_large_csv_goes_through_the_fast_path_exactly(tmp_path):
    rng = np.random.default_rng(1)
    a = rng.normal(size=(2000, 3))
    path = tmp_path / "a.csv"
    np.savetxt(path, a, delimiter=",", header="x,y,z", comments="", fmt="%.17g")
    np.testing.assert_array_equal(read_input(str(path)).values, a)
