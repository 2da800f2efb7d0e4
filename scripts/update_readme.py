"""Keep the README true: python scripts/update_readme.py

Rewrites the loss table from the registry, and the output under every runnable
`$ losscli ...` example in a console block by running it (tests/test_readme.py
checks both).
"""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from losscli.report.docs import readme_loss_table  # noqa: E402

README = ROOT / "README.md"
SECTION = re.compile(r"(<!-- losses:start -->\n).*?(<!-- losses:end -->)", re.DOTALL)
BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)
EXAMPLE = re.compile(r"^\$ (.*)\n((?:(?!\$ ).*\n)*)", re.MULTILINE)
PIPED = re.compile(r"echo '(.*)' \| (losscli .*)")


def runnable(command: str) -> tuple[str | None, list[str]] | None:
    """(stdin, argv) of an example the tests can run, or None."""
    stdin = None
    match = PIPED.fullmatch(command)
    if match:
        stdin, command = match.group(1) + "\n", match.group(2)
    if command.startswith("losscli ") and not re.search(r"[|;<>$]", command):
        return stdin, shlex.split(command)[1:]
    return None


def updated(text: str) -> str:
    return SECTION.sub(lambda m: m.group(1) + readme_loss_table() + m.group(2), text)


def _rerun_block(block: re.Match) -> str:
    def rerun(example: re.Match) -> str:
        found = runnable(example.group(1))
        if found is None:
            return example.group(0)
        stdin, argv = found
        env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1"}
        done = subprocess.run(
            [sys.executable, "-m", "losscli", *argv], input=stdin, capture_output=True, text=True, cwd=ROOT, env=env
        )
        return f"$ {example.group(1)}\n{done.stdout}{done.stderr}"

    return "```console\n" + EXAMPLE.sub(rerun, block.group(1)) + "```"


if __name__ == "__main__":
    README.write_text(BLOCK.sub(_rerun_block, updated(README.read_text())))
