"""The numbers the frameworks' own test suites state, through ``losscli --like``.

Each record of ``fixtures/framework_suites.json`` is one assertion of Keras's
``keras/src/losses/losses_test.py``, scikit-learn's ``sklearn/metrics/tests/test_regression.py``
and ``test_classification.py``, torchmetrics' doctests and optax's ``losses/_*_test.py``: the
test's inputs, the losscli call that spells the framework's call, the number the test states
(or, where the test computes it from its inputs, that expression evaluated, named in
``expected_from``) and the tolerance its assertion applies. The record cites the test by file
and name; the file's ``sources`` says which release each was ported from. A ``note`` says where
losscli prints something else on purpose (null where Keras writes 0 for an ignored position).

The inputs are written as that framework's user writes them: ``np.save`` for Keras, optax and
torchmetrics (a tensor's ``.numpy()``), with the test's dtypes; CSV for scikit-learn, whose
users' ``y_true`` and ``y_pred`` mostly live in text tables and whose tests use string labels
(``"ham"``, ``"spam"``) that only a text file carries: numbers as ``np.savetxt(delimiter=",")``
writes them (every float64 exactly), class labels as one column under a ``y_true`` header, as
``pd.Series(y, name="y_true").to_csv(index=False)`` writes it (the header keeps a label such as
``no`` in the first row from being read as one).

A record marked ``pending`` is a case losscli cannot take yet (of issue 20's N-D inputs, a
per-element CSV and an input without a samples axis; a loss it does not have: issue 24). Until
then the call must be a clear refusal: exit 2, one line on stderr, no traceback, nothing on
stdout; never a silent number. When the issue lands, that test fails on the first number
printed: drop the record's ``pending`` and ``why``, and the same record checks the number.

No framework is imported here: the numbers are the tests', the inputs are in the file.
"""

import csv
import io
import math
from pathlib import Path

import numpy as np
import pytest
from jsonout import loaded

FIXTURE = Path(__file__).parent / "fixtures" / "framework_suites.json"
RECORDS = loaded(FIXTURE.read_text())["records"]
PLACEHOLDERS = {"weights": "{w}", "output_weights": "{ow}", "class_weights": "{cw}"}


def _id(record):
    """The framework's file (its base name) and test, then which assertion of it."""
    file, _, name = record["test"].partition("::")
    rid = f"{record['suite']}/{Path(file).name}::{name}"
    if "assertion" in record:
        rid += "-" + record["assertion"].replace(" ", "_")
    return rid


def _decode(x):
    """JSON has no inf: the fixture writes non-finite numbers as strings."""
    if isinstance(x, list):
        return [_decode(v) for v in x]
    if isinstance(x, str) and x in ("inf", "-inf", "nan"):
        return float(x)
    return x


def _write_npy(path, spec):
    np.save(path, np.asarray(_decode(spec["data"]), dtype=spec.get("dtype")))


def _write_csv(path, spec):
    data = _decode(spec["data"])
    if spec.get("labels"):
        path.write_text("y_true\n" + "".join(f"{label}\n" for label in data))
    else:
        np.savetxt(path, np.asarray(data, dtype=np.float64), delimiter=",")


def _command(record, tmp_path):
    """The losscli arguments, with the record's inputs written as files."""
    sklearn = record["suite"] == "sklearn"
    paths = {}
    for role, spec in record["inputs"].items():
        path = tmp_path / f"{role}.{'csv' if sklearn else 'npy'}"
        (_write_csv if sklearn else _write_npy)(path, spec)
        paths[role] = path
    files = {PLACEHOLDERS[role]: path for role, path in paths.items() if role in PLACEHOLDERS}
    flags = [files.get(flag, flag) for flag in record["flags"]]
    return [record["loss"], paths["preds"], paths["targets"], *flags]


