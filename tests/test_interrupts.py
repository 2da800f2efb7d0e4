"""Ctrl-C ends a run with status 130 and one line, every time (issue 17).

A KeyboardInterrupt that passes out of an ``eval()`` or ``exec()`` of a string on its way to losscli's
handler (Typer evaluates annotations with ``inspect``'s eval while it builds the command) sets CPython's
flag of an unhandled interrupt; the interpreter then kills itself with SIGINT at exit (status -2) though
the interrupt was handled. About one run in five of tests/test_hostile.py's start-up test ended so.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

PROGRAMS = {
    # the interrupt inside the command, caught by run_safely: SystemExit(130) leaves main
    "in the run": "import sys\nimport losscli.cli.app as app\n"
    "def call():\n"
    "    exec('raise KeyboardInterrupt')\n"
    "app.run_command = lambda: sys.exit(app.run_safely(call))\n",
    # the interrupt while the command is built: main's own handler
    "while building": "import losscli.cli.app as app\napp.run_command = lambda: exec('raise KeyboardInterrupt')\n",
}


@pytest.mark.parametrize("where", list(PROGRAMS))
def test_an_interrupt_that_passed_through_an_eval_exits_130(tmp_path, where):
    """Run as ``python -m``, as ``python -m losscli`` runs: runpy's exit path is the one that checks the flag."""
    (tmp_path / "interrupted.py").write_text(PROGRAMS[where] + "from losscli.cli import main\nmain()\n")
    done = subprocess.run([sys.executable, "-m", "interrupted"], capture_output=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 130, (done.returncode, done.stderr)  # not -2: killed by its own SIGINT
    assert done.stderr.decode() == "losscli: error: interrupted\n"
    assert done.stdout == b""


def test_ctrl_c_while_resampling_ends_at_once_and_leaves_nothing(tmp_path):
    """SIGINT once the run is in its resamples (2,000,000 of 4,000 samples: about 30 s of work): status 130
    within a second, one line, and no output file, finished or temporary (issue 22)."""
    import os
    import signal
    import time

    import numpy as np

    rng = np.random.default_rng(0)
    np.save(tmp_path / "p.npy", rng.normal(size=4000))
    np.save(tmp_path / "t.npy", rng.normal(size=4000))
    argv = [sys.executable, "-m", "losscli", "mse", "p.npy", "t.npy", "--ci", "--resamples", "2000000"]
    running = subprocess.Popen(
        [*argv, "-f", "json", "--level", "element", "-o", "out.json"], cwd=tmp_path, stderr=subprocess.PIPE
    )
    time.sleep(3.0)  # started Python, read the inputs, resampling
    assert running.poll() is None, "the run ended before the interrupt"
    sent = time.monotonic()
    running.send_signal(signal.SIGINT)
    _, err = running.communicate(timeout=30)
    assert running.returncode == 130 and err.decode() == "losscli: error: interrupted\n"
    assert time.monotonic() - sent < 2.0
    assert sorted(os.listdir(tmp_path)) == ["p.npy", "t.npy"]
