"""The numbers docs/axes.md quotes are its example script's output (docs/examples/axes_example.py,
NumPy alone): a change of either without the other fails here."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_the_axes_page_quotes_its_example_s_output():
    script = ROOT / "docs" / "examples" / "axes_example.py"
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True).stdout
    page = (ROOT / "docs" / "axes.md").read_text()
    lines = [line.strip() for line in out.splitlines() if line.strip()]
    assert len(lines) >= 5
    missing = [line for line in lines if line not in page]
    assert not missing, f"docs/axes.md does not quote: {missing}"
