"""Rewrite the README's loss table from the registry: python scripts/update_readme.py"""

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from losscli.docs import readme_loss_table  # noqa: E402

README = Path(__file__).resolve().parent.parent / "README.md"
SECTION = re.compile(r"(<!-- losses:start -->\n).*?(<!-- losses:end -->)", re.DOTALL)


def updated(text: str) -> str:
    return SECTION.sub(lambda m: m.group(1) + readme_loss_table() + m.group(2), text)


if __name__ == "__main__":
    README.write_text(updated(README.read_text()))
