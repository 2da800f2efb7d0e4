"""N-D array inputs (losscli.io.tensors, issue 20): files written the way people write them
(np.save of model outputs of rank 1 to 5, np.savez, json.dumps(a.tolist()), safetensors'
save_file), read a block of samples at a time.

Expected values are the arrays that were written (np.load of the same file where NumPy reads it),
as float64; bfloat16's expected values are the float32 numbers whose upper halves were stored.
Hostile files are each refused with one InputError that names the file, what was found and what
to do. The safetensors tests use the library (the test group installs it) and skip without it.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import os
import struct
import subprocess
import sys
import threading
import zipfile

import numpy as np
import pytest

from losscli.errors import InputError
from losscli.io.tensors import open_tensor

RNG = np.random.default_rng(20)
SHAPES = [(7,), (7, 3), (7, 5, 4), (7, 2, 3, 4), (7, 2, 3, 2, 2)]  # rank 1 to 5: outputs, tokens, images


def _read_all(spec, sizes=(1, 3, 2), role="predictions", **kwargs) -> np.ndarray:
    """Every sample, read in blocks of the given sizes in turn (and the rest)."""
    with open_tensor(str(spec), role=role, **kwargs) as tensor:
        parts, start, k = [], 0, 0
        while start < tensor.samples:
            stop = min(tensor.samples, start + sizes[k % len(sizes)])
            block = tensor.block(start, stop)
            assert block.shape == (stop - start, *tensor.shape[1:])
            assert block.flags.c_contiguous
            parts.append(block)
            start, k = stop, k + 1
        return np.concatenate(parts) if parts else tensor.block(0, 0)


def _refused(spec, *fragments, role="predictions", **kwargs) -> str:
    with pytest.raises(InputError) as caught, open_tensor(str(spec), role=role, **kwargs) as tensor:
        tensor.block(0, tensor.samples)
    message = str(caught.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message
    return message


def _outputs(shape, dtype) -> np.ndarray:
    values = RNG.normal(size=shape) * 4
    return (values > 0) if dtype == "bool" else values.astype(dtype)


# --- .npy ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"rank{len(s)}")
@pytest.mark.parametrize("dtype", ["<f4", "<f8", ">f8", "<f2", "<i4", "|u1", "bool"])
def test_npy_of_any_rank_is_np_load(tmp_path, shape, dtype):
    path = tmp_path / "outputs.npy"
    np.save(path, _outputs(shape, dtype))
    got = _read_all(path)
    np.testing.assert_array_equal(got, np.load(path).astype(np.float64))
    assert got.dtype == np.float64
    with open_tensor(str(path), role="predictions") as tensor:
        assert tensor.shape == shape and tensor.dtype == np.dtype(dtype).name and tensor.name == str(path)


def test_npy_blocks_in_any_order(tmp_path):
    values = _outputs((9, 4, 3), "<f4")
    np.save(tmp_path / "a.npy", values)
    with open_tensor(str(tmp_path / "a.npy"), role="predictions") as tensor:
        for start, stop in [(5, 9), (0, 2), (2, 5), (4, 4), (0, 9)]:
            np.testing.assert_array_equal(tensor.block(start, stop), values[start:stop].astype(np.float64))
        with pytest.raises(ValueError):
            tensor.block(3, 10)  # past the end: a caller's mistake, not the input's


def test_fortran_ordered_npy(tmp_path):
    """np.save of a transposed array writes column-major; its samples are read right all the same."""
    values = _outputs((4, 3, 6), "<f8").transpose(2, 1, 0)  # (6, 3, 4), F-contiguous
    np.save(tmp_path / "t.npy", values)
    with open(tmp_path / "t.npy", "rb") as stream:
        np.lib.format.read_magic(stream)
        assert np.lib.format.read_array_header_1_0(stream)[1]  # fortran_order
    np.testing.assert_array_equal(_read_all(tmp_path / "t.npy"), values)


def test_npy_gz_forward_and_back(tmp_path):
    values = _outputs((8, 3, 5), "<f4")
    with gzip.open(tmp_path / "a.npy.gz", "wb") as stream:
        np.save(stream, values)
    np.testing.assert_array_equal(_read_all(tmp_path / "a.npy.gz"), values.astype(np.float64))
    with open_tensor(str(tmp_path / "a.npy.gz"), role="predictions") as tensor:
        np.testing.assert_array_equal(tensor.block(6, 8), values[6:8])  # skips forward
        np.testing.assert_array_equal(tensor.block(1, 3), values[1:3])  # opens it again


def test_npy_from_standard_input_is_read_once(tmp_path):
    values = _outputs((6, 2, 3), "<f8")
    buffer = io.BytesIO()
    np.save(buffer, values)
    np.testing.assert_array_equal(_read_all("-", stdin=io.BytesIO(buffer.getvalue())), values)
    with open_tensor("-", role="predictions", stdin=io.BytesIO(buffer.getvalue())) as tensor:
        tensor.block(2, 4)
        with pytest.raises(InputError, match=r"<stdin>: samples from 0 are asked for again.*give the array as a file"):
            tensor.block(0, 2)


def test_non_finite_values_are_left_as_they_are(tmp_path):
    values = np.array([[[np.nan, np.inf], [-np.inf, 1.5]]] * 3)
    np.save(tmp_path / "a.npy", values)
    (tmp_path / "a.json").write_text(json.dumps(values.tolist()))  # Python writes NaN, Infinity
    for name in ("a.npy", "a.json"):
        np.testing.assert_array_equal(_read_all(tmp_path / name), values)  # NaN equal to NaN here


def test_an_empty_batch_opens(tmp_path):
    """N = 0 is no error here: what an empty batch gives is the engine's (--empty)."""
    np.save(tmp_path / "e.npy", np.zeros((0, 5, 3), dtype=np.float32))
    np.savez(tmp_path / "e.npz", e=np.zeros((0, 5), dtype=np.int64))
    (tmp_path / "e.json").write_text("[]")
    for name, shape in (("e.npy", (0, 5, 3)), ("e.npz", (0, 5)), ("e.json", (0,))):
        with open_tensor(str(tmp_path / name), role="labels") as tensor:
            assert tensor.samples == 0 and tensor.shape == shape
            assert tensor.block(0, 0).shape == shape


