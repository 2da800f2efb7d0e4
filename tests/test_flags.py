"""A plain command line runs without Typer (cli/plain.py, cli/flags.py). These tests hold its
parser to Typer's: for every command line it is sure of, the same arguments reach ``execute``;
for every one Typer refuses, or shows help for, it is not sure, and Typer's path answers."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import losscli.cli.execute as execute_module
from losscli.cli.flags import COMMON, loss_flags
from losscli.cli.loss_command import build
from losscli.cli.plain import plain_arguments, specs_of


def typers_arguments(monkeypatch, name: str, args: list[str]) -> dict | None:
    """What Typer's command gives ``execute`` for ``args``; None when Typer refuses them or shows help."""
    seen: dict = {}

    def capture(specs, arguments):
        seen.update(arguments)
        return 0

    monkeypatch.setattr(execute_module, "execute", capture)
    try:
        build(name).main(list(args), standalone_mode=False)
    except Exception:  # a usage error of click's or ours: the plain parser must leave it to Typer
        return None
    return seen or None


def plain(name: str, args: list[str]) -> dict | None:
    result = plain_arguments([name, *args])
    return None if result is None else result[1]


COMMAND_LINES = [
    ("mse", ["p.csv", "t.csv"]),
    ("mse", ["p.csv", "t.csv", "-f", "value"]),
    ("mse", ["p.csv", "t.csv", "--format=json", "--level", "sample"]),
    ("mse,mae", ["-", "t.csv", "--reduce", "samples", "-o", "out.json", "-q"]),
    ("huber", ["p.npy", "t.npy", "--delta", "0.5", "--reduce=outputs"]),
    ("bce", ["p.csv", "t.csv", "--from-logits", "--no-from-logits", "--pos-weight", "2"]),
    ("bce", ["data.csv", "--pred-col", "proba_1", "--target-col", "y", "--header"]),
    ("mse", ["p.csv", "t.csv", "--ci", "--resamples", "500", "--seed", "3"]),
    ("mse", ["p.csv", "t.csv", "--ci", "90%", "--ci-method", "bca"]),
    ("mse", ["p.csv", "t.csv", "--against", "a.csv", "--against", "b.csv", "--fail-if-worse"]),
    ("mse", ["p.csv", "t.csv", "--fail-above", "-1", "--tolerance", "5%", "--baseline", "b.json"]),
    ("mse", ["p.csv", "t.csv", "--dask"]),
    ("mse", ["p.csv", "t.csv", "--dask", "tcp://10.0.0.1:8786", "-j", "2"]),
    ("mse", ["--", "-odd-name.csv", "t.csv"]),
    ("mse", ["p.csv", "t.csv", "--like", "keras", "--weight-divisor", "count"]),
    ("sparse_cce", ["p.csv", "labels.csv", "--ignore-index", "-100", "--label-smoothing", "0.1"]),
    ("mse", ["p.csv", "t.csv", "--max-rows", "5", "--top", "3", "--time-series"]),
    ("mse", ["p.csv", "t.csv", "--output", "--quiet"]),  # click takes the next argument as the value
    ("mse", ["p.csv", "t.csv", "--quiet", "-f", "csv", "-f", "json"]),  # the last one counts
]


@pytest.mark.parametrize("name,args", COMMAND_LINES)
def test_plain_command_lines_reach_execute_as_typers_do(monkeypatch, name, args):
    expected = typers_arguments(monkeypatch, name, args)
    assert expected is not None  # each of these is a valid command line
    assert plain(name, args) == expected


LEFT_TO_TYPER = [
    ("mse", ["--help"]),
    ("mse", ["p.csv", "-h"]),
    ("mse", ["p.csv", "t.csv", "--bogus"]),
    ("mse", ["p.csv", "t.csv", "extra.csv"]),
    ("mse", ["p.csv", "t.csv", "-qf", "value"]),  # clustered short options
    ("mse", ["p.csv", "t.csv", "-fvalue"]),
    ("mse", ["p.csv", "t.csv", "--format", "yaml"]),
    ("mse", ["p.csv", "t.csv", "--max-rows", "1"]),  # below its minimum
    ("mse", ["p.csv", "t.csv", "--resamples", "ten"]),
    ("mse", ["p.csv", "t.csv", "--quiet=yes"]),
    ("mse", ["p.csv", "t.csv", "--output"]),  # no value
    ("huber", ["p.csv", "t.csv", "--delta", "half"]),
    ("mse", ["p.csv", "t.csv", "--delta", "0.5"]),  # an option of another loss
    ("mse", ["p.csv", "-1"]),
]


