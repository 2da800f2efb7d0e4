"""--compare: every row's number against the framework's own call (tests/fixtures/compare.json,
written by tests/references.py), through the real command line."""

import json
from pathlib import Path

import pytest

CASES = json.loads((Path(__file__).parent / "fixtures" / "compare.json").read_text())


def _args(case, tmp_path):
    paths = []
    for name in ("preds", "targets"):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(case[name]))
        paths.append(path)
    args = [case["loss"], *paths, "--compare", "-f", "json"]
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


@pytest.mark.parametrize("case", CASES, ids=[f"{i}-{c['loss']}" for i, c in enumerate(CASES)])
def test_every_row_is_the_frameworks_number(run, tmp_path, case):
    result = run(*_args(case, tmp_path))
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    numbers = {f"{row['framework']}: {row['call']}": row for row in rows if row["value"] is not None}
    assert set(numbers) == set(case["values"]), "rows with numbers must be exactly the framework calls run"
    for key, expected in case["values"].items():
        # Keras computes its means in float32 on the torch backend
        rtol = 1e-6 if key.startswith("Keras") else 1e-9
        assert numbers[key]["value"] == pytest.approx(expected, rel=rtol), key


def test_rows_without_numbers_say_why(run, tmp_path):
    case = next(c for c in CASES if c["loss"] == "mse" and "weights" in c)
    rows = json.loads(run(*_args(case, tmp_path)).stdout)
    torch_rows = [row for row in rows if row["framework"] == "PyTorch"]
    assert len(torch_rows) == 1 and "takes no sample weights" in torch_rows[0]["note"]
    assert all(row["note"] for row in rows if row["value"] is None)


def test_missing_framework_says_so(run, tmp_path):
    case = next(c for c in CASES if c["loss"] == "cosine_similarity")
    rows = json.loads(run(*_args(case, tmp_path)).stdout)
    assert any(row["framework"] == "PyTorch" and "no cosine_similarity" in row["note"] for row in rows)


def test_compare_table_on_the_seed(run):
    from conftest import SAMPLES

    out = run("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "--compare").stdout
    assert "The same data under each framework's convention" in out
    assert 'Keras: MeanSquaredError(reduction="sum")' in out
    lines = [line for line in out.splitlines() if 'MeanSquaredError(reduction="sum")' in line]
    assert lines[0].split()[-3:] == ["outputs", "10", "0.047"]  # the seed: Keras's sum is over samples only


def test_compare_needs_table_or_json(run):
    from conftest import SAMPLES
    from test_errors import _fails

    _fails(run("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "--compare", "-f", "csv"), "--compare")