def test_labels_stay_integers_and_outputs_become_float64(tmp_path):
    labels = RNG.integers(-100, 50, size=(5, 7)).astype(np.int16)
    np.save(tmp_path / "y.npy", labels)
    got = _read_all(tmp_path / "y.npy", role="labels")
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, labels)
    np.save(tmp_path / "m.npy", np.array([[True, False], [False, True]]))
    assert _read_all(tmp_path / "m.npy", role="mask").tolist() == [[1, 0], [0, 1]]
    assert _read_all(tmp_path / "y.npy", role="targets").dtype == np.float64


def test_integers_beyond_exact_are_refused_where_they_are(tmp_path):
    values = np.zeros((3, 2, 2), dtype=np.int64)
    values[2, 1, 0] = 2**53 + 1  # float64 would read 2^53
    np.save(tmp_path / "p.npy", values)
    _refused(tmp_path / "p.npy", "p.npy: index [2, 1, 0]: 9007199254740993", "float64", "astype")
    assert _read_all(tmp_path / "p.npy", role="labels")[2, 1, 0] == 2**53 + 1  # exact as int64
    big = np.array([[1, 2**63 + 5]], dtype=np.uint64)
    np.save(tmp_path / "u.npy", big)
    _refused(tmp_path / "u.npy", "u.npy: index [0, 1]: 9223372036854775813", "int64", role="labels")


# --- hostile .npy -----------------------------------------------------------------------------------


def test_truncated_npy_is_refused_before_reading(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((100, 4, 4)))
    data = (tmp_path / "a.npy").read_bytes()
    (tmp_path / "a.npy").write_bytes(data[: len(data) - 1000])
    with pytest.raises(InputError, match=r"a\.npy: is truncated: its header claims shape \(100, 4, 4\)"):
        open_tensor(str(tmp_path / "a.npy"), role="predictions")


