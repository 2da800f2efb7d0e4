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
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLES
from jsonout import loaded
from test_hostile import _cli, _env, _losscli, _one_line, _state, _temporaries

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


# --- outputs never replace an input: every file read, compared by inode, at the start and the rename ----


def _shard_sets(folder: Path) -> None:
    for role in ("p", "t"):
        (folder / role).mkdir()
        for k in range(2):
            (folder / role / f"part-{k}.csv").write_text("0.5\n0.25\n" if role == "p" else "0.5\n0.5\n")


@pytest.mark.parametrize(
    "args,flag,written",
    [
        (["mse", "p/*.csv", "t/*.csv", "-o", "p/part-1.csv"], "--output", "p/part-1.csv"),
        (["mse", "p", "t", "--save-state", "t/part-0.csv"], "--save-state", "t/part-0.csv"),
        (["mse", "p/*.csv", "t", "--save-baseline", "./p/part-0.csv"], "--save-baseline", "./p/part-0.csv"),
        (["mse", "p/part-0.csv", "t/part-0.csv", "--against", "p/part-1.csv", "-o", "p/part-1.csv"], "--output", ""),
        (["mse", "p/part-0.csv", "t/part-0.csv", "--against", "p/*.csv", "-o", "p/part-1.csv"], "--output", ""),
        (["mse", "p/part-0.csv", "t/part-0.csv", "--weights", "link.csv", "-o", "p/../t/part-1.csv"], "--output", ""),
        (["gaussian_nll", "p/part-0.csv", "t/part-0.csv", "--var", "link.csv", "-o", "t/part-1.csv"], "--output", ""),
        (["mse", "p/part-0.csv", "t/part-0.csv", "--plot", "x.png", "--save-state", "t"], "--save-state", ""),
    ],
    ids=["glob", "directory", "baseline-onto-shard", "against", "against-glob", "weights-link", "var-link", "dir"],
)
def test_no_output_replaces_a_file_that_a_glob_a_directory_or_against_names(
    run, tmp_path, monkeypatch, args, flag, written
):
    """The check compared the arguments as typed: a shard of a glob or a directory, another model's
    predictions, a file reached through a link were overwritten. Every file the run reads is
    compared by device and inode."""
    monkeypatch.chdir(tmp_path)
    _shard_sets(tmp_path)
    os.symlink("t/part-1.csv", tmp_path / "link.csv")
    before = _state(tmp_path)
    out = run(*args)
    assert out.exit_code == 2, (out.exit_code, out.stdout, out.stderr)
    line = _one_line(out.stderr)
    assert flag in line and ("is one of the inputs" in line or "is a directory" in line), line
    if written:
        assert f"{flag} {written} is one of the inputs" in line
    assert out.stdout == "" and _state(tmp_path) == before


def _link_during_the_run(monkeypatch, link: Path, target: Path) -> None:
    """Make ``link`` a symbolic link to ``target`` while the pass runs: after the start-up check of
    the outputs, before the output is written."""
    from losscli.engine.run import Pass

    real_run = Pass.run

    def run_then_link(self, *args, **kwargs):
        results = real_run(self, *args, **kwargs)
        link.unlink(missing_ok=True)
        os.symlink(target, link)
        return results

    monkeypatch.setattr(Pass, "run", run_then_link)


@pytest.mark.parametrize("made_before", [False, True], ids=["new-name", "fifo-at-the-name"])
def test_a_link_made_at_the_output_name_during_the_run_is_not_followed_onto_an_input(
    run, tmp_path, monkeypatch, made_before
):
    """The outputs were checked at start-up; a link to an input made at the -o name before the final
    rename was followed (realpath, then rename), replacing the input. The destination is checked
    again where it is written; a FIFO at the name (written in place) is opened without truncating
    and checked once open."""
    preds, targets = tmp_path / "preds.csv", tmp_path / "targets.csv"
    _copy_seed(tmp_path)
    out_path = tmp_path / "out.csv"
    if made_before:
        os.mkfifo(out_path)
    _link_during_the_run(monkeypatch, out_path, preds)
    before = preds.read_bytes()
    out = run("mse", preds, targets, "-f", "value", "-o", out_path)
    assert out.exit_code == 2, (out.stdout, out.stderr)
    assert f"--output {out_path} is one of the inputs ({preds})" in _one_line(out.stderr)
    assert preds.read_bytes() == before and out_path.is_symlink()
    assert _temporaries(tmp_path) == [] and targets.read_bytes() == TARGETS.read_bytes()


