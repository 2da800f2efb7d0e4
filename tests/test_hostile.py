"""A hostile pass over losscli, as tests: bad bytes, bombs, hostile environments, output traps.

The contract (the hardening issue's "What must hold"):

- every failure is one ``losscli: error:`` line naming the file and the position, exit 2; never
  a traceback, never a NumPy warning; a crash no check foresaw is one line that says it is a
  bug, exit 70 (and so exit 70 is a failure of every test below);
- a check never passes on a value that is not finite; a non-finite threshold or tolerance is a
  usage error; JSON output is strict JSON;
- no output (--output, --save-baseline, --plot) ever replaces an input, whatever the flag that
  named the input and the path that reaches it, nor anything but a regular file; no temporary
  file survives SIGINT or SIGTERM;
- memory and time are bounded (inflated sizes, .npy claims, JSON depth and integers, numbers
  parsed in linear time);
- exit codes: 0 ok, 1 a check failed, 2 usage or input error, 70 internal error, 130 interrupted.

Each case checks the exit status, the one stderr line and what it names, an empty stdout, and
that no file in the test's folder changed (bytes, mtime, kind) and no file was left behind.
Hostile environments (closed or full streams, signals, ASCII locales) run in a real process.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import io
import json
import os
import signal
import stat
import struct
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLES
from jsonout import loaded

PREDS = SAMPLES / "preds.csv"
TARGETS = SAMPLES / "targets.csv"
ISSUES_HINT = "this is a bug"


# --- helpers ----------------------------------------------------------------------------------


def _one_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    assert "Warning" not in stderr, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, f"expected one stderr line, got {len(lines)}: {stderr!r}"
    assert lines[0].startswith("losscli: error: "), lines[0]
    assert ISSUES_HINT not in lines[0], f"an internal error: {lines[0]}"
    return lines[0]


def _fails(result, *fragments, absent=(), code=2) -> str:
    """Exit ``code``, nothing on stdout, one stderr line holding every fragment."""
    assert result.exit_code == code, (result.exit_code, result.stdout[-500:], result.stderr)
    assert result.stdout == ""
    line = _one_line(result.stderr)
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    for fragment in absent:
        assert fragment not in line, (fragment, line)
    return line


def _no_crash(result) -> None:
    """Any of the statuses a user may see for this input, never an internal error or a traceback."""
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr
    assert ISSUES_HINT not in result.stderr, result.stderr
    if result.exit_code == 2:
        _one_line(result.stderr)


def _state(folder: Path) -> dict:
    """Every entry under ``folder``: kind, content (files, links) and mtime."""
    found = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        if stat.S_ISREG(info.st_mode):
            content = path.read_bytes()
        elif stat.S_ISLNK(info.st_mode):
            content = os.readlink(path)
        else:
            content = None
        found[str(path.relative_to(folder))] = (stat.S_IFMT(info.st_mode), content, info.st_mtime_ns)
    return found


def _w(folder: Path, name: str, data) -> str:
    path = folder / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return str(path)


def _npy(shape=None, descr="<f8", fortran=False, body=b"", header=None, version=(1, 0)) -> bytes:
    """An NPY file, with any header we like (np.save would refuse most of these)."""
    text = header if header is not None else f"{{'descr': {descr!r}, 'fortran_order': {fortran}, 'shape': {shape!r}, }}"
    text += " " * ((64 - (10 + len(text) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY" + bytes(version) + len(text).to_bytes(2, "little") + text.encode() + body


def _saved(array, allow_pickle=False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def _zip(folder: Path, name: str, members: dict, compression=zipfile.ZIP_STORED) -> str:
    path = folder / name
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return str(path)


def _patched(path: str, edit) -> str:
    data = bytearray(Path(path).read_bytes())
    edit(data)
    Path(path).write_bytes(bytes(data))
    return path


def _two(folder: Path, name: str = "t.csv") -> str:
    return _w(folder, name, "0.5\n0.7\n")


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR", "PYTHONIOENCODING")}
    env.update(COLUMNS="80", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def _losscli(*args) -> list[str]:
    return [sys.executable, "-m", "losscli", *(str(a) for a in args)]


def _cli(*args, cwd=None, env=None, input=None, close=(), stdout=subprocess.PIPE, timeout=60):
    """losscli in a real process; ``close`` names the standard streams (0, 1, 2) to close first."""

    def closing():
        for fd in close:
            os.close(fd)

    return subprocess.run(
        _losscli(*args),
        cwd=cwd,
        env=env or _env(),
        input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.PIPE,
        timeout=timeout,
        preexec_fn=closing if close else None,
    )


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp"))


# --- the catalogue of bad inputs: each one line, exit 2, nothing changed ----------------------------

CASES: dict = {}


def case(*fragments, absent=()):
    """Register a builder ``build(folder) -> args`` (or ``(args, stdin bytes)``) and what its line says."""

    def register(build):
        assert build.__name__ not in CASES
        CASES[build.__name__] = (build, fragments, absent)
        return build

    return register


# CSV, TSV, TXT


@case("bad.csv", "not UTF-8")
def csv_invalid_utf8(d):
    return ["mse", _w(d, "bad.csv", b"0.5\n\xff\xfe\n"), _two(d)]


@case("bad.csv", "not UTF-8")
def csv_invalid_utf8_read_with_pred_col(d):
    return ["mse", _w(d, "bad.csv", b"a,b\n0.5,1\n0.7,\xff\n"), "--pred-col", "a", "--target-col", "b"]


@case("bad.csv", "not UTF-8")
def csv_invalid_utf8_in_the_header_with_pred_col(d):
    return ["mse", _w(d, "bad.csv", b"a\xff,b\n0.5,1\n"), "--pred-col", "1", "--target-col", "1"]


@case("bad.tsv", "not UTF-8")
def tsv_invalid_utf8(d):
    return ["mse", _w(d, "bad.tsv", b"0.5\t1\n\xc3\x28\t1\n"), "--pred-col", "0", "--target-col", "1"]


@case("u16.csv", "not UTF-8")
def csv_in_utf16(d):
    return ["mse", _w(d, "u16.csv", "0.5\n0.7\n".encode("utf-16")), _two(d)]


@case("nul.csv", "line 2, column 1")
def csv_nul_byte(d):
    return ["mse", _w(d, "nul.csv", b"0.5\n\x000.7\n"), _two(d)]


@case("long.csv", "line 1, column 1", "not a finite number")
def csv_cell_of_200k_digits(d):
    return ["mse", _w(d, "long.csv", "1" * 200_000 + "\n"), _w(d, "t.csv", "1\n")]


@case("long.csv", "line 2, column 1", "is not a number")
def csv_cell_of_200k_letters(d):
    return ["mse", _w(d, "long.csv", "h\n" + "x" * 200_000 + "\n"), _w(d, "t.csv", "1\n")]


@case("long.csv", "line 2, column 1", "is not a number")
def csv_cell_over_131072_characters_with_pred_col(d):
    return ["mse", _w(d, "long.csv", "a,b\n" + "x" * 140_000 + ",1\n"), "--pred-col", "a", "--target-col", "b"]


@case("long.csv", "line 2, column 1", "is not a number")
def csv_quoted_cell_over_131072_characters_with_pred_col(d):
    return ["mse", _w(d, "long.csv", 'a,b\n"' + "x" * 140_000 + '",1\n'), "--pred-col", "a", "--target-col", "b"]


@case("ho.csv", "holds no numbers")
def csv_header_only_with_pred_col(d):
    return ["mse", _w(d, "ho.csv", "a,b\n"), "--pred-col", "a", "--target-col", "b"]


@case("ho.tsv", "holds no numbers")
def tsv_header_only_with_pred_col(d):
    return ["mse", _w(d, "ho.tsv", "a\tb\n\n"), "--pred-col", "a", "--target-col", "b"]


@case("ho.csv", "holds no numbers")
def csv_header_only_with_pred_col_and_drop_missing(d):
    return ["mse", _w(d, "ho.csv", "a,b\n"), "--pred-col", "a", "--target-col", "b", "--drop-missing"]


@case("uq.csv")
def csv_unclosed_quote_on_the_first_line(d):
    # found by the fuzz run: an opening quote and a newline, then a number
    return ["mse", _w(d, "uq.csv", b'"\n0.0'), _w(d, "t.csv", "1\n1\n")]


@case("bom.csv", "holds no numbers")
def csv_only_a_byte_order_mark(d):
    return ["mse", _w(d, "bom.csv", b"\xef\xbb\xbf"), _two(d)]


@case("c.txt", "holds no numbers")
def txt_only_comments(d):
    return ["mse", _w(d, "c.txt", "# a\n# b\n"), _two(d)]


@case("inf.csv", "line 2, column 2", "not a finite number")
def csv_overflowing_number(d):
    return ["mse", _w(d, "inf.csv", "1,2\n3,1e400\n"), _w(d, "t.csv", "0,0\n0,0\n")]


@case("r.csv", "line 3")
def csv_ragged_one_file(d):
    return ["mse", _w(d, "r.csv", "a,b\n1,2\n3\n"), "--pred-col", "a", "--target-col", "b"]


@case("d.csv", "'zz'")
def csv_pred_col_that_is_not_there(d):
    return ["mse", _w(d, "d.csv", "a,b\n1,2\n"), "--pred-col", "zz", "--target-col", "b"]


@case("no such file")
def file_name_with_a_newline(d):
    # A newline in a file name must not split the error into two lines.
    return ["mse", str(d / "no\nsuch.csv"), _two(d)]


@case("line 3, column 1")
def bad_cell_in_a_file_whose_name_has_a_newline(d):
    return ["mse", _w(d, "bad\nname.csv", "0.5\n0.7\nx\n"), _w(d, "t.csv", "1\n1\n1\n")]


@case("lab.csv", "not a class label")
def labels_out_of_range(d):
    return ["sparse_cce", _w(d, "prob.csv", "0.5,0.5\n0.5,0.5\n"), _w(d, "lab.csv", "0\n2\n")]


# NPY


@case("huge.npy", "claims")
def npy_header_claims_1e11_elements(d):
    return ["mse", _w(d, "huge.npy", _npy((10**11,), body=b"\0" * 64)), _w(d, "t.npy", _saved(np.zeros(8)))]


@case("<stdin>", "claims")
def npy_header_claims_1e11_elements_on_stdin(d):
    return ["mse", "-", _w(d, "t.npy", _saved(np.zeros(8)))], _npy((10**11,), body=b"\0" * 64)


@case("<stdin>", "claims")
def npy_fortran_header_claims_800gb_on_stdin(d):
    # Fortran order is read in one go: the claim must be checked before that read allocates.
    return ["mse", "-", _w(d, "t.npy", _saved(np.zeros((2, 2))))], _npy((10**6, 10**5), fortran=True, body=b"\0" * 64)


@case("f.npy.gz", "claims")
def npy_gz_fortran_header_claims_800gb(d):
    data = gzip.compress(_npy((10**6, 10**5), fortran=True, body=b"\0" * 64))
    return ["mse", _w(d, "f.npy.gz", data), _w(d, "t.npy", _saved(np.zeros((2, 2))))]


@case("wide.npy", "claims")
def npy_header_claims_a_billion_columns(d):
    return ["mse", _w(d, "wide.npy", _npy((1, 10**9), body=b"\0" * 80)), _w(d, "t.npy", _saved(np.zeros((1, 2))))]


@case("cut.npy", "NPY header")
def npy_header_cut_short(d):
    return ["mse", _w(d, "cut.npy", _npy((2,))[:20]), _two(d)]


@case("tok.npy", "NPY header")
def npy_header_with_an_unclosed_bracket(d):
    # found by the fuzz run: numpy's header parser raises tokenize.TokenError here
    return ["mse", _w(d, "tok.npy", _npy(header="{'descr': '<f8', 'fortran_order': False, 'shape': (6,")), _two(d)]


@case("m.npy", "NPY header")
def npy_magic_only(d):
    return ["mse", _w(d, "m.npy", b"\x93NUMPY"), _two(d)]


@case("v3.npy", "version")
def npy_unknown_version(d):
    return ["mse", _w(d, "v3.npy", _npy((2,), body=b"\0" * 16, version=(3, 0))), _two(d)]


@case("evil.npy", "NPY header")
def npy_header_with_code_in_it(d):
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (__import__('os').getpid(),), }"
    return ["mse", _w(d, "evil.npy", _npy(header=header)), _two(d)]


@case("hh.npy", "NPY header")
def npy_header_length_65535_and_cut(d):
    return ["mse", _w(d, "hh.npy", b"\x93NUMPY\x01\x00\xff\xff{" + b"{" * 100), _two(d)]


@case("c.npy", "not real numbers")
def npy_complex(d):
    return ["mse", _w(d, "c.npy", _saved(np.zeros(2, dtype=complex))), _two(d)]


@case("u.npy", "not real numbers")
def npy_unicode(d):
    return ["mse", _w(d, "u.npy", _saved(np.array(["a", "b"]))), _two(d)]


@case("dt.npy", "not real numbers")
def npy_datetime(d):
    return ["mse", _w(d, "dt.npy", _saved(np.zeros(2, dtype="datetime64[s]"))), _two(d)]


@case("st.npy", "not real numbers")
def npy_structured(d):
    return ["mse", _w(d, "st.npy", _saved(np.zeros(2, dtype=[("a", "<f8")]))), _two(d)]


@case("o.npy", "pickled")
def npy_object_array(d):
    return ["mse", _w(d, "o.npy", _saved(np.array([{"a": 1}, None], dtype=object), allow_pickle=True)), _two(d)]


@case("tr.npy", "truncated")
def npy_data_cut_short(d):
    return ["mse", _w(d, "tr.npy", _saved(np.zeros((100, 2)))[:300]), _w(d, "t.npy", _saved(np.zeros((100, 2))))]


@case("three.npy has 3 dimensions", "--pred-col/--target-col is not available")
def npy_3d_in_one_file_mode(d):
    return ["mse", _w(d, "three.npy", _saved(np.zeros((2, 2, 2)))), "--pred-col", "0", "--target-col", "1"]


@case("zero.npy", "0 dimensions")
def npy_0d(d):
    return ["mse", _w(d, "zero.npy", _saved(np.float64(1.0))), _two(d)]


@case("neg.npy")
def npy_negative_shape(d):
    return ["mse", _w(d, "neg.npy", _npy((-1,), body=b"\0" * 8)), _two(d)]


@case("<stdin>", "NPY header")
def npy_garbage_after_the_magic_on_stdin(d):
    return ["mse", "-", _two(d)], b"\x93NUMPY\x01\x00garbage"


# NPZ


def _one_member(d, name, data=None, compression=zipfile.ZIP_STORED):
    return _zip(d, name, {"p.npy": data if data is not None else _saved(np.arange(100.0))}, compression)


@case("crc.npz", "damaged")
def npz_bad_crc(d):
    path = _one_member(d, "crc.npz")
    return ["mse", _patched(path, lambda b: b.__setitem__(b.find(b"\x93NUMPY") + 500, 0x55)), _two(d)]


@case("defl.npz", "damaged")
def npz_bad_deflate(d):
    path = _one_member(d, "defl.npz", _saved(np.arange(2000.0)), zipfile.ZIP_DEFLATED)

    def scramble(b):
        start = 30 + len("p.npy")
        for k in range(start + 8, start + 60):
            b[k] ^= 0x5A

    return ["mse", _patched(path, scramble), _two(d)]


@case("nn.npz", "not a .npy file")
def npz_member_that_is_not_npy(d):
    return ["mse", _zip(d, "nn.npz", {"p.npy": b"hello world"}), _two(d)]


@case("nn.npz", "not a .npy file")
def npz_member_named_txt(d):
    return ["mse", _zip(d, "nn.npz", {"notes.txt": b"hello"}), _two(d)]


@case("tr.npz", "truncated", absent=("pickled",))
def npz_truncated_member(d):
    return ["mse", _one_member(d, "tr.npz", _saved(np.arange(100.0))[:300]), _two(d)]


@case("tr.npz", "truncated", absent=("pickled",))
def npz_truncated_member_with_pred_col(d):
    members = {"p.npy": _saved(np.arange(100.0))[:300], "t.npy": _saved(np.arange(100.0))}
    return ["mse", _zip(d, "tr.npz", members), "--pred-col", "p", "--target-col", "t"]


@case("obj.npz", "pickled")
def npz_object_member(d):
    return ["mse", _one_member(d, "obj.npz", _saved(np.array([None, 1], dtype=object), allow_pickle=True)), _two(d)]


@case("three.npz", "3 dimensions")
def npz_3d_member_with_pred_col(d):
    members = {"p.npy": _saved(np.zeros((2, 2, 2))), "t.npy": _saved(np.zeros((2, 2, 2)))}
    return ["mse", _zip(d, "three.npz", members), "--pred-col", "p", "--target-col", "t"]


@case("three.npz:p has shape (2, 2, 2) but", absent=(":p:p",))
def npz_3d_member_as_file_key_names_the_member_once(d):
    members = {"p.npy": _saved(np.zeros((2, 2, 2))), "t.npy": _saved(np.zeros((2, 2)))}
    path = _zip(d, "three.npz", members)
    return ["mse", f"{path}:p", f"{path}:t"]


@case("bomb.npz", "inflates past")
def npz_member_inflating_3mb_under_a_1mb_limit(d):
    path = _one_member(d, "bomb.npz", _npy((3 * 2**20 // 8,), body=b"\0" * (3 * 2**20)), zipfile.ZIP_DEFLATED)
    return ["mse", f"{path}:p", f"{path}:p", "--max-inflate", "1M"]


@case("bomb.npz", "inflates past")
def npz_bomb_read_with_pred_col(d):
    big = _npy((3 * 2**20 // 8,), body=b"\0" * (3 * 2**20))
    path = _zip(d, "bomb.npz", {"p.npy": big, "t.npy": big}, zipfile.ZIP_DEFLATED)
    return ["mse", path, "--pred-col", "p", "--target-col", "t", "--max-inflate", "1M"]


@case("meth.npz", "cannot be read")
def npz_unknown_compression_method(d):
    path = _one_member(d, "meth.npz")

    def method_99(b):
        b[b.find(b"PK\x03\x04") + 8] = 99
        b[b.find(b"PK\x01\x02") + 10] = 99

    return ["mse", _patched(path, method_99), _two(d)]


@case("enc.npz", "cannot be read")
def npz_encrypted_member(d):
    path = _one_member(d, "enc.npz")

    def encrypted(b):
        b[b.find(b"PK\x03\x04") + 6] |= 1
        b[b.find(b"PK\x01\x02") + 8] |= 1

    return ["mse", _patched(path, encrypted), _two(d)]


@case("cut.npz", "not a valid .npz")
def npz_cut_in_half(d):
    path = _one_member(d, "cut.npz")
    data = Path(path).read_bytes()
    return ["mse", _w(d, "cut.npz", data[: len(data) // 2]), _two(d)]


@case("empty.npz")
def npz_with_no_member(d):
    return ["mse", _zip(d, "empty.npz", {}), _two(d)]


@case("two.npz", "no array 'zz'")
def npz_missing_key(d):
    path = _zip(d, "two.npz", {"p.npy": _saved(np.zeros(2)), "t.npy": _saved(np.zeros(2))})
    return ["mse", f"{path}:zz", f"{path}:t"]


@case("lie.npz", "damaged")
def npz_member_size_that_lies(d):
    path = _one_member(d, "lie.npz")

    def lie(b):
        struct.pack_into("<I", b, b.find(b"PK\x01\x02") + 24, 200)
        struct.pack_into("<I", b, b.find(b"PK\x03\x04") + 22, 200)

    return ["mse", _patched(path, lie), _two(d)]


@case("uneven.npz", "different lengths")
def npz_columns_of_different_lengths(d):
    path = _zip(d, "uneven.npz", {"p.npy": _saved(np.zeros(3)), "t.npy": _saved(np.zeros(2))})
    return ["mse", path, "--pred-col", "p", "--target-col", "t"]


@case("<stdin>", "npz")
def npz_magic_then_garbage_on_stdin(d):
    return ["mse", "-", _two(d)], b"PK\x03\x04garbage"


# JSON


@case("deep.json", "nested too deeply")
def json_nested_1000_deep(d):
    return ["mse", _w(d, "deep.json", "[" * 1000 + "]" * 1000), _two(d)]


@case("deep.json", "nested too deeply")
def json_nested_100000_deep(d):
    return ["mse", _w(d, "deep.json", "[" * 100_000 + "]" * 100_000), _two(d)]


@case("big.json", "310 digits")
def json_integer_of_310_digits(d):
    return ["mse", _w(d, "big.json", "[" + "1" * 310 + ", 1]"), _two(d)]


@case("big.json", "digits")
def json_integer_of_5000_digits(d):
    return ["mse", _w(d, "big.json", "[" + "1" * 5000 + ", 1]"), _two(d)]


@case("bad.json", "not UTF-8")
def json_invalid_utf8(d):
    return ["mse", _w(d, "bad.json", b'[1, "\xff"]'), _two(d)]


@case("inf.json", "not a finite number")
def json_infinity_literal(d):
    return ["mse", _w(d, "inf.json", "[Infinity, 1]"), _two(d)]


@case("inf.json", "not a finite number")
def json_overflowing_float(d):
    return ["mse", _w(d, "inf.json", "[1e999, 1]"), _two(d)]


@case("x.json", "invalid JSON")
def json_trailing_garbage(d):
    return ["mse", _w(d, "x.json", "[1, 2] x"), _two(d)]


@case("s.json", "top level")
def json_top_level_scalar(d):
    return ["mse", _w(d, "s.json", "5"), _two(d)]


@case("split.json", "index")
def json_split_index_longer_than_data(d):
    return ["mse", _w(d, "split.json", '{"columns": ["a"], "index": [0, 1], "data": [[1]]}'), _two(d)]


@case("split.json", "index")
def json_split_index_not_a_list(d):
    return ["mse", _w(d, "split.json", '{"columns": ["a"], "index": 5, "data": [[1]]}'), _two(d)]


@case("split.json", "columns")
def json_split_columns_not_a_list(d):
    return ["mse", _w(d, "split.json", '{"columns": 5, "data": [[1]]}'), _two(d)]


@case("series.json", "index")
def json_series_index_not_a_list(d):
    return ["mse", _w(d, "series.json", '{"name": "a", "index": 5, "data": [1]}'), _two(d)]


@case("series.json", "index")
def json_series_index_longer_than_data(d):
    return ["mse", _w(d, "series.json", '{"name": "a", "index": [1, 2, 3], "data": [1]}'), _two(d)]


@case("table.json", "schema")
def json_table_schema_not_an_object(d):
    return ["mse", _w(d, "table.json", '{"schema": 5, "data": []}'), _two(d)]


@case("table.json", "fields")
def json_table_fields_not_a_list(d):
    return ["mse", _w(d, "table.json", '{"schema": {"fields": 5}, "data": [{"a": 1}]}'), _two(d)]


@case("table.json", "primaryKey")
def json_table_primary_key_not_a_list(d):
    text = '{"schema": {"fields": [{"name": "a"}], "primaryKey": 5}, "data": [{"a": 1}]}'
    return ["mse", _w(d, "table.json", text), _two(d)]


@case("table.json")
def json_table_field_name_that_is_a_list(d):
    return ["mse", _w(d, "table.json", '{"schema": {"fields": [{"name": ["a"]}]}, "data": [{"a": 1}]}'), _two(d)]


@case("rec.json", "expected a number")
def json_record_holding_a_list(d):
    return ["mse", _w(d, "rec.json", '[{"a": [1]}, {"a": 2}]'), _two(d)]


@case("str.json", "the string '2'")
def json_number_as_a_string(d):
    return ["mse", _w(d, "str.json", '[1, "2"]'), _two(d)]


# JSON Lines


@case("bad.jsonl", "not UTF-8")
def jsonl_invalid_utf8(d):
    return ["mse", _w(d, "bad.jsonl", b"1\n\xff\n"), _two(d)]


@case("bad.jsonl", "not UTF-8")
def jsonl_invalid_utf8_after_good_lines(d):
    return ["mse", _w(d, "bad.jsonl", b"1\n2\n" * 10 + b'"\xff"\n'), _w(d, "t.jsonl", "1\n" * 21)]


@case("deep.jsonl", "nested too deeply")
def jsonl_line_nested_1000_deep(d):
    return ["mse", _w(d, "deep.jsonl", "[1]\n" + "[" * 1000 + "]" * 1000 + "\n"), _two(d)]


@case("big.jsonl", "digits")
def jsonl_integer_of_500_digits(d):
    return ["mse", _w(d, "big.jsonl", "1\n" + "9" * 500 + "\n"), _two(d)]


@case("mix.jsonl", "line 2")
def jsonl_object_then_list(d):
    return ["mse", _w(d, "mix.jsonl", '{"a": 1}\n[1]\n'), "--pred-col", "a", "--target-col", "a"]


@case("rag.jsonl", "line 2")
def jsonl_rows_of_different_lengths(d):
    return ["mse", _w(d, "rag.jsonl", "[1, 2]\n[3]\n"), _w(d, "t.jsonl", "[1, 2]\n[3, 4]\n")]


@case("inv.jsonl", "line 2", "invalid JSON")
def jsonl_invalid_line(d):
    return ["mse", _w(d, "inv.jsonl", "1\n[2,\n"), _two(d)]


@case("two.jsonl", "line 2")
def jsonl_line_of_two_comma_separated_values(d):
    # found by the fuzz run: "2,3" is no JSON value; read in a batch it became two records (and samples)
    return ["mse", _w(d, "two.jsonl", "1\n2,3\n"), _w(d, "t.csv", "1\n2\n3\n")]


@case("two.jsonl", "line 2")
def jsonl_line_of_two_comma_separated_values_against_two_rows(d):
    return ["mse", _w(d, "two.jsonl", "1\n2,3\n"), _w(d, "t.csv", "1\n2\n")]


@case("blank.jsonl", "holds no numbers")
def jsonl_blank_lines_only(d):
    return ["mse", _w(d, "blank.jsonl", "\n\n  \n"), _two(d)]


# Parquet


def _parquet(d, name, table) -> str:
    import pyarrow.parquet as pq

    path = d / name
    pq.write_table(table, path)
    return str(path)


def _pa():
    return pytest.importorskip("pyarrow")


@case("badname.parquet")
def parquet_column_name_not_utf8(d):
    pa = _pa()
    path = _parquet(d, "badname.parquet", pa.table({"zzzz": [0.5, 0.7], "t": [0.5, 0.7]}))
    data = Path(path).read_bytes().replace(b"zzzz", b"\xff\xfe\xff\xfe")
    return ["mse", _w(d, "badname.parquet", data), "--pred-col", "0", "--target-col", "t"]


@case("cut.parquet", "not a valid Parquet")
def parquet_cut_in_half(d):
    pa = _pa()
    data = Path(_parquet(d, "ok.parquet", pa.table({"p": [0.5, 0.7], "t": [0.5, 0.7]}))).read_bytes()
    return ["mse", _w(d, "cut.parquet", data[: len(data) // 2]), "--pred-col", "p", "--target-col", "t"]


@case("magic.parquet", "not a valid Parquet")
def parquet_magic_around_zeros(d):
    _pa()
    return ["mse", _w(d, "magic.parquet", b"PAR1" + b"\0" * 20 + b"PAR1"), "--pred-col", "0", "--target-col", "1"]


@case("tail.parquet", "not a valid Parquet")
def parquet_footer_claiming_a_gigabyte(d):
    pa = _pa()
    data = Path(_parquet(d, "ok.parquet", pa.table({"p": [0.5, 0.7], "t": [0.5, 0.7]}))).read_bytes()
    data = data[:-8] + (10**9).to_bytes(4, "little") + b"PAR1"
    return ["mse", _w(d, "tail.parquet", data), "--pred-col", "p", "--target-col", "t"]


@case("page.parquet")
def parquet_damaged_page_header(d):
    # pyarrow's message has newlines in it: still one line
    pa = _pa()
    path = _parquet(d, "page.parquet", pa.table({"p": np.arange(100.0), "t": np.arange(100.0)}))

    def flip(b):
        b[4:12] = bytes(x ^ 0xFF for x in b[4:12])

    return ["mse", _patched(path, flip), "--pred-col", "p", "--target-col", "t"]


@case("str.parquet", "string")
def parquet_text_column(d):
    pa = _pa()
    path = _parquet(d, "str.parquet", pa.table({"p": ["a", "b"], "t": [0.5, 0.7]}))
    return ["mse", path, "--pred-col", "p", "--target-col", "t"]


@case("nested.parquet", "list")
def parquet_list_column(d):
    pa = _pa()
    path = _parquet(d, "nested.parquet", pa.table({"p": pa.array([[1.0], [2.0]]), "t": [0.5, 0.7]}))
    return ["mse", path, "--pred-col", "p", "--target-col", "t"]


@case("null.parquet", "is missing")
def parquet_null(d):
    pa = _pa()
    path = _parquet(d, "null.parquet", pa.table({"p": [0.5, None], "t": [0.5, 0.7]}))
    return ["mse", path, "--pred-col", "p", "--target-col", "t"]


@case("<stdin>", "Parquet")
def parquet_magic_then_garbage_on_stdin(d):
    _pa()
    return ["mse", "-", _two(d)], b"PAR1garbage"


# gzip


@case("bomb.csv.gz", "inflates past")
def gz_csv_inflating_3mb_under_a_1mb_limit(d):
    return ["mse", _w(d, "bomb.csv.gz", gzip.compress(b"0.5\n" * (3 * 2**18))), _two(d), "--max-inflate", "1M"]


@case("bomb.npy.gz", "inflates past")
def gz_npy_inflating_3mb_under_a_1mb_limit(d):
    data = gzip.compress(_saved(np.zeros(3 * 2**17)))
    return ["mse", _w(d, "bomb.npy.gz", data), _two(d), "--max-inflate", "1M"]


@case("bomb.npy.gz", "inflates past")
def gz_fortran_npy_inflating_3mb_under_a_1mb_limit(d):
    data = gzip.compress(_saved(np.asfortranarray(np.zeros((3 * 2**16, 2)))))
    return ["mse", _w(d, "bomb.npy.gz", data), _two(d), "--max-inflate", "1M"]


@case("bomb.jsonl.gz", "inflates past")
def gz_jsonl_inflating_3mb_under_a_1mb_limit(d):
    return ["mse", _w(d, "bomb.jsonl.gz", gzip.compress(b"1\n" * (3 * 2**19))), _two(d), "--max-inflate", "1M"]


@case("<stdin>", "inflates past")
def gz_bomb_on_stdin(d):
    return ["mse", "-", _two(d), "--max-inflate", "1M"], gzip.compress(b"0.5\n" * (3 * 2**18))


@case("tr.csv.gz", "cut short")
def gz_cut_short(d):
    return ["mse", _w(d, "tr.csv.gz", gzip.compress(b"0.5\n0.7\n" * 1000)[:40]), _two(d)]


@case("ng.csv.gz", "gzip")
def gz_that_is_not_gzip(d):
    return ["mse", _w(d, "ng.csv.gz", b"0.5\n0.7\n"), _two(d)]


@case("tg.csv.gz", "gzip")
def gz_with_trailing_garbage(d):
    return ["mse", _w(d, "tg.csv.gz", gzip.compress(b"0.5\n0.7\n") + b"garbage"), _two(d)]


@case("a.npz.gz", "compressed inside already")
def gz_of_an_npz(d):
    return ["mse", _w(d, "a.npz.gz", gzip.compress(b"PK")), _two(d)]


@case("bad.json.gz", "invalid JSON")
def gz_of_invalid_json(d):
    return ["mse", _w(d, "bad.json.gz", gzip.compress(b"[1,")), _two(d)]


# options and CI settings


def _samples():
    return ["mse", str(PREDS), str(TARGETS)]


@case("--max-inflate")
def max_inflate_inf(d):
    return [*_samples(), "--max-inflate", "inf"]


@case("--max-inflate")
def max_inflate_1e400(d):
    return [*_samples(), "--max-inflate", "1e400"]


@case("--max-inflate")
def max_inflate_huge_with_unit(d):
    return [*_samples(), "--max-inflate", "1e300T"]


@case("--max-inflate")
def max_inflate_negative(d):
    return [*_samples(), "--max-inflate", "-1"]


@case("--max-inflate")
def max_inflate_nan(d):
    return [*_samples(), "--max-inflate", "nan"]


@case("--max-inflate")
def max_inflate_text(d):
    return [*_samples(), "--max-inflate", "lots"]


@case("--fail-above", "not a finite number")
def fail_above_nan(d):
    return [*_samples(), "--fail-above", "nan"]


@case("--fail-above", "not a finite number")
def fail_above_inf(d):
    return [*_samples(), "--fail-above", "inf"]


@case("--fail-below", "not a finite number")
def fail_below_minus_inf(d):
    return [*_samples(), "--fail-below", "-inf"]


def _baseline(d, name="b.json", **fields) -> str:
    data = {"loss": "mse", "reduce": "all", "value": 0.1} | fields
    return _w(d, name, json.dumps(data))


@case("--tolerance", "not a finite number")
def tolerance_nan(d):
    return [*_samples(), "--baseline", _baseline(d), "--tolerance", "nan"]


@case("--tolerance", "not a finite number")
def tolerance_inf_percent(d):
    return [*_samples(), "--baseline", _baseline(d), "--tolerance", "inf%"]


@case("--tolerance")
def tolerance_negative(d):
    return [*_samples(), "--baseline", _baseline(d), "--tolerance", "-1"]


@case("--tolerance")
def tolerance_text(d):
    return [*_samples(), "--baseline", _baseline(d), "--tolerance", "a lot"]


@case("--tolerance", "not a finite number")
def tolerance_nan_without_a_baseline(d):
    # "a non-finite threshold or tolerance is a usage error": not only when a baseline is given
    return [*_samples(), "--tolerance", "nan"]


@case("w0.csv")
def weights_that_sum_to_zero(d):
    return ["mse", _two(d, "p.csv"), _two(d), "--weights", _w(d, "w0.csv", "0\n0\n")]


# baselines


@case("b.json", "null")
def baseline_value_null(d):
    return [*_samples(), "--baseline", _baseline(d, value=None)]


@case("b.json", '"0.1"')
def baseline_value_text(d):
    return [*_samples(), "--baseline", _baseline(d, value="0.1")]


@case("b.json", "true")
def baseline_value_true(d):
    return [*_samples(), "--baseline", _baseline(d, value=True)]


@case("b.json", "NaN")
def baseline_value_nan(d):
    return [*_samples(), "--baseline", _w(d, "b.json", '{"loss": "mse", "reduce": "all", "value": NaN}')]


@case("b.json", "not a finite number")
def baseline_value_overflowing(d):
    return [*_samples(), "--baseline", _w(d, "b.json", '{"loss": "mse", "reduce": "all", "value": 1e400}')]


@case("--baseline", "mae")
def baseline_of_another_loss(d):
    return [*_samples(), "--baseline", _baseline(d, loss="mae")]


@case("--baseline", "--reduce")
def baseline_under_another_reduce(d):
    return [*_samples(), "--baseline", _baseline(d, reduce="samples")]


@case("--baseline")
def baseline_without_reduce(d):
    return [*_samples(), "--baseline", _w(d, "b.json", '{"loss": "mse", "value": 0.1}')]


@case("b.json", "not a losscli JSON result")
def baseline_empty_list(d):
    return [*_samples(), "--baseline", _w(d, "b.json", "[]")]


@case("b.json")
def baseline_not_utf8(d):
    return [*_samples(), "--baseline", _w(d, "b.json", b'{"loss": "\xff"}')]


@case("b.json")
def baseline_nested_100000_deep(d):
    return [*_samples(), "--baseline", _w(d, "b.json", "[" * 100_000 + "]" * 100_000)]


@case("bdir")
def baseline_is_a_directory(d):
    (d / "bdir").mkdir()
    return [*_samples(), "--baseline", str(d / "bdir")]


@case("nope.json", "no such file")
def baseline_missing(d):
    return [*_samples(), "--baseline", str(d / "nope.json")]


@case("b.json")
def baseline_loss_not_a_name(d):
    return [*_samples(), "--baseline", _baseline(d, loss=5)]


@case("--baseline", "delta")
def baseline_of_the_same_loss_with_other_options(d):
    # huber with --delta 0.05 is another loss than huber with --delta 1: comparing them says nothing
    data = {"loss": "huber", "reduce": "all", "value": 1.0, "options": {"delta": 1.0}}
    return ["huber", str(PREDS), str(TARGETS), "--delta", "0.05", "--baseline", _w(d, "b.json", json.dumps(data))]


# EIO and other read errors


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="needs /proc/self/mem (reading it gives EIO)")
@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl", "npy", "npz", "parquet"])
def test_eio_on_read(run, fmt):
    _fails(run("mse", "/proc/self/mem", PREDS, "--input-format", fmt), "/proc/self/mem")


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_one_line_and_exit_2(run, tmp_path, name):
    build, fragments, absent = CASES[name]
    built = build(tmp_path)
    args, stdin = built if isinstance(built, tuple) else (built, None)
    before = _state(tmp_path)
    _fails(run(*args, input=stdin), *fragments, absent=absent)
    assert _state(tmp_path) == before


class _FailingStream(io.RawIOBase):
    """A file that gives its first bytes, then EIO (a dropped network share, a bad disk)."""

    def __init__(self, data: bytes, good: int):
        self.data, self.good, self.at = data, good, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.at >= self.good:
            raise OSError(errno.EIO, "Input/output error")
        chunk = self.data[self.at : min(self.good, self.at + len(buffer))]
        buffer[: len(chunk)] = chunk
        self.at += len(chunk)
        return len(chunk)


@pytest.mark.parametrize(
    "name, data",
    [
        ("p.csv", b"0.5\n" * 50_000),
        ("p.jsonl", b"0.5\n" * 50_000),
        ("p.json", b"[" + b"0.5," * 50_000 + b"0.5]"),
        ("p.npy", _saved(np.zeros(50_000))),
        ("p.csv.gz", gzip.compress(b"0.5\n" * 50_000)),
    ],
)
def test_eio_in_the_middle_of_a_file(run, tmp_path, monkeypatch, name, data):
    from losscli.io import source

    path = _w(tmp_path, name, data)
    real_open = open

    def failing_open(file, mode="r", *args, **kwargs):
        if str(file) == path:
            return io.BufferedReader(_FailingStream(data, len(data) // 3))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(source, "open", failing_open, raising=False)
    _fails(run("mse", path, _w(tmp_path, "t.npy", _saved(np.zeros(50_000)))), name)


# --- never an internal error: inputs a user may give, whatever the right answer is -----------------


@pytest.mark.parametrize(
    "files, args",
    [
        ({"d.csv": "a,b\n1,2\n3,4\n"}, ["d.csv", "--pred-col", "a", "--target-col", "a"]),
        ({"d.csv": "a,b\n" + "1,2\n" * 300_000}, ["d.csv", "--pred-col", "a", "--target-col", "a"]),
        (
            {"d.csv": "id,a,b\n" + "".join(f"r{i},1,2\n" for i in range(120_000))},
            ["d.csv", "--pred-col", "a", "--target-col", "b", "--id-col", "a"],
        ),
        ({"d.csv": "id,a,b\nx,1,2\ny,3,4\n"}, ["d.csv", "--pred-col", "a", "--target-col", "b", "--id-col", "a"]),
        (
            {"d.csv": "id,a,b,w\nx,1,2,1\ny,3,4,1\n"},
            ["d.csv", "--pred-col", "a", "--target-col", "b", "--id-col", "id", "--weight-col", "id"],
        ),
        ({"d.csv": "a,b\n1,2\n3,4\n"}, ["d.csv", "--pred-col", "a", "--target-col", "b", "--weight-col", "a"]),
        ({"q.csv": '0.5,1\n"0.7\n",1\n', "t.csv": "1,1\n1,1\n"}, ["q.csv", "t.csv"]),
        ({"q.csv": 'a,b\n"0.5\n",1\n0.7,1\n'}, ["q.csv", "--pred-col", "a", "--target-col", "b"]),
        ({"q.csv": 'a,b\n"x\ny",1\n0.7,1\n'}, ["q.csv", "--pred-col", "a", "--target-col", "b"]),
        ({"q.csv": '"0.5\n0.7\n', "t.csv": "1\n1\n"}, ["q.csv", "t.csv"]),
        ({"h.csv": "0x1p-1\n0.7\n", "t.csv": "1\n1\n"}, ["h.csv", "t.csv"]),
        ({"p.csv": "0.5\n0.7\n"}, ["p.csv", "p.csv", "--top", "99999999999999999999"]),
        ({"p.csv": "0.5\n0.7\n"}, ["p.csv", "p.csv", "--max-rows", "99999999999999999999"]),
        ({"j.json": '{"a": [1, 2], "b": [[1, 2], [2]]}'}, ["j.json:b", "j.json:a"]),
        ({"j.json": '{"a": {"x": 1}, "b": {"y": [1]}}'}, ["j.json", "j.json"]),
    ],
    ids=[
        "pred-col-equals-target-col",
        "pred-col-equals-target-col-1MB",
        "id-col-equals-pred-col-1MB",
        "id-col-equals-pred-col",
        "weight-col-equals-id-col",
        "weight-col-equals-pred-col",
        "quoted-newline-two-files",
        "quoted-newline-one-file",
        "quoted-newline-in-text",
        "unclosed-quote",
        "hex-float",
        "huge-top",
        "huge-max-rows",
        "json-ragged-array",
        "json-nested-mixed",
    ],
)
def test_never_an_internal_error(run, tmp_path, monkeypatch, files, args):
    monkeypatch.chdir(tmp_path)
    for name, text in files.items():
        _w(tmp_path, name, text)
    before = _state(tmp_path)
    _no_crash(run("mse", *args, "-f", "value"))
    assert _state(tmp_path) == before


@pytest.mark.parametrize("per_output_root", [False, True])
def test_rmse_gradient_where_predictions_equal_targets(run, tmp_path, per_output_root):
    """sqrt'(0) does not exist; --grad on a perfect fit must still be an answer, not a crash (exit 70)."""
    path = _w(tmp_path, "p.csv", "0.5,0.25\n0.75,0.5\n")
    extra = ["--per-output-root"] if per_output_root else []
    result = run("rmse", path, path, "--grad", "-f", "json", "--level", "element", *extra)
    _no_crash(result)
    assert result.exit_code == 0