def test_npy_truncated_while_open_says_where_it_ended(tmp_path):
    np.save(tmp_path / "a.npy", np.ones((100, 8)))
    with open_tensor(str(tmp_path / "a.npy"), role="predictions") as tensor:
        os.truncate(tmp_path / "a.npy", 128 + 10 * 64)  # the header and 10 samples left
        np.testing.assert_array_equal(tensor.block(0, 10), np.ones((10, 8)))
        with pytest.raises(InputError, match=r"a\.npy: is truncated.*ends after about 10 samples"):
            tensor.block(5, 20)


def test_truncated_npy_gz_is_refused(tmp_path):
    buffer = io.BytesIO()
    np.save(buffer, np.ones((50, 3, 3)))
    (tmp_path / "a.npy.gz").write_bytes(gzip.compress(buffer.getvalue()[:-200]))  # a valid gzip, short data
    _refused(tmp_path / "a.npy.gz", "a.npy.gz: is truncated", "ends after about 47 samples")


@pytest.mark.parametrize(
    ("values", "found"),
    [
        (np.float64(3.0), "0-d array"),
        (np.zeros((2, 2), dtype=complex), "complex128, not real numbers"),
        (np.array([["a"]]), "<U1, not real numbers"),
        (np.array([[1, None]], dtype=object), "pickled Python objects"),
    ],
    ids=["0-d", "complex", "strings", "objects"],
)
def test_npy_of_what_is_not_samples_of_numbers(tmp_path, values, found):
    np.save(tmp_path / "x.npy", values, allow_pickle=True)
    _refused(tmp_path / "x.npy", "x.npy: ", found)


# --- .npz ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("save", [np.savez, np.savez_compressed])
def test_npz_arrays_by_key(tmp_path, save):
    logits, labels = _outputs((6, 4, 10), "<f4"), RNG.integers(0, 10, size=(6, 4))
    save(tmp_path / "out.npz", logits=logits, labels=labels)
    np.testing.assert_array_equal(_read_all(f"{tmp_path / 'out.npz'}:logits"), logits.astype(np.float64))
    np.testing.assert_array_equal(_read_all(f"{tmp_path / 'out.npz'}:labels", role="labels"), labels)
    with open_tensor(f"{tmp_path / 'out.npz'}:logits", role="predictions") as tensor:
        assert tensor.name.endswith("out.npz:logits")
        np.testing.assert_array_equal(tensor.block(4, 6), logits[4:6])
        np.testing.assert_array_equal(tensor.block(0, 1), logits[0:1])  # the member opened again


def test_npz_of_one_array_needs_no_key(tmp_path):
    values = _outputs((5, 2, 2), "<f8")
    np.savez(tmp_path / "one.npz", values)  # saved as arr_0
    np.testing.assert_array_equal(_read_all(tmp_path / "one.npz"), values)


def test_npz_key_missing_or_wrong_lists_the_keys(tmp_path):
    np.savez(tmp_path / "two.npz", logits=np.zeros((2, 2, 2)), labels=np.zeros((2, 2)))
    _refused(tmp_path / "two.npz", "two.npz: holds 2 arrays ('logits', 'labels'); pick one as", "two.npz:KEY")
    _refused(f"{tmp_path / 'two.npz'}:logit", "two.npz: no array 'logit'; the arrays are 'logits', 'labels'")
    np.savez(tmp_path / "many.npz", **{f"a{k}": np.zeros(2) for k in range(14)})
    _refused(f"{tmp_path / 'many.npz'}:b", "'a0', 'a1'", "'a9' and 4 more")


def test_npz_member_claiming_more_than_it_holds(tmp_path):
    buffer = io.BytesIO()
    np.save(buffer, np.zeros((1000, 10, 10)))
    with zipfile.ZipFile(tmp_path / "t.npz", "w") as archive:
        archive.writestr("p.npy", buffer.getvalue()[:5000])
    with pytest.raises(InputError, match=r"t\.npz:p: is truncated: its header claims shape \(1000, 10, 10\)"):
        open_tensor(f"{tmp_path / 't.npz'}:p", role="predictions")