def test_a_link_swapped_in_after_the_fifo_check_is_neither_truncated_nor_written(tmp_path, monkeypatch):
    """A FIFO or a device at the output's name is written in place. Between the check of what the name
    is and its opening, a link to an input put there was opened with "wb" (truncated)."""
    from losscli.io import write

    victim = tmp_path / "input.csv"
    victim.write_text("0.5\n")
    out_path = tmp_path / "out.csv"
    os.mkfifo(out_path)
    write.protect_inputs([str(victim)])
    real_special = write._special

    def special_then_swapped(path):
        answer = real_special(path)
        os.unlink(path)
        os.symlink(victim, path)
        return answer

    monkeypatch.setattr(write, "_special", special_then_swapped)
    with pytest.raises(write.UsageError, match="is one of the inputs"):
        write.write_atomically(str(out_path), "new\n")
    assert victim.read_text() == "0.5\n" and _temporaries(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="a link of another user needs root")
def test_another_users_link_in_a_sticky_folder_is_not_followed(run, tmp_path):
    """In /tmp (sticky, writable by all) another user's link at the -o name was followed: the rename
    bypasses the kernel's protected_symlinks, which open() would have applied."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    mine = tmp_path / "mine.csv"
    mine.write_text("precious\n")
    trap = shared / "out.csv"
    os.symlink(mine, trap)
    os.lchown(trap, 54321, 54321)
    out = run("mse", PREDS, TARGETS, "-f", "value", "-o", trap)
    assert out.exit_code == 2
    assert "is a link of another user (uid 54321) in a shared folder" in _one_line(out.stderr)
    assert mine.read_text() == "precious\n" and trap.is_symlink()
    os.lchown(trap, os.geteuid(), os.getegid())  # my own link there: followed, as the kernel would
    out = run("mse", PREDS, TARGETS, "-f", "value", "-o", trap)
    assert (out.exit_code, out.stderr, mine.read_text()) == (0, "", SEED_MSE)


def test_the_protected_symlinks_rule():
    """The kernel's rule (Documentation/admin-guide/sysctl/fs.rst, protected_symlinks): a link in a
    sticky world-writable folder is followed only by its owner, or when the folder's owner owns it."""
    from losscli.io.write import may_follow

    def entry(mode, uid):
        return os.stat_result((mode, 0, 0, 1, uid, uid, 0, 0, 0, 0))

    shared, private = entry(stat.S_IFDIR | 0o1777, 0), entry(stat.S_IFDIR | 0o755, 1000)
    link_of = {uid: entry(stat.S_IFLNK | 0o777, uid) for uid in (0, 1000, 2000)}
    assert not may_follow(link_of[2000], shared, uid=1000)
    assert may_follow(link_of[1000], shared, uid=1000)
    assert may_follow(link_of[0], shared, uid=1000)  # the folder's owner's link
    assert may_follow(link_of[2000], private, uid=1000)
    assert may_follow(link_of[2000], entry(stat.S_IFDIR | 0o777, 0), uid=1000)  # not sticky


# --- temporary files: every ending signal, the Ctrl-C window, the longest name ----------------------


_WRITE_AND_SIGNAL = """
import os, signal, sys
from losscli.io.write import write_atomically

class Slow:
    sent = False
    def read(self, size=-1):
        if not Slow.sent:
            Slow.sent = True
            os.kill(os.getpid(), getattr(signal, sys.argv[2]))
            return b"partial"
        return b""

write_atomically(sys.argv[1], Slow())
sys.exit(3)
"""