@pytest.mark.parametrize("max_rows", [3, 5, 7])
def test_odd_max_rows_on_a_table(run, max_rows):
    """Found by the fuzz run: --max-rows 3 on the 9 samples of binary_preds.csv crashed (KeyError, exit 70)."""
    result = run("mse", SAMPLES / "binary_preds.csv", SAMPLES / "binary_targets.csv", "--max-rows", max_rows)
    assert (result.exit_code, result.stderr) == (0, ""), result.stderr


def test_a_note_does_not_join_an_error(run, tmp_path):
    """A failure is one line: no 'losscli: note:' line above the error."""
    preds = _w(tmp_path, "p.csv", "0.5\n0.7\n")
    labels = _w(tmp_path, "lab.csv", "0\n1\n")  # an ambiguous first row: a note says how it was read
    _fails(run("mse", preds, labels, "--baseline", _baseline(tmp_path, value=None)), "b.json", "null")
    _fails(run("mse", preds, labels, "-o", "/dev/full"), "--output", "/dev/full")


def test_parquet_with_pandas_metadata_that_is_not_an_object(run, tmp_path):
    """Metadata that is not pandas' object is no index, as metadata that is not JSON already is."""
    pa = _pa()
    table = pa.table({"p": [0.5, 0.7], "t": [0.5, 0.7]}).replace_schema_metadata({b"pandas": b"[1, 2]"})
    path = _parquet(tmp_path, "meta.parquet", table)
    result = run("mse", path, "--pred-col", "p", "--target-col", "t", "-f", "value")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "0.0\n", "")