# --- JSON ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES[:4], ids=lambda s: f"rank{len(s)}")
def test_json_nested_lists(tmp_path, shape):
    values = _outputs(shape, "<f8")
    (tmp_path / "p.json").write_text(json.dumps(values.tolist()))
    np.testing.assert_array_equal(_read_all(tmp_path / "p.json"), values)


def test_json_integers_true_false_and_null(tmp_path):
    (tmp_path / "y.json").write_text("[[0, 3], [-100, 2]]")
    got = _read_all(tmp_path / "y.json", role="labels")
    assert got.dtype == np.int64 and got.tolist() == [[0, 3], [-100, 2]]
    (tmp_path / "m.json").write_text("[[true, null], [false, 0.5]]")  # null: a missing value, as elsewhere
    np.testing.assert_array_equal(_read_all(tmp_path / "m.json"), [[1.0, np.nan], [0.0, 0.5]])


def test_json_object_of_arrays_by_key(tmp_path):
    (tmp_path / "d.json").write_text(json.dumps({"logits": [[[1, 2]], [[3, 4]]], "labels": [[0], [1]]}))
    np.testing.assert_array_equal(_read_all(f"{tmp_path / 'd.json'}:logits"), [[[1.0, 2.0]], [[3.0, 4.0]]])
    _refused(f"{tmp_path / 'd.json'}:nope", "d.json: no array 'nope'; the arrays are 'logits', 'labels'")
    _refused(tmp_path / "d.json", "d.json: holds 2 arrays", "pick one")


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ([[1, 2], [3]], "item [1] is a list of 1 items where item [0] is a list of 2 items"),
        ([[[1, 2], [3, 4]], [[5, 6], [7]]], "item [1][1] is a list of 1 items where item [0][0] is a list of 2"),
        ([[1, 2], 3], "item [1] is a number where item [0] is a list of 2 items"),
        ([[1, [2]], [3, 4]], "item [0][1] is a list of 1 items where item [0][0] is a number"),
        ([[], [1]], "item [1] is a list of 1 items where item [0] is a list of 0 items"),
    ],
)
def test_ragged_json_names_the_first_ragged_item(tmp_path, document, where):
    (tmp_path / "r.json").write_text(json.dumps(document))
    _refused(tmp_path / "r.json", f"r.json: {where}", "pad them")


def test_json_text_and_scalars_are_refused_where_they_are(tmp_path):
    (tmp_path / "s.json").write_text('[[1, 2], [3, "4"]]')
    _refused(tmp_path / "s.json", "s.json: item [1][1]: expected a number, found the string '4'")
    (tmp_path / "o.json").write_text('[[1, {"a": 2}]]')
    _refused(tmp_path / "o.json", "o.json: item [0][1]: expected a number, found an object")
    (tmp_path / "n.json").write_text("3.5")
    _refused(tmp_path / "n.json", "n.json: holds one number (a 0-d array", "np.atleast_1d")
    (tmp_path / "t.json").write_text('"logits"')
    _refused(tmp_path / "t.json", "t.json: the document is the string 'logits', not a list of samples")


def test_json_from_standard_input():
    values = _outputs((3, 2, 2), "<f8")
    got = _read_all("-", stdin=io.BytesIO(json.dumps(values.tolist()).encode()))
    np.testing.assert_array_equal(got, values)


# --- what is not an N-D array -----------------------------------------------------------------


def test_text_formats_and_unknown_files_are_refused(tmp_path):
    (tmp_path / "p.csv").write_text("1,2\n3,4\n")
    _refused(tmp_path / "p.csv", "p.csv: a csv input is a table of rows and columns (2-D)", ".npy, .npz")
    (tmp_path / "p.bin").write_bytes(b"\0" * 16)
    _refused(tmp_path / "p.bin", "p.bin: unknown file type for an N-D array", ".safetensors")
    _refused(tmp_path / "absent.npy", "absent.npy: no such file")


# --- .safetensors -------------------------------------------------------------------------------------


