"""The digests of signatures and states are sha256 whichever implementation computes them
(io/digests.py: CPython's own module for small inputs, OpenSSL's through hashlib for large ones)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from losscli.io import digests


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 1000, digests.SMALL, digests.SMALL + 1])
def test_each_implementation_gives_hashlibs_digest(tmp_path, size):
    data = np.random.default_rng(size).bytes(size)
    path = tmp_path / "input.bin"
    path.write_bytes(data)
    assert digests.file_digest(str(path)) == hashlib.sha256(data).hexdigest()
    hasher = digests.sha256(size)
    hasher.update(data)
    assert hasher.hexdigest() == hashlib.sha256(data).hexdigest()


def test_small_inputs_do_not_load_openssl():
    """The reason for the split: hashlib's import loads OpenSSL (2-5 ms of a small run's start)."""
    import subprocess
    import sys

    code = "import sys\nfrom losscli.io.digests import sha256\nsha256(10)\nprint('_hashlib' in sys.modules)\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr


def test_the_signature_of_the_sample_names_the_files_by_their_sha256(tmp_path):
    from typer.testing import CliRunner

    from losscli.cli.app import app

    preds, targets = tmp_path / "p.csv", tmp_path / "t.csv"
    preds.write_text("1,2\n3,4\n")
    targets.write_text("1,2\n3,5\n")
    done = CliRunner().invoke(app, ["mse", str(preds), str(targets), "-f", "json"])
    assert done.exit_code == 0, done.stderr
    expected = ",".join(hashlib.sha256(p.read_bytes()).hexdigest()[:8] for p in (preds, targets))
    assert f"in:{expected}|" in done.stdout