def test_npz_read_with_pred_col(run, tmp_path):
    path = _zip(tmp_path, "two.npz", {"p.npy": _saved(np.arange(4.0)), "t.npy": _saved(np.arange(4.0) + 1)})
    result = run("mse", path, "--pred-col", "p", "--target-col", "t", "-f", "value")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "1.0\n", "")


@pytest.mark.parametrize(
    "text",
    ["1" * 200_000, "0." + "1" * 200_000, "1" * 100_000 + "e" + "1" * 100_000, "-" * 200_000, "1." * 100_000],
    ids=["digits", "decimals", "exponent", "dashes", "dots"],
)
@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_a_200kb_number_parses_in_linear_time(run, tmp_path, text, fmt):
    cell = {"csv": text, "json": f"[{text}]", "jsonl": text}[fmt]
    path = _w(tmp_path, f"long.{fmt}", cell + "\n")
    start = time.perf_counter()
    result = run("mse", path, _w(tmp_path, "t.csv", "1\n"), "-f", "value")
    assert time.perf_counter() - start < 5
    _no_crash(result)


# --- checks on values that are not finite; strict JSON ------------------------------------------


@pytest.fixture
def overflowing(tmp_path):
    """Predictions and targets whose squared error overflows to inf."""
    return _w(tmp_path, "big.csv", "1e308\n1e308\n"), _w(tmp_path, "nbig.csv", "-1e308\n-1e308\n")


