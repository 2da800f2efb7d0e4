"""Every bad input: one line on stderr naming the file and place, exit 2, empty stdout."""

import numpy as np
import pytest
from conftest import SAMPLES

GOOD = SAMPLES / "preds.csv"


def _fails(result, *fragments):
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("losscli: error: ")
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert "Traceback" not in result.stderr


def _csv(tmp_path, text, name="bad.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_missing_file(run, tmp_path):
    _fails(run("mse", tmp_path / "nope.csv", GOOD), "nope.csv: no such file")


def test_empty_directory(run, tmp_path):
    # A directory is a set of shards (issue 12); one with none in it is refused.
    (tmp_path / "d.csv").mkdir()
    _fails(run("mse", tmp_path / "d.csv", GOOD), "d.csv: a directory with no data files")


def test_unreadable_file(run, tmp_path, monkeypatch):
    # Tests run as root in CI, where chmod 0 still reads: make open() refuse instead.
    from losscli.io import source

    def refuse(path, mode="r", *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(source, "open", refuse, raising=False)
    _fails(run("mse", _csv(tmp_path, "1\n"), GOOD), "bad.csv: permission denied; make the file readable")


def test_unknown_extension(run, tmp_path):
    _fails(run("mse", _csv(tmp_path, "1\n", "p.xyz"), GOOD), "p.xyz: unknown file type '.xyz'", "--input-format")


def test_unknown_loss_suggests(run):
    _fails(run("msee", GOOD, GOOD), "unknown loss 'msee'", "did you mean mse", "losscli list")


def test_shape_mismatch_shows_both_shapes(run, tmp_path):
    _fails(
        run("mse", GOOD, _csv(tmp_path, "1,2\n3,4\n")), "preds.csv has 10 columns but", "bad.csv has 2", "same shape"
    )


def test_1d_against_2d_is_a_shape_mismatch(run, tmp_path):
    _fails(run("mse", _csv(tmp_path, "1\n2\n"), _csv(tmp_path, "1,2\n3,4\n", "t.csv")), "has 1 column but", "has 2")


@pytest.mark.parametrize("text", ["", "\n\n", "a,b\n"])
def test_empty_input(run, tmp_path, text):
    _fails(run("mse", _csv(tmp_path, text), GOOD), "bad.csv: holds no numbers")


def test_empty_json(run, tmp_path):
    _fails(run("mse", _csv(tmp_path, "[]", "e.json"), GOOD), "e.json: holds no numbers")


def test_non_numeric_cell(run, tmp_path):
    _fails(run("mse", _csv(tmp_path, "1,2\n3,abc\n"), GOOD), "bad.csv: line 2, column 2: 'abc' is not a number")


def test_empty_cell_is_missing(run, tmp_path):
    _fails(
        run("mse", _csv(tmp_path, "1,2\n\n3,\n"), _csv(tmp_path, "0,0\n0,0\n", "t.csv")),
        "bad.csv: line 3, column 2: is missing (1 missing value in 1 sample",
        "--drop-missing",
    )


def test_mixed_first_row_suggests_header(run, tmp_path):
    _fails(run("mse", _csv(tmp_path, "0.5,label\n1,2\n"), GOOD), "line 1, column 2", "pass --header")


def test_ragged_rows(run, tmp_path):
    _fails(run("mse", _csv(tmp_path, "1,2\n3,4\n5\n"), GOOD), "bad.csv: line 3 has 1 cell but line 1 has 2")


def test_ragged_json(run, tmp_path):
    _fails(run("mse", _csv(tmp_path, "[[1, 2], [3]]", "r.json"), GOOD), "r.json: [1] has 1 number but [0] has 2")


@pytest.mark.parametrize(
    "text, where, shown",
    [
        ("1,inf\n3,4\n", "line 1, column 2", "inf"),
        ("x,y\n\n1,2\n-Infinity,4\n", "line 4, column 1", "-inf"),
        ("1,2\n3,1e400\n", "line 2, column 2", "inf"),  # overflows float64
    ],
)
def test_nan_or_infinity_in_csv(run, tmp_path, text, where, shown):
    _fails(
        run("mse", _csv(tmp_path, text), _csv(tmp_path, "0,0\n0,0\n", "t.csv")),
        f"bad.csv: {where}: {shown} is not a finite number",
    )


def test_nan_in_csv_is_missing(run, tmp_path):
    # pandas writes NaN as an empty cell, np.savetxt as nan: both are missing values
    _fails(
        run("mse", _csv(tmp_path, "1,2\n3,nan\n"), _csv(tmp_path, "0,0\n0,0\n", "t.csv")),
        "bad.csv: line 2, column 2: is missing",
    )


def test_nan_in_npy_names_the_index(run, tmp_path):
    a = np.zeros((3, 2))
    a[2, 1] = np.nan
    np.save(tmp_path / "p.npy", a)
    np.save(tmp_path / "t.npy", np.zeros((3, 2)))
    _fails(run("mse", tmp_path / "t.npy", tmp_path / "p.npy"), "p.npy: index [2, 1]: is missing")


def test_nan_in_json_names_the_key(run, tmp_path):
    _fails(
        run("mse", _csv(tmp_path, "[1, NaN]", "p.json"), _csv(tmp_path, "[1, 2]", "t.json")),
        "p.json: [1]: is missing",
    )


@pytest.mark.parametrize(
    "text, found",
    [
        ('[1, "2"]', "the string '2'"),
        ("[1, null]", "is missing"),
        ('{"preds": [1, 2], "t": [1, 2]}', "holds 2 arrays; name one as FILE:KEY (preds, t)"),
        ("[[1, [2]]]", "expected a number, found a list"),
    ],
)
def test_bad_json_values(run, tmp_path, text, found):
    _fails(run("mse", _csv(tmp_path, text, "p.json"), GOOD), "p.json", found)


def test_invalid_json_names_line_and_column(run, tmp_path):
    _fails(run("mse", _csv(tmp_path, "[1,\n 2,", "p.json"), GOOD), "p.json: line 2, column 4: invalid JSON")


def test_bce_probability_out_of_range(run, tmp_path):
    p = _csv(tmp_path, "0.5\n1.5\n")
    _fails(
        run("bce", p, _csv(tmp_path, "0\n1\n", "t.csv")),
        "bad.csv: line 2, column 1: 1.5 is not in [0, 1]",
        "--from-logits",
    )


def test_bce_logits_accept_any_real(run, tmp_path):
    result = run("bce", _csv(tmp_path, "0.5\n1.5\n"), _csv(tmp_path, "0\n1\n", "t.csv"), "--from-logits", "-f", "value")
    assert result.exit_code == 0


def test_bce_targets_out_of_range(run, tmp_path):
    _fails(
        run("bce", _csv(tmp_path, "0.5\n0.5\n"), _csv(tmp_path, "0\n2\n", "t.csv")),
        "t.csv: line 2, column 1: 2.0 is not in [0, 1]",
        "targets",
    )


@pytest.mark.parametrize("loss, role", [("msle", "predictions"), ("msle", "targets"), ("poisson", "predictions")])
def test_negative_values(run, tmp_path, loss, role):
    bad = _csv(tmp_path, "h\n1\n-0.5\n")
    good = _csv(tmp_path, "2\n1\n", "good.csv")
    args = (bad, good) if role == "predictions" else (good, bad)
    _fails(run(loss, *args), "bad.csv: line 3, column 1: -0.5 is negative", f"{loss} needs {role} >= 0")


def test_hinge_labels(run, tmp_path):
    _fails(
        run("hinge", _csv(tmp_path, "1\n1\n1\n"), _csv(tmp_path, "-1\n0\n1\n", "t.csv")),
        "t.csv: line 2, column 1: 0.0 is not a label in {-1, 1}",
    )


def test_pickled_npy_is_refused_unloaded(run, tmp_path):
    path = tmp_path / "evil.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    _fails(run("mse", path, GOOD), "evil.npy: holds pickled Python objects, which losscli never loads")


def test_npy_that_is_not_npy(run, tmp_path):
    _fails(run("mse", _csv(tmp_path, "1,2\n", "p.npy"), GOOD), "p.npy: is not a .npy file (no NPY header)")


def test_npy_with_three_dimensions_against_a_table(run, tmp_path):
    np.save(tmp_path / "p.npy", np.zeros((2, 2, 2)))
    _fails(run("mse", tmp_path / "p.npy", GOOD), "p.npy has shape (2, 2, 2) but")


def test_binary_file_named_csv(run, tmp_path):
    _fails(run("mse", _csv(tmp_path, b"\x93NUMPY\xff\xfe"), GOOD), "bad.csv: is not UTF-8 text")


def test_stdin_twice(run):
    _fails(run("mse", "-", "-", input="1\n"), "both '-'")


def test_option_not_a_number(run):
    _fails(run("huber", GOOD, GOOD, "--delta", "abc"), "'--delta'")


def test_option_out_of_range(run):
    _fails(run("huber", GOOD, GOOD, "--delta", "-1"), "--delta -1.0 is out of range: must be > 0")


def test_option_for_another_loss(run):
    _fails(run("mse", GOOD, GOOD, "--delta", "2"), "--delta does not apply to mse (it applies to huber)")


def test_threshold_not_a_number(run):
    _fails(
        run("mse", GOOD, GOOD, "--fail-above", "high"), "--fail-above 'high': give a number (5000) or each loss's own"
    )


def test_unknown_reduce(run):
    _fails(run("mse", GOOD, GOOD, "--reduce", "mean"), "--reduce 'mean': give all, none, or a comma list of")


def test_missing_targets(run):
    _fails(run("mse", GOOD), "give TARGETS too, e.g. 'losscli mse preds.csv targets.csv'")
    _fails(run("mse"), "give the predictions and the targets, e.g. 'losscli mse preds.csv targets.csv'")


def test_inputs_are_never_modified(run, tmp_path):
    path = _csv(tmp_path, "1,2\n3,4\n")
    before = path.read_bytes(), path.stat().st_mtime_ns
    run("mse", path, path, "-f", "json", "--level", "element")
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_truncated_npy(run, tmp_path):
    np.save(tmp_path / "p.npy", np.zeros((100, 2)))
    data = (tmp_path / "p.npy").read_bytes()
    (tmp_path / "p.npy").write_bytes(data[:200])
    _fails(run("mse", tmp_path / "p.npy", GOOD), "p.npy: is", "np.save")


def test_npz_named_npy(run, tmp_path):
    np.savez(tmp_path / "a.npz", x=np.zeros(2))
    (tmp_path / "a.npz").rename(tmp_path / "p.npy")
    _fails(run("mse", tmp_path / "p.npy", GOOD), "p.npy: is an .npz archive")