@pytest.fixture
def save_file():
    return pytest.importorskip("safetensors.numpy").save_file


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"rank{len(s)}")
@pytest.mark.parametrize("dtype", ["<f4", "<f8", "<f2", "<i8", "|u1", "bool"])
def test_safetensors_of_any_rank(tmp_path, save_file, shape, dtype):
    values = _outputs(shape, dtype)
    save_file({"logits": values, "other": np.zeros(3, dtype=np.float32)}, tmp_path / "m.safetensors")
    spec = f"{tmp_path / 'm.safetensors'}:logits"
    np.testing.assert_array_equal(_read_all(spec), values.astype(np.float64))
    with open_tensor(spec, role="predictions") as tensor:
        assert (tensor.shape, tensor.dtype, tensor.name) == (shape, np.dtype(dtype).name, spec)


def test_safetensors_of_one_tensor_needs_no_key(tmp_path, save_file):
    values = _outputs((4, 3, 2), "<f4")
    save_file({"x": values}, tmp_path / "one.safetensors", metadata={"format": "np"})
    np.testing.assert_array_equal(_read_all(tmp_path / "one.safetensors"), values)
    with open_tensor(str(tmp_path / "one.safetensors"), role="predictions") as tensor:
        np.testing.assert_array_equal(tensor.block(3, 4), values[3:4])
        np.testing.assert_array_equal(tensor.block(0, 2), values[0:2])


def test_safetensors_labels_and_an_empty_batch(tmp_path, save_file):
    labels = RNG.integers(-100, 30, size=(5, 6)).astype(np.int32)
    save_file({"y": labels, "e": np.zeros((0, 4), dtype=np.float32)}, tmp_path / "y.safetensors")
    got = _read_all(f"{tmp_path / 'y.safetensors'}:y", role="labels")
    assert got.dtype == np.int64 and np.array_equal(got, labels)
    with open_tensor(f"{tmp_path / 'y.safetensors'}:e", role="predictions") as tensor:
        assert tensor.samples == 0 and tensor.block(0, 0).shape == (0, 4)


def _raw_safetensors(path, header: dict, data: bytes, length: int | None = None) -> None:
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text) if length is None else length) + text + data)


def _bfloat16_file(path, bits: np.ndarray, shape) -> None:
    """A BF16 tensor as torch's save_file writes it: the upper 16 bits of each float32, little-endian
    (NumPy has no bfloat16 to hand to safetensors.numpy)."""
    pytest.importorskip("safetensors")
    data = np.ascontiguousarray(bits, dtype="<u2").tobytes()
    _raw_safetensors(path, {"h": {"dtype": "BF16", "shape": list(shape), "data_offsets": [0, len(data)]}}, data)


def test_bfloat16_is_exact(tmp_path):
    """Every bfloat16 is a float32 with its low 16 bits zero: those numbers come back exactly,
    and the bit patterns of 1 + 2^-7, the largest bfloat16, the smallest subnormal and inf/NaN."""
    wanted = (RNG.normal(size=(6, 4, 3)) * 1e3).astype(np.float32)
    wanted = (wanted.view(np.uint32) & 0xFFFF0000).view(np.float32)  # bfloat16-representable
    _bfloat16_file(tmp_path / "h.safetensors", wanted.view(np.uint32) >> 16, wanted.shape)
    got = _read_all(tmp_path / "h.safetensors")
    assert got.dtype == np.float64 and np.array_equal(got, wanted.astype(np.float64))
    special = np.array([0x3F81, 0x7F7F, 0x0001, 0x7F80, 0xFF80, 0x8000], dtype=np.uint16)
    _bfloat16_file(tmp_path / "s.safetensors", special, (6,))
    with open_tensor(str(tmp_path / "s.safetensors"), role="predictions") as tensor:
        assert tensor.dtype == "bfloat16"
        got = tensor.block(0, 6)
    largest = (2 - 2**-7) * 2.0**127
    assert got[:5].tolist() == [1 + 2**-7, largest, 2.0**-133, math.inf, -math.inf]
    assert got[5] == 0 and math.copysign(1, got[5]) == -1  # -0.0


@pytest.mark.reference
def test_bfloat16_written_by_torch(tmp_path):
    torch = pytest.importorskip("torch")
    torch_safetensors = pytest.importorskip("safetensors.torch")
    values = torch.randn(5, 3, 8, generator=torch.Generator().manual_seed(20)).to(torch.bfloat16)
    torch_safetensors.save_file({"logits": values}, str(tmp_path / "t.safetensors"))
    expected = values.to(torch.float64).numpy()  # torch's own widening of its bfloat16
    np.testing.assert_array_equal(_read_all(tmp_path / "t.safetensors"), expected)


