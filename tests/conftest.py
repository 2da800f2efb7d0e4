import json
import signal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from losscli.cli.app import app


def pytest_configure(config):
    """The signal tests send SIGINT, SIGQUIT and SIGHUP to a losscli they start. A signal ignored
    here stays ignored in every child (nohup ignores SIGHUP; a shell without job control starts
    background jobs with SIGINT and SIGQUIT ignored), and those tests then fail for the harness,
    not the product: give the children the dispositions a terminal gives."""
    defaults = {"SIGINT": signal.default_int_handler, "SIGQUIT": signal.SIG_DFL, "SIGHUP": signal.SIG_DFL}
    for name, handler in defaults.items():
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) == signal.SIG_IGN:
            signal.signal(number, handler)


ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def run():
    """Run the real command line; stdout and stderr come back separately."""

    def invoke(*args, input=None):
        # A fixed width: Rich sizes tables from COLUMNS when stdout is not a terminal.
        return CliRunner().invoke(app, [str(a) for a in args], input=input, env={"COLUMNS": "80"})

    return invoke


@pytest.fixture(scope="session")
def reference_cases():
    return json.loads((FIXTURES / "reference.json").read_text())


def reference_framework(module: str):
    """A reference framework (torch, keras, optax, ...), imported for a test marked ``reference``: skipped
    without it, as on a fresh clone with the ``test`` group only, and required under
    LOSSCLI_REQUIRE_REFERENCE=1 (.ci/run installs the ``reference`` group and sets it)."""
    import importlib
    import os

    if os.environ.get("LOSSCLI_REQUIRE_REFERENCE") == "1":
        return importlib.import_module(module)
    return pytest.importorskip(module)