@pytest.mark.parametrize("name,args", LEFT_TO_TYPER)
def test_what_typer_refuses_or_helps_with_is_left_to_it(name, args):
    assert plain(name, args) is None


@pytest.mark.parametrize("argv", [[], ["--version"], ["list"], ["help", "mse"], ["merge", "a"], ["nosuchloss"]])
def test_the_groups_own_commands_and_unknown_losses_go_to_typer(argv):
    assert plain_arguments(argv) is None


def _tokens(flags):
    values = st.sampled_from(["1", "0", "-1", "2.5", "x", "", "95%", "p.csv", "json", "samples", "keras", "-"])
    spellings = [name for flag in flags for name in flag.names()]
    return st.lists(st.one_of(st.sampled_from(spellings), values, st.sampled_from(["--", "-q", "-z"])), max_size=8)


FLAGS = {name: [*COMMON, *loss_flags(specs_of(name))] for name in ("mse", "huber", "bce", "sparse_cce")}


@settings(max_examples=300, deadline=None, derandomize=True)
@given(data=st.data())
def test_any_command_line_the_plain_parser_takes_gives_typers_arguments(data):
    """Random command lines over every spelling of every option: where the plain parser answers, its
    answer is Typer's; where Typer refuses, it does not answer."""
    name = data.draw(st.sampled_from(sorted(FLAGS)))
    args = data.draw(_tokens(FLAGS[name]))
    with pytest.MonkeyPatch.context() as monkeypatch:
        expected = typers_arguments(monkeypatch, name, args)
    got = plain(name, args)
    if got is not None:
        assert got == expected, args


def test_a_plain_run_does_not_import_typer(tmp_path):
    """What the plain path is for: the README's first command starts without Typer (issue 23)."""
    (tmp_path / "p.csv").write_text("1,2\n")
    (tmp_path / "t.csv").write_text("1,3\n")
    code = (
        "import sys\nfrom losscli.cli import main\nsys.argv = ['losscli', 'mse', 'p.csv', 't.csv', '-f', 'value']\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    print(exit.code, 'typer' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.stdout.split() == ["0.5", "0", "False"], done.stderr


def test_a_plain_run_and_typers_give_the_same_output_and_errors(tmp_path):
    """The two paths, end to end: the same stdout, stderr and status (the second forced through Typer by
    a help-free option spelled as Typer alone takes it: none exists, so by calling app.run_command)."""
    (tmp_path / "p.csv").write_text("1,2\n3,4\n")
    (tmp_path / "t.csv").write_text("1,2\n3,5\n")
    runs = {}
    for route in ("plain", "typer"):
        for args in (["mse", "p.csv", "t.csv", "-f", "json"], ["mse", "p.csv", "missing.csv"]):
            call = "main()" if route == "plain" else "from losscli.cli.app import run_command\nrun_command()"
            code = f"import sys\nsys.argv = ['losscli', *{args!r}]\nfrom losscli.cli import main\n{call}\n"
            done = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path
            )
            runs[route, tuple(args)] = (done.returncode, done.stdout, done.stderr)
    for args in (("mse", "p.csv", "t.csv", "-f", "json"), ("mse", "p.csv", "missing.csv")):
        assert runs["plain", args] == runs["typer", args]
    assert runs["plain", ("mse", "p.csv", "missing.csv")][0] == 2


RAISING = (
    "import sys\nimport losscli.cli.execute as m\n"
    "def boom(*a):\n    raise EOFError('x')\n"
    "m.execute = boom\nsys.argv = ['losscli', *{args!r}]\nfrom losscli.cli import main\nmain()\n"
)


@pytest.mark.parametrize("args", [["mse", "p.csv", "t.csv", "-f", "value"], ["mse", "p.csv", "t.csv", "-fvalue"]])
def test_an_error_escaping_the_run_ends_alike_on_both_paths(tmp_path, args):
    """click turns an EOFError into Abort (an interrupt, and an empty line on stderr); found by a review of
    the two paths. Both now end it as what it is, a bug: one line, status 70. (-fvalue is Typer's path.)"""
    done = subprocess.run(
        [sys.executable, "-c", RAISING.format(args=args)], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert done.returncode == 70, done.stderr
    assert done.stderr.startswith("losscli: error: internal error (EOFError: x)") and done.stderr.count("\n") == 1


def test_shell_completion_is_left_to_typer(monkeypatch):
    monkeypatch.setenv("_LOSSCLI_COMPLETE", "bash_complete")
    assert plain_arguments(["mse", "p.csv", "t.csv"]) is None