def test_inf_value_fails_fail_above(run, overflowing):
    result = run("mse", *overflowing, "-f", "value", "--fail-above", "1")
    assert result.exit_code == 1
    assert "not a finite number" in result.stderr
    assert "Warning" not in result.stderr


def test_inf_value_fails_fail_below(run, overflowing):
    result = run("mse", *overflowing, "-f", "value", "--fail-below", "1e300")
    assert result.exit_code == 1
    assert "not a finite number" in result.stderr


def test_nan_value_fails_every_threshold(run, tmp_path):
    path = _w(tmp_path, "p.csv", "0.5\n0.7\n")
    result = run("gaussian_nll", path, path, "--var", "0", "--eps", "0", "-f", "value", "--fail-below", "-1e300")
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert "not a finite number" in result.stderr


def test_inf_value_fails_a_baseline(run, tmp_path, overflowing):
    result = run("mse", *overflowing, "-f", "value", "--baseline", _baseline(tmp_path), "--tolerance", "100%")
    assert result.exit_code == 1
    assert "not a finite number" in result.stderr


def _strict(text: str):
    def refuse(constant):
        raise ValueError(f"not strict JSON: {constant}")

    return loaded(text, parse_constant=refuse)


@pytest.mark.parametrize(
    "extra", [[], ["--grad"], ["--compare"], ["-r", "samples"], ["-r", "none", "--top", "2"]], ids=str
)
def test_json_output_is_strict_when_values_are_not_finite(run, overflowing, extra):
    result = run("mse", *overflowing, "-f", "json", "--level", "element", *extra)
    assert result.exit_code == 0, result.stderr
    data = _strict(result.stdout)
    if isinstance(data, dict):  # --compare -f json is its list of framework rows
        assert data["value"] is None and data["non_finite"]


