"""--compare through the real command line: every row's number is the framework's own call
(tests/fixtures/like.json, written by tests/references_like.py from the frameworks)."""

import json
import math
from pathlib import Path

import pytest
from jsonout import loaded
from test_like import _FRAMEWORK_OF_CALL, _expected, _refused_by_losscli

CASES = loaded((Path(__file__).parent / "fixtures" / "like.json").read_text())


def _args(case, tmp_path):
    paths = []
    for name in ("preds", "targets"):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(case[name]))
        paths.append(path)
    args = [case["loss"], *paths, "--compare", "-f", "json", "--level", "element"]
    if "weights" in case:
        (tmp_path / "w.json").write_text(json.dumps(case["weights"]))
        args += ["--weights", tmp_path / "w.json"]
    for name, value in case["options"].items():
        flag = "--" + name.replace("_", "-")
        if value is True:
            args.append(flag)
        elif value is False:
            args.append("--no-" + flag[2:])
        elif isinstance(value, list):
            (tmp_path / f"{name}.json").write_text(json.dumps(value))
            args += [flag, tmp_path / f"{name}.json"]
        else:
            args += [flag, value]
    return args


SHOWN = [  # see test_like: losscli's own kld and brier refuse these before comparing
    c
    for c in CASES
    if not (c["loss"] == "kld" and max(map(max, c["preds"])) > 1)
    and not (c["loss"] == "brier" and _refused_by_losscli(c, "numpy"))
]


@pytest.mark.parametrize("case", SHOWN, ids=[f"{i}-{c['loss']}" for i, c in enumerate(SHOWN)])
def test_every_row_is_the_frameworks_number(run, tmp_path, case):
    result = run(*_args(case, tmp_path))
    assert result.exit_code == 0, result.stderr
    rows = {row["call"]: row for row in loaded(result.stdout)}
    for call in case["values"]:
        refused = _refused_by_losscli(case, _FRAMEWORK_OF_CALL[call.split(".")[0].lstrip("-")])
        if refused is not None:
            assert rows[call]["value"] is None and refused[0] in rows[call]["note"], rows[call]
            continue
        want, rtol, atol = _expected(case, call)
        got = rows[call]["value"]
        if math.isfinite(want):
            assert got == pytest.approx(want, rel=rtol, abs=atol), call
        else:
            assert got is None, call  # strict JSON: not a finite number is null
    for call in case["errors"]:
        assert rows[call]["value"] is None and rows[call]["note"].startswith("refused: "), rows[call]
