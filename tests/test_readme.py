"""The README stays true: its loss table is the registry's, and every `$ losscli ...`
example in a console block prints what the README shows (stdout, then stderr)."""

import sys

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import update_readme  # noqa: E402

README = (ROOT / "README.md").read_text()


def test_loss_table_is_generated_from_the_registry():
    assert update_readme.updated(README) == README, "run: python scripts/update_readme.py"


def _examples():
    """(stdin, argv, expected output) of each runnable example."""
    for block in update_readme.BLOCK.findall(README):
        for command, output in update_readme.EXAMPLE.findall(block):
            found = update_readme.runnable(command)
            if found:
                yield *found, output


EXAMPLES = list(_examples())


def test_readme_has_examples():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("stdin, argv, expected", EXAMPLES, ids=[" ".join(e[1][:3]) for e in EXAMPLES])
def test_readme_example_output(run, monkeypatch, stdin, argv, expected):
    monkeypatch.chdir(ROOT)
    result = run(*argv, input=stdin)
    assert result.stdout + result.stderr == expected


def test_readme_python_example_runs():
    import doctest
    import re

    block = re.search(r"```python\n(.*?)```", README, re.DOTALL).group(1)
    test = doctest.DocTestParser().get_doctest(block, {}, "README", "README.md", 0)
    runner = doctest.DocTestRunner()
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
    assert len(test.examples) >= 6


def test_readme_works_as_typed_after_its_set_up_line():
    """Issue 23: the examples' bare 'losscli' is said to need the venv activated before the first one;
    extras install from the clone (no registry package 'losscli[...]'); no in-house words."""
    text = (ROOT / "README.md").read_text()
    assert text.index("source .venv/bin/activate") < text.index("$ losscli")
    assert "'losscli[" not in text and "pip install 'losscli" not in text
    for word in ("seed question", "the seed's", "seed example", "farm-bench"):
        assert word not in text, word
    for command in ("losscli help LOSS", "losscli merge STATE", "losscli list [TASK]"):
        assert command in text
