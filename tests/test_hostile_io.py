"""A second hostile pass over what losscli runs, writes and holds (issue 18): code run from the
current folder, another local user let in, outputs that replace inputs through links and races,
temporary files left behind, memory that grows with the input where the README says it is
bounded, terminal escapes, and out-of-memory reported as a bug.

Each test states the attack, what must hold, and fails without its fix. The ones that need a real
process (signals, the current folder, peak memory, Dask) run losscli as a subprocess.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SAMPLES
from test_hostile import _cli, _env, _losscli, _one_line, _state

PREDS = SAMPLES / "preds.csv"
TARGETS = SAMPLES / "targets.csv"
SEED_MSE = "0.02350000000000001\n"  # the README's seed example, --reduce all
LINUX = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")


# --- --dask: no code from the folder, no port, bounded, nothing left behind -----------------------


def _console_script() -> list[str]:
    """losscli as a user starts it: the installed script, which (unlike ``python -m``) does not put
    the current folder on sys.path."""
    script = Path(sys.executable).with_name("losscli")
    if not script.exists():
        pytest.skip("the losscli script is not installed next to this Python")
    return [str(script)]


def _copy_seed(folder: Path) -> None:
    shutil.copy(PREDS, folder / "preds.csv")
    shutil.copy(TARGETS, folder / "targets.csv")


def test_dask_runs_no_module_of_the_current_folder_and_leaves_no_scratch(tmp_path):
    """A cloned repository with a ``multiprocessing.py`` (any module shadowing the standard
    library): a --dask run there must not execute it (spawned workers ran ``python -c``, which
    puts the folder first on sys.path), and must leave nothing behind: no dask-scratch-space in
    the folder or in the temporary folder."""
    pytest.importorskip("distributed")
    work, scratch = tmp_path / "repo", tmp_path / "tmp"
    work.mkdir()
    scratch.mkdir()
    _copy_seed(work)
    planted = "import os\nopen(os.path.join(os.getcwd(), 'RAN-%d' % os.getpid()), 'w').close()\n"
    for module in ("multiprocessing.py", "runpy.py"):
        (work / module).write_text(planted)
    before = _state(work)
    done = subprocess.run(
        [*_console_script(), "mse", "preds.csv", "targets.csv", "--dask", "--jobs", "2", "-f", "value"],
        cwd=work,
        env=_env(TMPDIR=str(scratch)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, SEED_MSE, "")
    assert _state(work) == before, "a module of the folder ran, or something was left in it"
    assert os.listdir(scratch) == []


def _listening_sockets(pid: int) -> set[str]:
    """The TCP sockets in LISTEN state that process ``pid`` holds."""
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as rows:
            for row in list(rows)[1:]:
                fields = row.split()
                if fields[3] == "0A":
                    listening.add(f"socket:[{fields[9]}]")
    held = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):  # closed since it was listed
            held.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
    return held & listening


@LINUX
def test_the_local_dask_cluster_listens_on_no_port(tmp_path):
    """The local cluster's scheduler took tasks (functions) on a TCP port of 127.0.0.1 from any local
    user. While a --dask run works (its worker blocked on a FIFO shard), the process listens on no
    port at all."""
    pytest.importorskip("distributed")
    for role in ("p", "t"):
        (tmp_path / role).mkdir()
        (tmp_path / role / "part-0.csv").write_text("0.5\n0.25\n")
    (tmp_path / "t" / "part-1.csv").write_text("1.0\n")
    fifo = tmp_path / "p" / "part-1.csv"
    os.mkfifo(fifo)
    process = subprocess.Popen(
        _losscli("mse", tmp_path / "p", tmp_path / "t", "--dask", "--jobs", "2", "-f", "value"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    try:
        deadline = time.monotonic() + 60
        while True:  # a FIFO opens for writing (non-blocking) once its reader, the worker, opened it
            try:
                writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError:
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline, "the worker never opened the FIFO shard"
                time.sleep(0.05)
        open_ports = _listening_sockets(process.pid)
        os.write(writer, b"0.5\n")
        os.close(writer)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
        process.wait()
    assert open_ports == set(), "the local cluster listens on a port"
    assert (process.returncode, err.decode()) == (0, "")
    assert out.decode() == f"{0.25 / 3!r}\n"  # one sample off by 0.5 of three: (0.5 - 1.0)^2 / 3


def test_dask_gives_up_on_a_scheduler_that_never_answers(tmp_path):
    """A listener that accepts the connection and never answers (Dask's timeout covers the TCP
    connection, not the scheduler's first answer): one line and exit 2, in bounded time."""
    pytest.importorskip("distributed")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    try:
        started = time.monotonic()
        done = _cli(
            "mse",
            PREDS,
            TARGETS,
            "--dask",
            f"tcp://127.0.0.1:{port}",
            cwd=tmp_path,
            env=_env(DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="1s"),
            timeout=60,
        )
        took = time.monotonic() - started
    finally:
        listener.close()
    line = _one_line(done.stderr.decode())
    assert done.returncode == 2 and done.stdout == b""
    assert f"--dask tcp://127.0.0.1:{port}: cannot reach the scheduler (no answer within 1 s)" in line
    assert took < 30
    assert os.listdir(tmp_path) == []