# --- hostile .safetensors ----------------------------------------------------------------------------


def test_truncated_safetensors(tmp_path, save_file):
    save_file({"x": np.ones((100, 4, 4), dtype=np.float32)}, tmp_path / "t.safetensors")
    data = (tmp_path / "t.safetensors").read_bytes()
    (tmp_path / "t.safetensors").write_bytes(data[:-1000])
    _refused(tmp_path / "t.safetensors", "t.safetensors: is truncated", "data bytes 0 to 6,400", "5,400 bytes of data")


def test_safetensors_header_claiming_more_than_the_file(tmp_path, save_file):
    pytest.importorskip("safetensors")
    _raw_safetensors(
        tmp_path / "h.safetensors", {"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4, 5000
    )
    _refused(
        tmp_path / "h.safetensors", "h.safetensors: its header claims 5,000 bytes", "truncated or not a safetensors"
    )


def test_safetensors_header_size_bomb(tmp_path, save_file):
    """An 8-byte length of 2^40: read as it claims, it is a MemoryError (a traceback), not a refusal."""
    _raw_safetensors(
        tmp_path / "b.safetensors", {"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4, 1 << 40
    )
    _refused(tmp_path / "b.safetensors", "b.safetensors: its header claims 1,099,511,627,776 bytes")


def test_safetensors_damaged_headers(tmp_path, save_file):
    path = tmp_path / "d.safetensors"
    path.write_bytes(struct.pack("<Q", 5) + b"{nope")
    _refused(path, "d.safetensors: has a damaged safetensors header")
    path.write_bytes(b"\x07\0\0")
    _refused(path, "d.safetensors: holds 3 bytes, too few for a safetensors file")
    _raw_safetensors(path, {"x": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 20]}}, b"\0" * 20)
    _refused(path, "d.safetensors: its header gives shape (2, 3) of F32 (24 bytes) but 20 bytes of data")
    _raw_safetensors(path, {"x": {"dtype": "F32", "shape": [2, -3], "data_offsets": [0, 24]}}, b"\0" * 24)
    _refused(path, "d.safetensors: has a damaged header entry")


def test_safetensors_the_library_checks(tmp_path, save_file):
    """Offsets that leave a gap: each tensor's bytes are where its header says, but the file is not
    what safetensors writes; the library's check refuses it."""
    header = {
        "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
        "b": {"dtype": "F32", "shape": [2], "data_offsets": [16, 24]},
    }
    _raw_safetensors(tmp_path / "g.safetensors", header, b"\0" * 24)
    _refused(f"{tmp_path / 'g.safetensors'}:b", "g.safetensors: is not a valid safetensors file (")


@pytest.mark.parametrize("code", ["F8_E4M3", "C64", "STR", ["F32"]])
def test_safetensors_dtypes_that_are_not_real_numbers(tmp_path, save_file, code):
    _raw_safetensors(
        tmp_path / "c.safetensors", {"z": {"dtype": code, "shape": [1], "data_offsets": [0, 8]}}, b"\0" * 8
    )
    _refused(tmp_path / "c.safetensors", f"c.safetensors: is a tensor of dtype {code}, not real numbers", "bfloat16")


def test_safetensors_keys(tmp_path, save_file):
    save_file({f"layer{k}": np.zeros((2, 2), dtype=np.float32) for k in range(12)}, tmp_path / "k.safetensors")
    _refused(tmp_path / "k.safetensors", "k.safetensors: holds 12 tensors ('layer0', 'layer1'", "and 2 more", "KEY")
    _refused(f"{tmp_path / 'k.safetensors'}:logits", "k.safetensors: no tensor 'logits'; the tensors are")
    save_file({"s": np.array(1.5, dtype=np.float32)}, tmp_path / "s.safetensors")
    _refused(tmp_path / "s.safetensors", "s.safetensors: holds one number (a 0-d array")


