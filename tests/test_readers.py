"""Readers: CSV/TSV details, JSON and NPY shapes, stdin sniffing, and the same numbers
from every parser (pyarrow's, NumPy's and the careful one)."""

import io

import numpy as np
import pytest

from losscli import InputError, read_array
from losscli.io import text as text_reader
from losscli.io.table import concat_rows


@pytest.fixture(params=["pyarrow", "numpy"])
def parser(request, monkeypatch):
    """Run the test with pyarrow's CSV parser, and again with NumPy's (as without the extra)."""
    if request.param == "numpy":
        monkeypatch.setattr(text_reader, "_PYARROW", [None])
    else:
        monkeypatch.setattr(text_reader, "PYARROW_FROM", 0)  # every chunk to pyarrow, however small
    return request.param


def _table(data: str, header=None, fmt="csv", chunk_bytes=text_reader.CHUNK_BYTES):
    return text_reader.TextTable(io.BytesIO(data.encode()), "x.csv", fmt, header, chunk_bytes=chunk_bytes)


def _csv(data, header=None, fmt="csv", chunk_bytes=text_reader.CHUNK_BYTES):
    table = _table(data, header, fmt, chunk_bytes)
    columns = [k for k in range(len(table.layout.names)) if k not in table.layout.index]
    return concat_rows(list(table.rows(columns, []))).values


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
        "1 2\n3 4\n",  # np.savetxt's spaces
        "1;2\n3;4\n",  # semicolons
        "  1   2\n  3   4\n",  # aligned columns
    ],
)
def test_csv_variants_read_the_same(parser, text):
    np.testing.assert_array_equal(_csv(text), [[1.0, 2.0], [3.0, 4.0]])


def test_tsv(parser):
    np.testing.assert_array_equal(_csv("p\tq\n1\t2\n", fmt="tsv"), [[1.0, 2.0]])


def test_one_column_is_n_by_1(parser):
    assert _csv("1\n2\n3\n").shape == (3, 1)


def test_forced_header_skips_a_numeric_first_row(parser):
    np.testing.assert_array_equal(_csv("10,20\n1,2\n", header=True), [[1.0, 2.0]])


def test_forced_no_header_rejects_text(parser):
    with pytest.raises(InputError, match="line 1, column 1: 'a' is not a number"):
        _csv("a,b\n1,2\n", header=False)


def test_number_forms(parser):
    np.testing.assert_array_equal(_csv("+1.,-.5e1,1E2\n"), [[1.0, -5.0, 100.0]])


def test_rows_past_blank_lines_know_their_lines(parser):
    table = _table("p\n\n1\n\n2\n")
    rows = concat_rows(list(table.rows([0], [])))
    assert rows.lines.tolist() == [3, 5]
    assert table.where(1, 5, 0) == "line 5, column 1"


def test_chunks_split_anywhere_read_the_same(parser):
    rng = np.random.default_rng(3)
    a = np.round(rng.normal(size=(500, 3)), 6)
    text = "x,y,z\n" + "\n".join(",".join(repr(float(v)) for v in row) for row in a) + "\n"
    for chunk in (7, 64, 1000, 1 << 20):
        np.testing.assert_array_equal(_csv(text, chunk_bytes=chunk), a)


@pytest.mark.parametrize("text, shape", [("[1, 2.5, 3]", (3, 1)), ("[[1, 2], [3, 4], [5, 6]]", (3, 2))])
def test_json_shapes(tmp_path, text, shape):
    path = tmp_path / "x.json"
    path.write_text(text)
    assert read_array(str(path)).shape == shape


@pytest.mark.parametrize("dtype", ["int64", "int8", "bool", "float32", "uint16"])
def test_npy_numeric_dtypes_become_float64(tmp_path, dtype):
    np.save(tmp_path / "x.npy", np.ones((2, 3), dtype=dtype))
    values = read_array(str(tmp_path / "x.npy"))
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
    np.testing.assert_array_equal(read_array("-", stdin=io.BytesIO(data)), expected)


def test_stdin_npy_is_sniffed():
    buffer = io.BytesIO()
    np.save(buffer, np.arange(3.0))
    np.testing.assert_array_equal(read_array("-", stdin=io.BytesIO(buffer.getvalue())), [[0], [1], [2]])


def test_large_csv_reads_exactly(parser, tmp_path):
    rng = np.random.default_rng(1)
    a = rng.normal(size=(2000, 3))
    path = tmp_path / "a.csv"
    np.savetxt(path, a, delimiter=",", header="x,y,z", comments="", fmt="%.17g")
    np.testing.assert_array_equal(read_array(str(path)), a)


def test_a_file_read_in_place_gives_its_lines_and_rows(parser, tmp_path):
    """A file is read into its chunk's buffer (not through a copy): blank lines, a line of spaces and CRLF
    across chunk boundaries give the same rows and lines, and a bad cell after them names its line."""
    rng = np.random.default_rng(25)
    a = np.round(rng.normal(size=(300, 3)), 6)
    lines = [",".join(repr(float(v)) for v in row) for row in a]
    lines[100:100] = ["", "   "]  # lines 101 and 102
    path = tmp_path / "x.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    for chunk in (64, 1000, 1 << 20):
        with open(path, "rb") as stream:
            table = text_reader.TextTable(stream, "x.csv", "csv", None, chunk_bytes=chunk)
            rows = concat_rows(list(table.rows([0, 1, 2], [])))
        np.testing.assert_array_equal(rows.values, a)
        assert rows.lines.tolist() == [*range(1, 101), *range(103, 303)]
    lines[250] = "1,x,3"
    path.write_bytes(("\n".join(lines) + "\n").encode())
    with open(path, "rb") as stream:
        table = text_reader.TextTable(stream, "x.csv", "csv", None, chunk_bytes=1000)
        with pytest.raises(InputError, match="line 251, column 2: 'x' is not a number"):
            list(table.rows([0, 1, 2], []))


def test_a_row_of_missing_cells_is_a_row_and_an_empty_line_is_not(parser):
    """pyarrow reads both as a row of nulls; the careful parser tells them apart: ',' is two missing cells
    (a sample, NaN, which the run then refuses or drops), an empty line is no sample."""
    values = _csv("1,2\n,\n\n3,4\n")
    assert values.shape == (3, 2) and np.isnan(values[1]).all()
    np.testing.assert_array_equal(values[[0, 2]], [[1.0, 2.0], [3.0, 4.0]])