def _printed(record, stdout):
    """The number (-f value) or the list (-f csv: per sample, per output, per element) losscli printed."""
    flags = record["flags"]
    if flags[flags.index("-f") + 1] == "value":
        return float(stdout.strip())
    rows = list(csv.DictReader(io.StringIO(stdout)))
    if "--level" in flags and flags[flags.index("--level") + 1] == "element":
        by_sample = {}
        for row in rows:  # an empty loss: a removed cell (an ignored label), which has no value
            by_sample.setdefault(int(row["sample"]), []).append(float(row["loss"]) if row["loss"] else None)
        return [by_sample[i] for i in sorted(by_sample)]
    return [float(row["loss"]) for row in rows]


def _close(actual, expected, tol):
    """The framework test's own assertion, on one number."""
    kind = tol["kind"]
    if kind == "exact":
        return actual == expected
    if math.isinf(expected) or math.isinf(actual):
        return actual == expected  # assert_allclose: an inf must be the same inf
    error = abs(actual - expected)
    if kind == "decimal":
        return error < 1.5 * 10.0 ** -tol["decimal"]
    if kind == "allclose":
        return error <= tol["atol"] + tol["rtol"] * abs(expected)
    if kind == "approx":
        return error <= max(tol["rel"] * abs(expected), tol["abs"])
    if kind == "doctest":
        return error <= 0.5 * 10.0 ** -tol["digits"]
    raise AssertionError(f"unknown tolerance kind {kind!r}")


def _matches(actual, expected, tol):
    kind = tol["kind"]
    if kind == "finite":
        return isinstance(actual, float) and math.isfinite(actual)
    if kind == "above":
        return isinstance(actual, float) and math.isfinite(actual) and actual > tol["bound"]
    if kind == "below":
        return isinstance(actual, float) and math.isfinite(actual) and actual < tol["bound"]
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(_matches(a, e, tol) for a, e in zip(actual, expected, strict=True) if e is not None)
        )
    return isinstance(actual, float) and not isinstance(expected, list) and _close(actual, expected, tol)


def _show(args):
    return "losscli " + " ".join(Path(a).name if isinstance(a, Path) else a for a in args)


PORTED = [r for r in RECORDS if "pending" not in r]
PENDING = [r for r in RECORDS if "pending" in r]


@pytest.mark.parametrize("record", PORTED, ids=[_id(r) for r in PORTED])
def test_the_framework_tests_number_holds(run, tmp_path, record):
    args = _command(record, tmp_path)
    result = run(*args)
    where = f"{record['test']}: {_show(args)}"
    assert result.exit_code == 0, f"{where} exited {result.exit_code}: {result.stderr.strip()}"
    expected = _decode(record["expected"])
    actual = _printed(record, result.stdout)
    assert _matches(actual, expected, record["tolerance"]), (
        f"{where} printed {actual!r}; the test states {expected!r} ({record['tolerance']['assertion']})"
    )


@pytest.mark.parametrize("record", PENDING, ids=[_id(r) for r in PENDING])
def test_a_pending_case_is_refused_in_one_line(run, tmp_path, record):
    args = _command(record, tmp_path)
    result = run(*args)
    where = f"{record['test']} (pending {record['pending']}: {record['why']}): {_show(args)}"
    assert result.exit_code == 2, f"{where} exited {result.exit_code}, printed {result.stdout.strip()!r}"
    assert result.stdout == "", f"{where} printed {result.stdout!r}"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, f"{where}: stderr {result.stderr!r}"


def test_every_record_cites_its_test_and_states_its_number():
    """The fixture is what the tests above read: a record that cannot be run is a broken port."""
    ids = [r["id"] for r in RECORDS]
    assert len(ids) == len(set(ids))
    for r in RECORDS:
        assert r["suite"] in ("keras", "sklearn", "torchmetrics", "optax")
        assert r["test"].split("::")[0].split("/")[0] == r["suite"], r["id"]
        assert "-f" in r["flags"], r["id"]
        assert ("pending" in r) == ("why" in r), r["id"]
        if r["tolerance"]["kind"] in ("finite", "above", "below"):
            assert r["expected"] is None, r["id"]
        else:
            assert r["expected"] is not None, r["id"]
        for role, placeholder in PLACEHOLDERS.items():
            assert (role in r["inputs"]) == (placeholder in r["flags"]), r["id"]