def test_safetensors_where_it_cannot_be_read(tmp_path, save_file, monkeypatch):
    save_file({"x": np.zeros(3, dtype=np.float32)}, tmp_path / "x.safetensors")
    data = (tmp_path / "x.safetensors").read_bytes()
    with pytest.raises(InputError, match="<stdin>: a .safetensors file is read in place; give its path"):
        open_tensor("-", role="predictions", stdin=io.BytesIO(data))
    (tmp_path / "x.safetensors.gz").write_bytes(gzip.compress(data))
    _refused(tmp_path / "x.safetensors.gz", "x.safetensors.gz: a .safetensors file is read in place; decompress")
    monkeypatch.setitem(sys.modules, "safetensors", None)  # the library absent: import fails
    _refused(tmp_path / "x.safetensors", "x.safetensors: reading .safetensors needs the safetensors library")
    _refused(tmp_path / "x.safetensors", "pip install 'losscli[safetensors]'")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
def test_safetensors_fifo_is_refused_without_waiting_for_a_writer(tmp_path, save_file):
    os.mkfifo(tmp_path / "f.safetensors")
    outcome = []

    def attempt():
        try:
            open_tensor(str(tmp_path / "f.safetensors"), role="predictions")
        except InputError as exc:
            outcome.append(str(exc))

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():  # release the open() that waits, so that the thread ends
        os.close(os.open(tmp_path / "f.safetensors", os.O_WRONLY | os.O_NONBLOCK))
    assert outcome and "f.safetensors: is not a regular file" in outcome[0], outcome


# --- memory ---------------------------------------------------------------------------------------------

READ_IN_BLOCKS = """
import sys
from losscli.io.tensors import open_tensor
spec, rows = sys.argv[1], int(sys.argv[2])
total = 0.0
with open_tensor(spec, role="predictions") as tensor:
    for start in range(0, tensor.samples, rows):
        total += float(tensor.block(start, min(tensor.samples, start + rows)).sum())
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(repr(total), peak / 1024)
"""


def _peak_rss_mb(spec, rows) -> tuple[float, float]:
    """Peak resident memory (MiB) of a process that reads ``spec`` in blocks of ``rows`` samples, and
    the sum of every value it read. The peak is the process's own (VmHWM): ru_maxrss of a child also
    counts the peak of the parent it was spawned from (vfork: the parent's memory at exec), here
    pytest's after writing 200 MiB files."""
    run = subprocess.run(
        [sys.executable, "-c", READ_IN_BLOCKS, str(spec), str(rows)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    total, peak = run.stdout.split()
    return float(peak), float(total)


@pytest.mark.skipif(sys.platform != "linux", reason="VmHWM in /proc/self/status")
def test_memory_of_a_large_tensor_read_in_blocks_is_bounded(tmp_path):
    """A 200 MiB float32 tensor (3,200 x 128 x 128) read in 8 MiB blocks (128 samples) peaks as high
    as one block of a small file does (measured: 55.8 MiB vs 54.7), not at the file's size (a memory
    map peaks above 250 MiB). Values i % 7 keep every sum exact."""
    n, t, c = 3200, 128, 128
    values = (np.arange(n * t * c, dtype=np.int32) % 7).astype(np.float32).reshape(n, t, c)
    count = n * t * c
    expected = float(21 * (count // 7) + sum(range(count % 7)))  # 0 + 1 + ... + 6 = 21 per run of 7
    np.save(tmp_path / "big.npy", values)
    np.save(tmp_path / "small.npy", values[:128])
    paths = [tmp_path / "big.npy"]
    try:
        from safetensors.numpy import save_file

        save_file({"x": values}, tmp_path / "big.safetensors")
        paths.append(tmp_path / "big.safetensors")
    except ImportError:
        pass
    del values
    baseline, _ = _peak_rss_mb(tmp_path / "small.npy", 128)
    for path in paths:
        assert path.stat().st_size > 200 * 10**6
        peak, total = _peak_rss_mb(path, 128)
        assert total == expected, path.name
        assert peak - baseline < 40, f"{path.name}: peak {peak:.0f} MiB vs {baseline:.0f} MiB for one block"