@pytest.mark.parametrize("name", ["SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGTERM"])
def test_every_ending_signal_while_the_output_is_written_removes_the_temporary_file(tmp_path, name):
    """Only SIGTERM removed the temporary file (hundreds of MB of a large -o); SIGHUP (a closed
    terminal), SIGQUIT, SIGUSR1, SIGALRM (a job's time limit) left it. The process still ends as the
    signal says."""
    out = tmp_path / "out.csv"
    done = subprocess.run(
        [sys.executable, "-c", _WRITE_AND_SIGNAL, str(out), name], capture_output=True, timeout=60, env=_env()
    )
    assert done.returncode == -getattr(signal, name), done.stderr
    assert os.listdir(tmp_path) == []


def test_a_real_run_killed_by_sighup_while_writing_leaves_no_temporary_file(tmp_path):
    """The same, end to end: a large -o written, SIGHUP the moment its temporary file appears."""
    from test_hostile import _signal_during_write

    seen, code, stderr, out = _signal_during_write(tmp_path, signal.SIGHUP)
    if not seen:
        pytest.skip("the output was written before its temporary file could be seen")
    assert _temporaries(tmp_path) == [], "a temporary file survived SIGHUP"
    assert code in (0, -signal.SIGHUP), (code, stderr)


_CTRL_C_AFTER_THE_FILE_IS_MADE = """
import os, sys
from losscli.io import write

real_open = os.open

def open_then_interrupted(path, flags, *args):
    fd = real_open(path, flags, *args)
    if str(path).endswith(".tmp"):
        raise KeyboardInterrupt  # Ctrl-C the moment the file exists, before anything else runs
    return fd

write.os.open = open_then_interrupted
sys.argv = ["losscli", "mse", sys.argv[1], sys.argv[2], "-f", "value", "-o", sys.argv[3]]
from losscli.cli import main
main()
"""


def test_ctrl_c_right_after_the_temporary_file_is_made_leaves_nothing(tmp_path):
    """The window the stop notes name: Ctrl-C after the temporary file was made and before the try
    that removes it (a KeyboardInterrupt raised there left the file)."""
    out = tmp_path / "out.csv"
    done = subprocess.run(
        [sys.executable, "-c", _CTRL_C_AFTER_THE_FILE_IS_MADE, str(PREDS), str(TARGETS), str(out)],
        capture_output=True,
        timeout=60,
        env=_env(),
        cwd=tmp_path,
    )
    assert done.returncode == 130, done.stderr
    assert _one_line(done.stderr.decode()) == "losscli: error: interrupted"
    assert os.listdir(tmp_path) == []