def test_jsonl_output_is_strict_when_values_are_not_finite(run, overflowing):
    result = run("mse", *overflowing, "-f", "jsonl")
    assert result.exit_code == 0
    for line in result.stdout.splitlines():
        _strict(line)


def test_saved_baseline_is_strict_json(run, tmp_path, overflowing):
    out = tmp_path / "saved.json"
    result = run("mse", *overflowing, "-f", "value", "--save-baseline", out)
    assert result.exit_code == 0
    _strict(out.read_text())


# --- config files ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, text, fragments",
    [
        ("pyproject.toml", "[tool]\nlosscli = 5\n", ["pyproject.toml", "[tool.losscli]"]),
        ("pyproject.toml", "[tool.losscli]\nbaseline = 5\n", ["pyproject.toml", "baseline"]),
        ("losscli.toml", "baseline = 5\n", ["losscli.toml", "baseline"]),
        ("losscli.toml", "losscli = 5\n", ["losscli.toml", "losscli"]),
        ("pyproject.toml", "[tool.losscli]\nfail-above = nan\n", ["pyproject.toml", "fail-above", "not a finite"]),
        ("losscli.toml", "fail-above = inf\n", ["losscli.toml", "fail-above", "not a finite"]),
        ("losscli.toml", "fail_below = 1e400\n", ["losscli.toml", "fail-below", "not a finite"]),
        ("losscli.toml", 'fail-below = "x"\n', ["losscli.toml", "fail-below"]),
        ("losscli.toml", "fail-above = true\n", ["losscli.toml", "fail-above"]),
        ("losscli.toml", "tolerance = [1]\n", ["losscli.toml", "tolerance"]),
        ("losscli.toml", "colour = 1\n", ["losscli.toml", "colour"]),
        ("losscli.toml", "[losscli\n", ["losscli.toml", "not valid TOML"]),
        ("pyproject.toml", "[tool.losscli\n", ["pyproject.toml", "not valid TOML"]),
        ("losscli.toml", b"fail-above = 1 # \xff\n", ["losscli.toml"]),
        ("losscli.toml", 'baseline = "missing.json"\n', ["missing.json", "no such file"]),
        # a bad tolerance from a config file names the file, not a flag that was never given
        ("losscli.toml", 'baseline = "b.json"\ntolerance = "nan"\n', ["losscli.toml", "tolerance"]),
        ("losscli.toml", 'baseline = "b.json"\ntolerance = inf\n', ["losscli.toml", "tolerance"]),
        ("pyproject.toml", '[tool.losscli]\nbaseline = "b.json"\ntolerance = "-5%"\n', ["pyproject.toml", "tolerance"]),
    ],
)
def test_bad_config(run, tmp_path, monkeypatch, name, text, fragments):
    monkeypatch.chdir(tmp_path)
    _baseline(tmp_path)
    _w(tmp_path, name, text)
    before = _state(tmp_path)
    _fails(run(*_samples(), "-f", "value"), *fragments)
    assert _state(tmp_path) == before


