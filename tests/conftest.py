import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from losscli.cli.app import app

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