def test_an_output_name_of_254_bytes_is_written(run, tmp_path):
    """A valid name of 254 bytes was refused: its temporary name (".NAME.XXXXXXXX.tmp") is longer than
    the folder allows (NAME_MAX, 255). The temporary name is shortened to fit; the output keeps its name."""
    limit = os.pathconf(tmp_path, "PC_NAME_MAX")
    for name in ("o" * (limit - 1), "é" * ((limit - 1) // 2)):  # bytes, not characters, count
        out_path = tmp_path / name
        out = run("mse", PREDS, TARGETS, "-f", "value", "-o", out_path)
        assert (out.exit_code, out.stdout, out.stderr) == (0, "", "")
        assert out_path.read_text() == SEED_MSE
    assert _temporaries(tmp_path) == [] and len(os.listdir(tmp_path)) == 2


# --- an .npz whose directory lies ----------------------------------------------------------------


def _npz_claiming(folder: Path, inflated: int, compressed: int | None = None) -> Path:
    """An .npz whose one member is 1 MB of zeros under an .npy header that claims ``inflated`` bytes,
    its central directory claiming ``inflated`` bytes, and ``compressed`` (None: the true size)."""
    import io
    import struct
    import zipfile

    rows = (inflated - 128) // 80
    header = f"{{'descr': '<f8', 'fortran_order': False, 'shape': ({rows}, 10), }}"
    header += " " * (128 - 10 - len(header) - 1) + "\n"
    member = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + bytes(1 << 20)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("preds.npy", member)
    data = bytearray(buffer.getvalue())
    directory = data.rfind(b"PK\x01\x02")
    true = struct.unpack_from("<I", data, directory + 20)[0]
    struct.pack_into("<II", data, directory + 20, true if compressed is None else compressed, inflated)
    path = folder / "liar.npz"
    path.write_bytes(bytes(data))
    return path


def _fails_with(out) -> str:
    assert out.exit_code == 2, (out.exit_code, out.stdout, out.stderr)
    assert out.stdout == ""
    return _one_line(out.stderr)


def test_an_npz_directory_claiming_more_compressed_bytes_than_the_archive_holds_is_refused_first(run, tmp_path):
    """A member claimed 4 GiB compressed in a 2 KB archive: the inflate limit (200 times the compressed
    size) let its 3 GiB pass, the member was inflated to its end, and the error was "is damaged ()".
    The claims are checked against the archive's size before anything is inflated: one clear line."""
    liar = _npz_claiming(tmp_path, inflated=3 << 30, compressed=0xFFFF_FFF0)
    size = liar.stat().st_size
    out = run("mse", f"{liar}:preds", f"{liar}:preds", "-f", "value")
    line = _fails_with(out)
    assert f"{liar}:preds: the archive's directory claims {0xFFFF_FFF0:,} compressed bytes at offset 0" in line
    assert f"but the archive holds {size:,} bytes; it is damaged" in line


# --- --plot: matplotlib's settings from the folder --------------------------------------------------


@pytest.mark.parametrize("config_dir", [None, "."], ids=["folder-rc", "relative-MPLCONFIGDIR"])
def test_plot_ignores_a_matplotlibrc_in_the_current_folder(tmp_path, config_dir):
    """matplotlib reads ./matplotlibrc before any other: a cloned repository's ``text.usetex: True``
    made --plot exit 70 (no LaTeX), and its bad keys were written to stderr; a relative MPLCONFIGDIR
    put matplotlib's settings and font cache in the folder too. The figure is drawn with
    matplotlib's defaults: the same bytes as in a clean folder."""
    pytest.importorskip("matplotlib")
    clean, hostile = tmp_path / "clean", tmp_path / "repo"
    for folder in (clean, hostile):
        folder.mkdir()
        _copy_seed(folder)
    (hostile / "matplotlibrc").write_text("text.usetex: True\nfigure.facecolor: red\nno.such.key: 1\n")
    before = _state(hostile)
    env = _env() if config_dir is None else _env(MPLCONFIGDIR=config_dir)
    expected = _cli("mse", "preds.csv", "targets.csv", "-f", "value", "--plot", "loss.png", cwd=clean)
    done = _cli("mse", "preds.csv", "targets.csv", "-f", "value", "--plot", "loss.png", cwd=hostile, env=env)
    assert (done.returncode, done.stdout.decode(), done.stderr.decode()) == (0, SEED_MSE, "")
    assert (hostile / "loss.png").read_bytes() == (clean / "loss.png").read_bytes() and expected.returncode == 0
    (hostile / "loss.png").unlink()
    assert _state(hostile) == before, "matplotlib wrote its settings or cache in the folder"


# --- terminal escapes from the inputs: shown escaped to people, kept exact in data outputs ------------

CLEAR = "\x1b[2J\x1b]0;owned\x07"  # clear the screen, retitle the window
REORDER = "\u202e"  # right-to-left override: what follows is shown reversed


@pytest.fixture
def escaping_inputs(tmp_path):
    data = tmp_path / f"data{CLEAR}.csv"
    data.write_text(f"id,p,y,q\nok,0.5,1,0.75\n{CLEAR}{REORDER}evil\u009b,0.25,0,0.5\n")
    return data


def _no_controls(text: str) -> None:
    controls = [c for c in text if (ord(c) < 32 and c != "\n") or 0x7F <= ord(c) <= 0x9F or c == REORDER]
    assert controls == [], f"control characters reach the terminal: {controls!r}"


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_control_characters_of_ids_and_names_are_escaped_in_tables_for_people(run, escaping_inputs, fmt):
    """An id cell (or a file name) holding ESC [ 2 J and an OSC title was written raw into the table:
    on a terminal it cleared the screen and retitled the window, a U+202E reversed what followed.
    Tables and markdown show every control character as its escape."""
    out = run("mse", escaping_inputs, "--pred-col", "p", "--target-col", "y", "--id-col", "id", "-f", fmt)
    assert out.exit_code == 0, out.stderr
    _no_controls(out.stdout)
    assert "\\x1b[2J\\x1b]0;owned\\x07\\u202eevil\\x9b" in out.stdout  # the id, escaped (the file name too)


def test_control_characters_are_kept_exact_in_data_outputs(run, escaping_inputs):
    """CSV and JSON are data: the id is written as it was read."""

    common = ("mse", escaping_inputs, "--pred-col", "p", "--target-col", "y", "--id-col", "id")
    rows = run(*common, "-f", "csv").stdout.splitlines()
    assert rows[2] == f"1,{CLEAR}{REORDER}evil\u009b,0.0625"
    assert loaded(run(*common, "-f", "json", "--level", "element").stdout)["ids"][1] == f"{CLEAR}{REORDER}evil\u009b"


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_control_characters_of_model_names_are_escaped_in_the_comparison(run, tmp_path, fmt):
    """The models' names (their files) in the table of models compared, and in its notes."""
    new, old, targets = (tmp_path / f"{name}{CLEAR}.csv" for name in ("new", "old", "t"))
    new.write_text("0.5\n0.25\n0.75\n")
    old.write_text("0.25\n0.5\n1\n")
    targets.write_text("0.5\n0.5\n0.5\n")
    out = run("mse", new, targets, "--against", old, "-f", fmt, "--resamples", "50")
    assert out.exit_code == 0, out.stderr
    _no_controls(out.stdout)
    assert "new\\x1b[2J" in out.stdout.replace("\n", "").replace(" ", "")


def test_an_error_naming_a_file_with_control_characters_is_one_escaped_line(run, tmp_path):
    """The one stderr line escaped line breaks only: ESC and the rest went to the terminal raw."""
    missing = tmp_path / f"gone{CLEAR}{REORDER}.csv"
    out = run("mse", missing, PREDS)
    line = _fails_with(out)
    _no_controls(line)
    assert "gone\\x1b[2J\\x1b]0;owned\\x07\\u202e.csv: " in line


# --- out of memory: an input too large, not a bug ---------------------------------------------------


def _raises_memory_error(*args, **kwargs):
    raise MemoryError


@pytest.mark.parametrize("where", ["reading", "computing"])
def test_out_of_memory_names_the_input_and_exits_2(run, monkeypatch, where):
    """A MemoryError while reading or computing was "internal error ... this is a bug", exit 70. It is
    an input too large for the machine: one line naming the inputs (and their size) and what to do."""
    if where == "reading":
        monkeypatch.setattr("losscli.io.jsondata.loads", _raises_memory_error)
    else:
        monkeypatch.setattr("losscli.engine.run.Pass.run", _raises_memory_error)
    preds, targets = SAMPLES / "preds.json", SAMPLES / "targets.json"
    mib = (preds.stat().st_size + targets.stat().st_size) / (1 << 20)
    line = _fails_with(run("mse", preds, targets))
    assert line.startswith(f"losscli: error: {preds}, {targets} ({mib:,.0f} MiB): too large for the memory of ")
    assert "split it into shards" in line


def test_out_of_memory_in_merge_exits_2(run, tmp_path, monkeypatch):
    state = tmp_path / "s.json"
    assert run("mse", PREDS, TARGETS, "--save-state", state, "-q").exit_code == 0
    monkeypatch.setattr("losscli.engine.states.merge", _raises_memory_error)
    assert "out of memory: an input is too large for this machine" in _fails_with(run("merge", state))


# --- memory bounded where the README says it is (peak RSS of a real run, inputs scaled down) ---------

MEMORY = pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux")


# Peak RSS from a small process's wait4. Linux counts in a child's ru_maxrss the memory of the
# process it was forked from (folded in at exec), so a child of pytest (hundreds of MB by the end
# of the suite) reads at least that: the run is started by a small Python that waits for it.
_WAIT4 = """
import os, subprocess, sys
with open("stdout.txt", "wb") as out, open("stderr.txt", "wb") as err:
    child = subprocess.Popen(sys.argv[1:], stdout=out, stderr=err)
    _, status, usage = os.wait4(child.pid, 0)
print(usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def _peak_rss(args, cwd) -> tuple[float, int]:
    """Peak resident memory (MiB) and exit status of one losscli run in ``cwd``."""
    done = subprocess.run(
        [sys.executable, "-c", _WAIT4, *_losscli(*args)],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    peak, code = done.stdout.split()
    return int(peak) / 1024, int(code)


def _peak(tmp_path, *args) -> float:
    peak, code = _peak_rss([*args], tmp_path)
    assert code == 0, (tmp_path / "stderr.txt").read_text()
    return peak


@MEMORY
def test_an_npz_read_by_columns_is_read_a_run_of_rows_at_a_time(tmp_path):
    """``data.npz --pred-col preds --target-col targets`` read each array whole, then stacked them:
    8.4 GB for two 1 GiB arrays, which ``data.npz:preds data.npz:targets`` reads in 62 MB. Both
    ways now read a run of rows at a time (here 2 x 24 MB arrays: within 25 MiB of each other)."""
    rng = np.random.default_rng(3)
    np.savez(tmp_path / "data.npz", preds=rng.random(3_000_000), targets=rng.random(3_000_000))
    by_key = _peak(tmp_path, "mse", "data.npz:preds", "data.npz:targets", "-f", "value")
    by_column = _peak(tmp_path, "mse", "data.npz", "--pred-col", "preds", "--target-col", "targets", "-f", "value")
    assert by_column - by_key < 25, f"by columns {by_column:.0f} MiB, by key {by_key:.0f} MiB"


@MEMORY
def test_a_wide_npy_costs_little_per_column(tmp_path):
    """2 x 5,000,000 took 1.76 GB (about 350 bytes a column: each column's name as a str, its place
    in several lists). Here 2 x 300,000: under 300 bytes a column of the pair beyond a 2 x 2 run
    (its sums, and its place in the plan), 380 before."""
    rng = np.random.default_rng(4)
    np.save(tmp_path / "p.npy", rng.random((2, 300_000)))
    np.save(tmp_path / "t.npy", rng.random((2, 300_000)))
    np.save(tmp_path / "small.npy", rng.random((2, 2)))
    small = _peak(tmp_path, "mse", "small.npy", "small.npy", "-f", "value")
    wide = _peak(tmp_path, "mse", "p.npy", "t.npy", "-f", "value")
    per_column = (wide - small) * 2**20 / 300_000
    assert per_column < 300, f"{per_column:.0f} bytes a column"


@MEMORY
@pytest.mark.parametrize("kind", ["csv", "npy"])
def test_an_input_wider_than_losscli_takes_is_refused_before_it_is_held(tmp_path, kind):
    """A one-line CSV of 25 MB took 2.3 GB (100 MB: 9.2 GB), each of its cells a str, then a column.
    More than MAX_COLUMNS columns are refused, early and in little memory, with the way round."""
    from losscli.io.table import MAX_COLUMNS

    width = MAX_COLUMNS + 1
    if kind == "csv":
        (tmp_path / "wide.csv").write_text(",".join(["0.5"] * width) + "\n")
    else:
        np.save(tmp_path / "wide.npy", np.zeros((1, width)))
    name = f"wide.{kind}"
    peak, code = _peak_rss(["mse", name, name, "-f", "value"], tmp_path)
    line = _one_line((tmp_path / "stderr.txt").read_text())
    assert code == 2
    assert f"{name}: has {width:,} columns; losscli keeps sums for every output column and takes at most" in line
    assert "write one sample a row" in line
    assert peak < 150, f"{peak:.0f} MiB to refuse a {width:,}-column input"


def _id_pair(folder: Path, rows: int, shuffled: bool) -> None:
    rng = np.random.default_rng(5)
    ids = [f"row{k:07d}" for k in range(rows)]
    order = rng.permutation(rows) if shuffled else np.arange(rows)
    for name, column, rows_in in (("sub.csv", "p", np.arange(rows)), ("sol.csv", "t", order)):
        values = rng.random(rows)
        with open(folder / name, "w") as out:
            out.write(f"row_id,{column}\n" + "".join(f"{ids[k]},{values[k]:.6f}\n" for k in rows_in))


ROWS = 1_000_000  # a pair of 2 x 19 MB


def _per_row(tmp_path, shuffled: bool) -> float:
    """Bytes a row that --id-col costs beyond reading the same pair by position."""
    _id_pair(tmp_path, ROWS, shuffled=shuffled)
    by_position = _peak(tmp_path, "mse", "sub.csv", "sol.csv", "--pred-col", "p", "--target-col", "t", "-f", "value")
    by_id = _peak(tmp_path, "mse", "sub.csv", "sol.csv", "--id-col", "row_id", "-f", "value", "--jobs", "1")
    return (by_id - by_position) * 2**20 / ROWS


@MEMORY
def test_rows_matched_by_id_in_the_same_order_are_streamed(tmp_path):
    """--id-col read both files whole (1.4 GB for a 2 x 195 MB pair; here 310 bytes a row). In the
    same order (a submission and its solution), blocks go as they are read and only the ids are
    kept, as bytes, for the check that none repeats: under 150 bytes a row here, most of it the
    text of the blocks in flight, which does not grow with the rows."""
    assert _per_row(tmp_path, shuffled=False) < 150


@MEMORY
def test_rows_matched_by_id_in_another_order_are_held_compactly(tmp_path, run):
    """In another order the rows are held, as numbers and bytes (no str and no dictionary entry a
    row): under 230 bytes a row here (310 before); in the first file's order, as before."""
    assert _per_row(tmp_path, shuffled=True) < 230
    csv = run("mse", tmp_path / "sub.csv", tmp_path / "sol.csv", "--id-col", "row_id", "-f", "csv").stdout
    assert [line.split(",")[1] for line in csv.splitlines()[1:4]] == ["row0000000", "row0000001", "row0000002"]


def test_a_json_document_too_large_for_the_memory_left_is_refused_before_it_is_parsed(run, tmp_path, monkeypatch):
    """A JSON document is parsed whole, about 14 times its size in Python objects; one that cannot
    fit was parsed until the kernel killed the process. Refused first, with the way round."""
    monkeypatch.setattr("losscli.io.memory.available", lambda: 200 << 20)
    (tmp_path / "p.json").write_text("[" + ",".join(["0.5"] * 4_500_000) + "]")  # 18 MB: 288 MB to parse
    line = _fails_with(run("mse", tmp_path / "p.json", tmp_path / "p.json", "-f", "value"))
    assert (
        "p.json: a JSON document is read whole, about 16 times its size (0.3 GiB here), more than the 0.2 GiB" in line
    )
    assert "write it as JSON Lines" in line
    monkeypatch.setattr("losscli.io.memory.available", lambda: 8 << 30)
    assert run("mse", tmp_path / "p.json", tmp_path / "p.json", "-f", "value").stdout == "0.0\n"


def test_the_memory_available_is_known_on_linux():
    from losscli.io.memory import available

    if sys.platform == "linux":
        assert 16 << 20 < available() < 1 << 50