def test_config_that_is_a_symlink_loop(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.symlink("losscli.toml", tmp_path / "losscli.toml")
    _fails(run(*_samples(), "-f", "value"), "losscli.toml", "cannot be read")


@pytest.mark.parametrize("error", [errno.EACCES, errno.EIO])
def test_unreadable_config(run, tmp_path, monkeypatch, error):
    from losscli.io import documents  # settings files are opened there, checked for kind and size

    monkeypatch.chdir(tmp_path)
    _w(tmp_path, "losscli.toml", "fail-above = 1\n")
    real_open = os.open

    def refuse(path, flags, *args, **kwargs):
        if str(path).endswith("losscli.toml"):
            raise OSError(error, os.strerror(error), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(documents.os, "open", refuse)
    _fails(run(*_samples(), "-f", "value"), "losscli.toml", "cannot be read")


# --- output traps: never over an input, never over anything but a regular file --------------------


def _role(d: Path, role: str, ext: str) -> tuple[list[str], str]:
    """(the command, the name of the input the role reads) in folder ``d``, the input named ``in.EXT``."""
    _w(d, "p.csv", "0.5\n0.7\n")
    _w(d, "t.csv", "0.4\n0.9\n")
    _w(d, "lab.csv", "0\n1\n")
    _w(d, "prob.csv", "0.5,0.5\n0.2,0.8\n")
    name = f"in.{ext}"
    fmt = [] if ext in ("csv", "json") else ["--input-format", "csv"]
    commands = {
        "PREDS": (["mse", name, "t.csv"], "0.5\n0.7\n"),
        "TARGETS": (["mse", "p.csv", name], "0.4\n0.9\n"),
        "--weights": (["mse", "p.csv", "t.csv", "--weights", name], "1\n2\n"),
        "--baseline": (
            ["mse", "p.csv", "t.csv", "--baseline", name],
            json.dumps({"loss": "mse", "reduce": "all", "value": 1}),
        ),
        "--class-weights": (["sparse_cce", "prob.csv", "lab.csv", "--class-weights", name], "1\n2\n"),
        "--var": (["gaussian_nll", "p.csv", "t.csv", "--var", name], "1\n1\n"),
        "--pos-weight": (["bce", "p.csv", "lab.csv", "--from-logits", "--pos-weight", name], "2\n"),
    }
    args, text = commands[role]
    _w(d, name, text)
    return args + fmt, name


def _reach(d: Path, name: str, via: str) -> str:
    """A path to ``name`` in ``d`` that is not spelled ``name``."""
    if via == "same":
        return name
    if via == "dot":
        return f"./{name}"
    if via == "absolute":
        (d / "sub").mkdir(exist_ok=True)
        return str(d / "sub" / ".." / name)
    link = f"link-{via}{Path(name).suffix}"
    if via == "symlink":
        os.symlink(name, d / link)
    else:
        os.link(d / name, d / link)
    return link


ROLES = ["PREDS", "TARGETS", "--weights", "--baseline", "--class-weights", "--var", "--pos-weight"]
VIAS = ["same", "dot", "absolute", "symlink", "hardlink"]


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("flag", ["--output", "--save-baseline", "--plot"])
def test_no_output_over_an_input(run, tmp_path, monkeypatch, flag, role, via):
    monkeypatch.chdir(tmp_path)
    ext = "png" if flag == "--plot" else ("json" if role == "--baseline" else "csv")
    args, name = _role(tmp_path, role, ext)
    target = _reach(tmp_path, name, via)
    before = _state(tmp_path)
    _fails(run(*args, flag, target), flag, "one of the inputs")
    assert _state(tmp_path) == before


def test_no_output_over_a_baseline_named_in_the_config(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _baseline(tmp_path)
    _w(tmp_path, "losscli.toml", 'baseline = "b.json"\ntolerance = "100%"\n')
    before = _state(tmp_path)
    _fails(run(*_samples(), "-o", "./b.json"), "--output", "one of the inputs")
    assert _state(tmp_path) == before


def test_no_output_over_an_npz_archive_read_by_key(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _zip(tmp_path, "a.npz", {"p.npy": _saved(np.zeros(2)), "t.npy": _saved(np.ones(2))})
    before = _state(tmp_path)
    _fails(run("mse", "a.npz:p", "a.npz:t", "-o", "a.npz"), "--output", "one of the inputs")
    _fails(run("mse", "a.npz", "--pred-col", "p", "--target-col", "t", "--save-baseline", "./a.npz"), "one of")
    assert _state(tmp_path) == before


@pytest.mark.parametrize("flag", ["--output", "--save-baseline"])
def test_output_to_dev_null(run, tmp_path, flag):
    result = run("mse", _two(tmp_path, "p.csv"), _two(tmp_path), "-f", "value", flag, os.devnull)
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def _fifo_reader(path: Path):
    read = "import sys; sys.stdout.buffer.write(open(sys.argv[1], 'rb').read())"
    return subprocess.Popen([sys.executable, "-c", read, str(path)], stdout=subprocess.PIPE)


def _release(path: Path, reader) -> bytes:
    """What the reader got; a reader still waiting for a writer is let go (or killed)."""
    if path.exists() and stat.S_ISFIFO(os.lstat(path).st_mode):
        with contextlib.suppress(OSError):
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    try:
        data, _ = reader.communicate(timeout=2)
    except subprocess.TimeoutExpired:
        reader.kill()
        data, _ = reader.communicate()
    return data


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize(
    "flag, name, start",
    [("--output", "out", b"0.0"), ("--save-baseline", "out", b"["), ("--plot", "out.png", b"\x89PNG")],
)
def test_output_to_a_fifo_writes_into_it(run, tmp_path, flag, name, start):
    fifo = tmp_path / name
    os.mkfifo(fifo)
    reader = _fifo_reader(fifo)
    try:
        result = run("mse", _two(tmp_path, "p.csv"), _two(tmp_path), "-f", "value", flag, fifo)
    finally:
        data = _release(fifo, reader)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode), (
        f"{flag} replaced the FIFO with a {stat.filemode(os.lstat(fifo).st_mode)}"
    )
    assert _temporaries(tmp_path) == []
    if result.exit_code == 0:
        assert data.startswith(start)
    else:
        _fails(result, flag)


def test_plot_through_a_symlink_to_dev_null(run, tmp_path):
    """A device reached through a link is written to in place or refused; the link is not replaced."""
    link = tmp_path / "out.png"
    os.symlink(os.devnull, link)
    result = run("mse", _two(tmp_path, "p.csv"), _two(tmp_path), "-f", "value", "--plot", link)
    assert result.exit_code in (0, 2), result.stderr
    assert link.is_symlink() and os.readlink(link) == os.devnull
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


@pytest.mark.parametrize("flag", ["--output", "--save-baseline"])
def test_output_through_a_symlink_keeps_the_link(run, tmp_path, flag):
    """The link is no regular file: the file it names is written (atomically), the link stays a link."""
    _w(tmp_path, "real.txt", "old\n")
    link = tmp_path / "latest.txt"
    os.symlink("real.txt", link)
    result = run("mse", _two(tmp_path, "p.csv"), _two(tmp_path), "-f", "value", flag, link)
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink(), f"{flag} replaced the symlink with a regular file"
    assert (tmp_path / "real.txt").read_text() != "old\n"


@pytest.mark.parametrize("flag, name", [("--output", "d"), ("--save-baseline", "d"), ("--plot", "d.png")])
def test_output_to_a_directory(run, tmp_path, flag, name):
    (tmp_path / name).mkdir()
    _two(tmp_path, "p.csv")
    _two(tmp_path)
    before = _state(tmp_path)
    _fails(run("mse", tmp_path / "p.csv", tmp_path / "t.csv", flag, tmp_path / name), flag, "directory")
    assert _state(tmp_path) == before


@pytest.mark.parametrize(
    "flag, target",
    [
        ("--output", "/proc/losscli-hostile.txt"),
        ("--save-baseline", "/proc/losscli-hostile.json"),
        ("--plot", "/proc/losscli-hostile.png"),
        ("--output", "/dev/full"),
        ("--save-baseline", "/dev/full"),
        ("--output", "/nonexistent-folder/out.txt"),
    ],
)
def test_output_that_cannot_be_written(run, tmp_path, flag, target):
    if not os.path.exists(target if target == "/dev/full" else os.path.dirname(target)) and "nonexistent" not in target:
        pytest.skip(f"no {target} here")
    _fails(run("mse", _two(tmp_path, "p.csv"), _two(tmp_path), "-f", "value", flag, target), flag, target)


# --- hostile environments: a real process ------------------------------------------------------------


@pytest.fixture
def small(tmp_path):
    return _w(tmp_path, "p.csv", "0.5,0.1\n0.7,0.2\n"), _w(tmp_path, "t.csv", "0.4,0.1\n0.9,0.3\n")


@pytest.mark.parametrize("fmt", ["table", "json", "value"])
def test_stdout_closed(small, fmt):
    result = _cli("mse", *small, "-f", fmt, close=(1,))
    assert result.returncode == 2, result.stderr
    assert "standard output is closed" in _one_line(result.stderr.decode())


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("fmt", ["table", "csv", "value"])
def test_stdout_on_a_full_disk(small, fmt):
    with open("/dev/full", "wb") as full:
        result = _cli("mse", *small, "-f", fmt, stdout=full)
    assert result.returncode == 2
    assert "No space left" in _one_line(result.stderr.decode())


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_quiet_run_on_a_full_disk_is_fine(small):
    with open("/dev/full", "wb") as full:
        result = _cli("mse", *small, "--quiet", stdout=full)
    assert (result.returncode, result.stderr) == (0, b"")


def test_input_error_with_stderr_closed_is_exit_2(tmp_path):
    result = _cli("mse", tmp_path / "nope.csv", tmp_path / "nope.csv", close=(2,))
    assert result.returncode == 2
    assert result.stdout == b""


def test_check_failure_with_stderr_closed_is_exit_1(small):
    result = _cli("mse", *small, "-f", "value", "--fail-above", "0", close=(2,))
    assert result.returncode == 1


def test_stdin_closed(small):
    result = _cli("mse", "-", small[1], close=(0,))
    assert result.returncode == 2
    assert "standard input" in _one_line(result.stderr.decode())


@pytest.mark.parametrize(
    "extra", [[], ["--explain", "--top", "2"], ["--grad"], ["-f", "markdown"], ["--compare"]], ids=str
)
def test_ascii_stdout_encoding(small, extra):
    result = _cli("mse", *small, *extra, env=_env(PYTHONIOENCODING="ascii"))
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    assert result.stdout


def test_c_locale(small):
    result = _cli("mse", *small, "--explain", env=_env(LANG="C", LC_ALL="C"))
    assert (result.returncode, result.stderr) == (0, b"")


def test_ascii_stderr_with_a_non_ascii_file_name(tmp_path):
    result = _cli("mse", tmp_path / "prédictions.csv", tmp_path / "t.csv", env=_env(PYTHONIOENCODING="ascii"))
    assert result.returncode == 2
    assert "no such file" in _one_line(result.stderr.decode("ascii", "replace"))


def test_heatmap_on_inf_terms(tmp_path):
    p = _w(tmp_path, "p.csv", "1e308,1\n1,2\n")
    t = _w(tmp_path, "t.csv", "-1e308,0\n0,0\n")
    result = _cli("mse", p, t, "--top", "2", "--grad", "--explain", env=_env(FORCE_COLOR="1", TERM="xterm-256color"))
    assert (result.returncode, result.stderr) == (0, b"")
    assert b"\x1b[" in result.stdout  # it was a heatmap


def test_header_only_csv_with_pred_col_warns_nothing(tmp_path):
    path = _w(tmp_path, "ho.csv", "a,b\n")
    result = _cli("mse", path, "--pred-col", "a", "--target-col", "b", env=_env(PYTHONWARNINGS="always"))
    assert result.returncode == 2
    assert "holds no numbers" in _one_line(result.stderr.decode())


def test_npy_header_written_by_python_2_warns_nothing(tmp_path):
    """Found by the fuzz run: numpy warns (UserWarning) about a Python 2 header ('2L'): never on stderr."""
    path = _w(
        tmp_path, "py2.npy", _npy(header="{'descr': '<f8', 'fortran_order': False, 'shape': (2L,), }", body=b"\0" * 16)
    )
    result = _cli("mse", path, path, "-f", "value")
    assert result.returncode in (0, 2), result.stderr
    if result.returncode == 0:
        assert result.stderr == b""
    else:
        _one_line(result.stderr.decode())


def test_an_unforeseen_crash_is_one_line_exit_70(run, monkeypatch):
    """Whatever escapes every known error: one line that says it is a bug and where to report it."""
    from losscli.io import source

    def crash(*args, **kwargs):
        raise RuntimeError("an error nobody foresaw")

    monkeypatch.setattr(source, "open_file", crash)
    result = run(*_samples())
    assert result.exit_code == 70
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("losscli: error: ")
    assert "bug" in lines[0] and "https://" in lines[0] and "Traceback" not in result.stderr


def test_no_runtime_warning_on_stderr(tmp_path):
    p = _w(tmp_path, "p.csv", "1e308,1e-308\n1e308,-1e308\n")
    t = _w(tmp_path, "t.csv", "-1e308,1e308\n-1e308,5e-324\n")
    for loss, extra in (
        ("mse", ["-f", "json", "--level", "element", "--grad"]),
        ("log_cosh", ["--explain"]),
        ("smape", ["--top", "2"]),
    ):
        result = _cli(loss, p, t, *extra, env=_env(PYTHONWARNINGS="always::RuntimeWarning"))
        assert result.returncode == 0, (loss, result.stderr)
        assert result.stderr == b"", (loss, result.stderr)


@pytest.mark.parametrize(
    "rows, extra",
    [(1200, ["--max-rows", "100000"]), (20_000, ["-f", "csv", "--level", "element"]), (20_000, ["-f", "jsonl"])],
    ids=["table", "csv", "jsonl"],
)
def test_broken_pipe(tmp_path, rows, extra):
    values = np.random.default_rng(0).random((rows, 10))
    np.save(tmp_path / "p.npy", values)
    np.save(tmp_path / "t.npy", values[::-1])
    process = subprocess.Popen(
        _losscli("mse", tmp_path / "p.npy", tmp_path / "t.npy", *extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read()
    assert process.wait(timeout=60) == 0
    assert stderr == b""


def _slow_feeder(process, started: threading.Event, stop: threading.Event):
    """Keep the process reading stdin: 256 KiB at once (which returns only once it is reading), then a line
    now and then, never the end."""
    try:
        process.stdin.write(b"0.5\n" * 65536)
        process.stdin.flush()
        started.set()
        while not stop.is_set():
            process.stdin.write(b"0.5\n" * 100)
            process.stdin.flush()
            time.sleep(0.05)
    except (BrokenPipeError, ValueError, OSError):
        started.set()


def _interrupt_while_reading(tmp_path, sig, extra=()):
    target = _w(tmp_path, "t.csv", "0.5\n")
    process = subprocess.Popen(
        _losscli("mse", "-", target, "-o", tmp_path / "out.csv", *extra),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=_env(),
    )
    started, stop = threading.Event(), threading.Event()
    feeder = threading.Thread(target=_slow_feeder, args=(process, started, stop), daemon=True)
    feeder.start()
    assert started.wait(60), "losscli never read its stdin"
    time.sleep(0.3)  # well past start-up: blocked reading stdin
    process.send_signal(sig)
    try:
        _, stderr = process.communicate(timeout=30)
    finally:
        stop.set()
    return process.returncode, stderr.decode()


def test_sigint_while_reading_exits_130(tmp_path):
    code, stderr = _interrupt_while_reading(tmp_path, signal.SIGINT)
    assert code == 130, stderr
    assert "Traceback" not in stderr
    assert _temporaries(tmp_path) == [] and not (tmp_path / "out.csv").exists()


def test_sigint_while_reading_says_interrupted(tmp_path):
    code, stderr = _interrupt_while_reading(tmp_path, signal.SIGINT)
    assert code == 130
    assert "interrupted" in _one_line(stderr)


def test_sigterm_while_reading_leaves_nothing(tmp_path):
    code, stderr = _interrupt_while_reading(tmp_path, signal.SIGTERM)
    assert code in (-signal.SIGTERM, 128 + signal.SIGTERM), (code, stderr)
    assert "Traceback" not in stderr
    assert _temporaries(tmp_path) == [] and not (tmp_path / "out.csv").exists()


def _signal_during_write(tmp_path, sig, rows=200_000):
    """Start a run whose --output is large, send ``sig`` the moment its temporary file appears."""
    values = np.random.default_rng(1).random((rows, 10))
    np.save(tmp_path / "p.npy", values)
    np.save(tmp_path / "t.npy", values[::-1])
    out = tmp_path / "out.json"
    out.write_text("old\n")
    process = subprocess.Popen(
        _losscli("mse", "p.npy", "t.npy", "-f", "json", "--level", "element", "-o", "out.json"),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    seen = False
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        if any(name.startswith(".out.json.") for name in os.listdir(tmp_path)):
            process.send_signal(sig)
            seen = True
            break
    _, stderr = process.communicate(timeout=60)
    return seen, process.returncode, stderr.decode(), out


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_while_writing_the_output_leaves_no_temporary_file(tmp_path, sig):
    for rows in (200_000, 400_000):
        seen, code, stderr, out = _signal_during_write(tmp_path, sig, rows)
        if seen:
            break
    else:
        pytest.skip("the output was written before its temporary file could be seen")
    assert _temporaries(tmp_path) == [], "a temporary file survived the signal"
    assert "Traceback" not in stderr
    assert out.read_text() in ("old\n",) or _strict(out.read_text())  # the old file, or the whole new one
    if code != 0:  # the signal may land after the rename
        assert code == (130 if sig == signal.SIGINT else -signal.SIGTERM) or code == 128 + sig, (code, stderr)


def test_ctrl_c_during_start_up(tmp_path, small):
    """SIGINT at several points of start-up: exit 130 and one line, or (too late) a finished run."""
    start = time.monotonic()
    assert _cli("mse", *small, "-f", "value").returncode == 0
    whole = time.monotonic() - start
    outcomes = []
    for fraction in (0.3, 0.45, 0.6, 0.75):
        process = subprocess.Popen(
            _losscli("mse", *small, "-f", "value"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env()
        )
        time.sleep(whole * fraction)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
        outcomes.append((fraction, process.returncode, stderr.decode()))
    for _fraction, code, stderr in outcomes:
        if code == 0:
            continue  # the run had finished
        if code == -signal.SIGINT and not stderr:
            continue  # killed by the signal itself (before Python's handler, or while exiting): a shell says 130
        assert code == 130, outcomes
        assert "interrupted" in _one_line(stderr), outcomes


def test_npy_fortran_claim_on_a_real_stdin(tmp_path):
    """Through a pipe the size is unknown: the claim of 800 GB must be refused by what arrives, not allocated."""
    target = _w(tmp_path, "t.npy", _saved(np.zeros((2, 2))))
    data = _npy((10**6, 10**5), fortran=True, body=b"\0" * 64)
    result = _cli("mse", "-", target, input=data)
    assert result.returncode == 2, result.stderr
    line = _one_line(result.stderr.decode())
    assert "<stdin>" in line and "claims" in line, line


def _peak_rss_mb(args, cwd) -> tuple[float, int]:
    """Peak resident memory (MiB) and exit status of one losscli run."""
    with open(cwd / "stdout.txt", "wb") as out, open(cwd / "stderr.txt", "wb") as err:
        process = subprocess.Popen(_losscli(*args), cwd=cwd, stdout=out, stderr=err, env=_env())
        timer = threading.Timer(120, process.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024, process.returncode


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux")
def test_memory_of_a_wide_csv_is_bounded(tmp_path):
    """A 1.6 MB file of 5 rows and 80,000 columns must not take hundreds of MiB (a 4 MB one took 9 GiB)."""
    _w(tmp_path, "small.csv", "0.5,0.5\n")
    baseline, code = _peak_rss_mb(["mse", "small.csv", "small.csv", "-f", "value"], tmp_path)
    assert code == 0
    _w(tmp_path, "wide.csv", (",".join(["0.5"] * 80_000) + "\n") * 5)
    size_mb = (tmp_path / "wide.csv").stat().st_size / 2**20
    peak, code = _peak_rss_mb(["mse", "wide.csv", "wide.csv", "-f", "value"], tmp_path)
    assert code in (0, 2)
    assert peak - baseline < 100 + 50 * size_mb, f"peak {peak:.0f} MiB vs {baseline:.0f} MiB for a tiny file"


def test_the_temporary_output_is_known_to_the_sigterm_handler_before_it_exists(tmp_path, monkeypatch):
    """A SIGTERM the moment the temporary file appears must find it to remove: the handler is in
    place and the name registered when the file is created (mkstemp first left a moment when
    SIGTERM killed the process and the file survived; CI saw it once)."""
    from losscli.io import write

    seen = []
    real_open = os.open

    def watching_open(path, flags, *args):
        if str(path).endswith(".tmp"):
            seen.append((signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, None), path in write._TEMPORARY))
        return real_open(path, flags, *args)

    monkeypatch.setattr(write.os, "open", watching_open)
    write.write_atomically(str(tmp_path / "out.txt"), "new\n")
    assert seen == [(True, True)]
    assert (tmp_path / "out.txt").read_text() == "new\n" and sorted(os.listdir(tmp_path)) == ["out.txt"]
