""".npy files read through a read-only memory map (issue 12: "a memory map whose pages are
released"), and streams read into arrays: the same values, the same result bits.

Expected values come from ``np.load`` of the same file.
"""

import json

import numpy as np
import pytest

from losscli.io import npy

RNG = np.random.default_rng(7)


def _rows(path, numeric=None, chunk_bytes=4096):
    with open(path, "rb") as stream:
        table = npy.NpyTable(stream, str(path), available=path.stat().st_size, chunk_bytes=chunk_bytes)
        width = table.header.width
        parts = list(table.rows(list(range(width)) if numeric is None else numeric, []))
        return parts, stream.tell(), path.stat().st_size


@pytest.mark.parametrize("dtype", ["<f8", ">f8", "<f4", "<i4", "|u1"])
def test_mapped_rows_are_np_load(tmp_path, dtype):
    values = (RNG.normal(size=(1000, 3)) * 50).astype(dtype)
    path = tmp_path / "a.npy"
    np.save(path, values)
    parts, position, size = _rows(path)
    got = np.concatenate([p.values for p in parts])
    np.testing.assert_array_equal(got, np.load(path).astype(np.float64))
    assert got.dtype == np.float64
    assert [int(p.rows[0]) for p in parts] == list(range(0, 1000, len(parts[0].values)))
    assert position == size  # the file position follows the reading: the progress bar's figure


def test_mapped_rows_pick_columns(tmp_path):
    values = RNG.normal(size=(500, 4))
    path = tmp_path / "a.npy"
    np.save(path, values)
    parts, _, _ = _rows(path, numeric=[3, 1])
    np.testing.assert_array_equal(np.concatenate([p.values for p in parts]), values[:, [3, 1]])


def test_pages_behind_the_reading_are_released(tmp_path, monkeypatch):
    """Past ``LAG`` bytes behind the newest chunk, the map's pages are handed back."""
    monkeypatch.setattr(npy._Map, "LAG", 1 << 16)
    released = []
    original = npy._Map.passed

    def passed(self, done):
        original(self, done)
        released.append(self.released)

    monkeypatch.setattr(npy._Map, "passed", passed)
    values = RNG.normal(size=(40_000, 8))  # 2.5 MiB
    path = tmp_path / "a.npy"
    np.save(path, values)
    parts, _, size = _rows(path, chunk_bytes=1 << 16)
    np.testing.assert_array_equal(np.concatenate([p.values for p in parts]), values)
    import mmap

    if getattr(mmap, "MADV_DONTNEED", None) is None:
        pytest.skip("this platform has no MADV_DONTNEED")
    assert released[-1] >= size - (1 << 16) - mmap.PAGESIZE  # all but the last LAG bytes handed back
    assert released == sorted(released)


def test_a_stream_is_read_not_mapped(tmp_path):
    """stdin is not a regular file: no map, the same values."""
    import io

    values = RNG.normal(size=(300, 2))
    buffer = io.BytesIO()
    np.save(buffer, values)
    buffer.seek(0)
    table = npy.NpyTable(buffer, "<stdin>", chunk_bytes=1024)
    assert npy._mapped(buffer, table.header.nbytes) is None
    got = np.concatenate([p.values for p in table.rows([0, 1], [])])
    np.testing.assert_array_equal(got, values)


def test_file_and_stdin_give_the_same_bits(run, tmp_path, monkeypatch):
    from losscli.io import inputs

    monkeypatch.setattr(inputs, "BLOCK_ELEMENTS", 64 * 3)
    pred, target = RNG.normal(size=(2000, 3)), RNG.normal(size=(2000, 3))
    np.save(tmp_path / "p.npy", pred), np.save(tmp_path / "t.npy", target)
    mapped = run("mse,huber", tmp_path / "p.npy", tmp_path / "t.npy", "--format", "json", "--jobs", "2")
    streamed = run("mse,huber", "-", tmp_path / "t.npy", "--format", "json", input=(tmp_path / "p.npy").read_bytes())
    assert mapped.exit_code == 0 and streamed.exit_code == 0, (mapped.stderr, streamed.stderr)
    a, b = json.loads(mapped.stdout), json.loads(streamed.stdout)
    assert [r["value"] for r in a] == [r["value"] for r in b]
    assert a[0]["value"] == pytest.approx(np.mean((pred - target) ** 2), rel=1e-12)
