""".npy files read a chunk at a time into arrays that are used again once nothing refers to
them, from files and from streams alike: the values ``np.load`` gives, the same result bits,
and a file truncated while it is read is a one-line error.

Expected values come from ``np.load`` of the same file.
"""

import numpy as np
import pytest
from jsonout import loaded

from losscli.io import npy

RNG = np.random.default_rng(7)


def _rows(path, numeric=None, chunk_bytes=4096):
    with open(path, "rb") as stream:
        table = npy.NpyTable(stream, str(path), available=path.stat().st_size, chunk_bytes=chunk_bytes)
        width = table.header.width
        parts = list(table.rows(list(range(width)) if numeric is None else numeric, []))
        return parts, stream.tell(), path.stat().st_size


@pytest.mark.parametrize("dtype", ["<f8", ">f8", "<f4", "<i4", "|u1"])
def test_rows_are_np_load(tmp_path, dtype):
    values = (RNG.normal(size=(1000, 3)) * 50).astype(dtype)
    path = tmp_path / "a.npy"
    np.save(path, values)
    parts, position, size = _rows(path)
    got = np.concatenate([p.values for p in parts])
    np.testing.assert_array_equal(got, np.load(path).astype(np.float64))
    assert got.dtype == np.float64
    assert [int(p.rows[0]) for p in parts] == list(range(0, 1000, len(parts[0].values)))
    assert position == size  # the file position follows the reading: the progress bar's figure


def test_rows_pick_columns(tmp_path):
    values = RNG.normal(size=(500, 4))
    path = tmp_path / "a.npy"
    np.save(path, values)
    parts, _, _ = _rows(path, numeric=[3, 1])
    np.testing.assert_array_equal(np.concatenate([p.values for p in parts]), values[:, [3, 1]])


def test_chunk_arrays_are_reused_only_when_nothing_refers_to_them(tmp_path):
    values = RNG.normal(size=(4000, 4))
    path = tmp_path / "a.npy"
    np.save(path, values)
    with open(path, "rb") as stream:
        table = npy.NpyTable(stream, str(path), available=path.stat().st_size, chunk_bytes=4096)
        rows = table.rows([0, 1, 2, 3], [])
        held = next(rows).values[:5]  # a view of the first chunk, as a kept row would be
        arrays, chunks = set(), 0
        for part in rows:
            arrays.add(id(part.values))
            chunks += 1
            np.testing.assert_array_equal(part.values, values[part.rows])  # checked while it is current
    np.testing.assert_array_equal(held, values[:5])  # never written over while referred to
    assert chunks == 31 and len(arrays) <= 3  # 32 chunks of 128 rows (4 KiB): the free arrays were used again


def test_a_file_truncated_while_it_is_read_is_a_one_line_error(tmp_path):
    """What np.save does to a file another process is reading: it truncates it first."""
    from losscli.errors import InputError

    path = tmp_path / "a.npy"
    np.save(path, RNG.normal(size=(5000, 2)))
    with open(path, "rb") as stream:
        table = npy.NpyTable(stream, str(path), available=path.stat().st_size, chunk_bytes=8192)
        rows = table.rows([0, 1], [])
        next(rows)
        with open(path, "r+b") as other:
            other.truncate(20_000)
        with pytest.raises(InputError, match=r"a\.npy: is truncated: its header claims shape \(5000, 2\)"):
            list(rows)


def test_a_stream_is_read_in_chunks(tmp_path):
    """stdin: the same values."""
    import io

    values = RNG.normal(size=(300, 2))
    buffer = io.BytesIO()
    np.save(buffer, values)
    buffer.seek(0)
    table = npy.NpyTable(buffer, "<stdin>", chunk_bytes=1024)
    got = np.concatenate([p.values for p in table.rows([0, 1], [])])
    np.testing.assert_array_equal(got, values)


def test_file_and_stdin_give_the_same_bits(run, tmp_path, monkeypatch):
    from losscli.io import inputs

    monkeypatch.setattr(inputs, "BLOCK_ELEMENTS", 64 * 3)
    pred, target = RNG.normal(size=(2000, 3)), RNG.normal(size=(2000, 3))
    np.save(tmp_path / "p.npy", pred), np.save(tmp_path / "t.npy", target)
    mapped = run(
        "mse,huber", tmp_path / "p.npy", tmp_path / "t.npy", "--format", "json", "--level", "element", "--jobs", "2"
    )
    streamed = run(
        "mse,huber",
        "-",
        tmp_path / "t.npy",
        "--format",
        "json",
        "--level",
        "element",
        input=(tmp_path / "p.npy").read_bytes(),
    )
    assert mapped.exit_code == 0 and streamed.exit_code == 0, (mapped.stderr, streamed.stderr)
    a, b = loaded(mapped.stdout), loaded(streamed.stdout)
    assert [r["value"] for r in a] == [r["value"] for r in b]
    assert a[0]["value"] == pytest.approx(np.mean((pred - target) ** 2), rel=1e-12)


def test_an_npy_from_a_fifo_is_read_not_refused_as_empty(run, tmp_path):
    """A FIFO's st_size is 0, not its length: it is read as a stream (a pipe named .npy)."""
    import os
    import threading

    pred, target = RNG.normal(size=(50, 2)), RNG.normal(size=(50, 2))
    np.save(tmp_path / "t.npy", target)
    np.save(tmp_path / "p_data.npy", pred)
    fifo = tmp_path / "p.npy"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes((tmp_path / "p_data.npy").read_bytes()))
    writer.start()
    out = run("mse", fifo, tmp_path / "t.npy", "--format", "value")
    writer.join(timeout=10)
    assert out.exit_code == 0, out.stderr
    assert float(out.stdout) == pytest.approx(np.mean((pred - target) ** 2), rel=1e-12)


def test_ids_from_an_npy_column_are_whole_numbers_as_written(run, tmp_path):
    """--id-col of an .npy array: the id 100 (saved as float64) is '100', as an int column writes it."""
    values = np.c_[RNG.normal(size=(3, 4)), [100.0, 101.0, 102.5]]
    np.save(tmp_path / "one.npy", values)
    out = run("mse", tmp_path / "one.npy", "--pred-col", "0,1", "--target-col", "2,3", "--id-col", "4", "-f", "csv")
    assert out.exit_code == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "sample,id,loss" and [line.split(",")[1] for line in lines[1:]] == ["100", "101", "102.5"]


def test_an_npz_of_a_newer_zip_version_is_a_one_line_error(run, tmp_path):
    """zipfile raises NotImplementedError for a central directory that needs zip version 24.3
    (found by the long fuzz run): an input error like any other damaged archive."""
    path = tmp_path / "a.npz"
    np.savez(path, p=RNG.normal(size=(4, 2)))
    data = bytearray(path.read_bytes())
    entry = data.rindex(b"PK\x01\x02")  # the central directory's record of the member
    data[entry + 6 : entry + 8] = (243).to_bytes(2, "little")  # "version needed to extract": 24.3
    path.write_bytes(bytes(data))
    out = run("mse", f"{path}:p", f"{path}:p")
    assert out.exit_code == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1
    assert "a.npz: is not a valid .npz archive (zip file version 24.3)" in out.stderr
