"""The files people actually have, written the way tutorials write them, and read as their
writer meant: pandas' to_csv / to_json / to_parquet defaults, np.savetxt, predict_proba
frames, Kaggle submissions. Every expected value comes from scikit-learn on the arrays the
files were written from, at rtol 1e-9.
"""

import json

import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm
from conftest import reference_framework
from jsonout import loaded
from sklearn.datasets import load_iris, load_wine
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import train_test_split
from test_errors import _fails

RTOL = 1e-9


def _value(result) -> float:
    assert result.exit_code == 0, result.stderr
    return float(result.stdout)


def _json(result) -> dict:
    assert result.exit_code == 0, result.stderr
    return loaded(result.stdout)


@pytest.fixture(scope="module")
def regression():
    """A real model's test-set predictions, as pandas keeps them: y_test keeps its shuffled index."""
    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.normal(size=(532, 3)), columns=["a", "b", "c"])
    y = pd.Series(x["a"] * 2.0 - x["b"] + rng.normal(scale=0.5, size=532), name="target")
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0)
    model = LinearRegression().fit(x_train, y_train)
    return y_test, model.predict(x_test)


# --- the silent misreads of the issue: each read wrong before --------------------------


def test_pandas_index_columns_are_row_labels_not_an_output(run, tmp_path, regression):
    y_test, pred = regression
    pd.Series(pred, index=y_test.index).to_csv(tmp_path / "p.csv")  # header ",0", index first
    y_test.to_csv(tmp_path / "t.csv")  # header ",target"
    data = _json(run("mse", tmp_path / "p.csv", tmp_path / "t.csv", "-f", "json", "--level", "element"))
    assert data["n"] == 133 and data["shape"] == [133, 1]  # not 266: the index is no output
    assert data["value"] == pytest.approx(skm.mean_squared_error(y_test, pred), rel=RTOL)
    assert data["ids"][:3] == [str(i) for i in y_test.index[:3]]
    assert data["inputs"][1]["matched"].startswith("by label")


def test_rows_are_matched_by_label_whatever_their_order(run, tmp_path, regression):
    y_test, pred = regression
    pd.Series(pred, index=y_test.index).to_csv(tmp_path / "p.csv")
    y_test.sort_index().to_csv(tmp_path / "t.csv")  # another order: by position this was 5x off
    value = _value(run("mse", tmp_path / "p.csv", tmp_path / "t.csv", "-f", "value"))
    assert value == pytest.approx(skm.mean_squared_error(y_test, pred), rel=RTOL)


def test_pandas_default_column_names_are_a_header(run, tmp_path):
    rng = np.random.default_rng(1)
    p, t = rng.normal(size=(20, 3)), rng.normal(size=(20, 3))
    pd.DataFrame(p).to_csv(tmp_path / "p.csv", index=False)  # header "0,1,2"
    pd.DataFrame(t).to_csv(tmp_path / "t.csv", index=False)
    data = _json(run("mse", tmp_path / "p.csv", tmp_path / "t.csv", "-f", "json", "--level", "element"))
    assert data["n"] == 60  # not 63: the header row is no data
    assert data["value"] == pytest.approx(skm.mean_squared_error(t, p), rel=RTOL)
    assert "pandas' default column names" in data["inputs"][0]["header"]["how"]


def test_a_first_row_that_could_be_either_is_said_on_stderr(run, tmp_path):
    # integer targets: "0,1" above integers could be pandas' names or a data row
    pd.DataFrame([[1, 0], [0, 1], [1, 1]]).to_csv(tmp_path / "t.csv", index=False)
    pd.DataFrame([[0.9, 0.2], [0.1, 0.7], [0.8, 0.6]]).to_csv(tmp_path / "p.csv", index=False)
    result = run("mse", tmp_path / "p.csv", tmp_path / "t.csv", "-f", "value")
    expected = skm.mean_squared_error([[1, 0], [0, 1], [1, 1]], [[0.9, 0.2], [0.1, 0.7], [0.8, 0.6]])
    assert _value(result) == pytest.approx(expected, rel=RTOL)
    notes = result.stderr.splitlines()
    assert len(notes) == 1 and "t.csv: first row '0,1' read as a header" in notes[0] and "--no-header" in notes[0]


def test_a_zero_read_as_pandas_name_says_so_when_the_rows_then_differ(run, tmp_path):
    """A column of outcomes written without a header whose first value is 0, above a 0.5: one column "0"
    above non-integer numbers is pandas' default name as likely as data. Read as a header, the rows differ
    from the predictions' by one: the refusal names the row it took as a header and --no-header."""
    np.savetxt(tmp_path / "p.csv", [0.1, 0.2, 0.3, 0.4, 0.5])
    (tmp_path / "t.csv").write_text("0\n0.5\n1\n1\n1\n")
    _fails(run("mse", tmp_path / "p.csv", tmp_path / "t.csv"), "t.csv's first row '0' was read as", "--no-header")
    data = _json(run("mse", tmp_path / "p.csv", tmp_path / "t.csv", "--no-header", "-f", "json"))
    expected = skm.mean_squared_error([0, 0.5, 1, 1, 1], [0.1, 0.2, 0.3, 0.4, 0.5])
    assert data["n"] == 5 and data["value"] == pytest.approx(expected, rel=RTOL)


def test_the_header_flag_forces_the_other_reading(run, tmp_path):
    (tmp_path / "p.csv").write_text("0,1\n0.5,0.5\n")
    (tmp_path / "t.csv").write_text("0,1\n1,0\n")
    data = _json(run("mae", tmp_path / "p.csv", tmp_path / "t.csv", "--no-header", "-f", "json", "--level", "element"))
    # both first rows are data now: |[0, 1] - [0, 1]| and |[0.5, 0.5] - [1, 0]| over 4 elements
    assert data["n"] == 4 and data["value"] == pytest.approx(0.25, rel=RTOL)


def test_kaggle_submission_and_solution_joined_on_row_id(run, tmp_path):
    rng = np.random.default_rng(2)
    ids = np.arange(1000, 1050)
    truth = rng.normal(size=50)
    guess = truth + rng.normal(scale=0.3, size=50)
    order = rng.permutation(50)
    pd.DataFrame({"row_id": ids[order], "target": guess[order]}).to_csv(tmp_path / "submission.csv", index=False)
    pd.DataFrame({"row_id": ids, "target": truth}).to_csv(tmp_path / "solution.csv", index=False)
    args = ("rmse", tmp_path / "submission.csv", tmp_path / "solution.csv", "--id-col", "row_id")
    assert _value(run(*args, "-f", "value")) == pytest.approx(skm.root_mean_squared_error(truth, guess), rel=RTOL)
    rows = run(*args, "-f", "csv").stdout.splitlines()
    assert rows[0] == "sample,id,loss"
    first = int(rows[1].split(",")[1])  # ids keep their text: "1023", not "1023.0"
    assert first == ids[order][0] and rows[1].split(",")[1] == str(ids[order][0])


def test_labels_in_one_file_only_are_ids_and_rows_go_by_position(run, tmp_path, regression):
    y_test, pred = regression
    np.savetxt(tmp_path / "p.txt", pred)  # NumPy keeps no index
    y_test.to_csv(tmp_path / "t.csv")
    result = run("mae", tmp_path / "p.txt", tmp_path / "t.csv", "-f", "json", "--level", "element")
    data = _json(result)
    assert data["value"] == pytest.approx(skm.mean_absolute_error(y_test, pred), rel=RTOL)
    assert data["ids"][0] == str(y_test.index[0])
    assert "rows are matched by position" in result.stderr


def test_labels_missing_from_one_file_are_an_error_naming_them(run, tmp_path, regression):
    y_test, pred = regression
    pd.Series(pred, index=y_test.index).to_csv(tmp_path / "p.csv")
    y_test.iloc[:-2].to_csv(tmp_path / "t.csv")
    missing = [repr(str(i)) for i in y_test.index[-2:]]
    _fails(run("mse", tmp_path / "p.csv", tmp_path / "t.csv"), "t.csv: has no row for the labels", *missing)


def test_repeated_labels_are_an_error(run, tmp_path):
    pd.Series([0.5, 0.7, 0.1], index=[4, 4, 9]).to_csv(tmp_path / "p.csv")
    pd.Series([1.0, 0.0, 0.0], index=[4, 4, 9]).to_csv(tmp_path / "t.csv")
    _fails(run("mse", tmp_path / "p.csv", tmp_path / "t.csv"), "p.csv: the row label '4' occurs more than once")


# --- NumPy's text files ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, delimiter", [("p.txt", " "), ("p.dat", " "), ("p.csv", " "), ("p.csv", ";"), ("p.txt", "\t")]
)
def test_np_savetxt_files_read_exactly(run, tmp_path, name, delimiter):
    rng = np.random.default_rng(3)
    p, t = rng.normal(size=(40, 4)) * 1e3, rng.normal(size=(40, 4)) * 1e-3
    np.savetxt(tmp_path / name, p, delimiter=delimiter)  # fmt %.18e: scientific notation
    np.savetxt(tmp_path / ("t" + name[1:]), t, delimiter=delimiter, header="a b c d")  # "# a b c d"
    data = _json(run("mse", tmp_path / name, tmp_path / ("t" + name[1:]), "-f", "json", "--level", "element"))
    assert data["shape"] == [40, 4]
    assert data["value"] == pytest.approx(skm.mean_squared_error(t, p), rel=RTOL)


# --- booleans and missing values ----------------------------------------------------------


def test_booleans_are_one_and_zero_in_csv_and_json(run, tmp_path):
    p = np.array([0.9, 0.2, 0.65, 0.4])
    y = np.array([True, False, True, True])
    pd.DataFrame({"p": p}).to_csv(tmp_path / "p.csv", index=False)
    pd.DataFrame({"y": y}).to_csv(tmp_path / "t.csv", index=False)  # True / False
    (tmp_path / "t.json").write_text(json.dumps(y.tolist()))  # true / false
    expected = skm.log_loss(y, p)  # bce on probabilities inside (0, 1) is scikit-learn's log loss
    for targets in ("t.csv", "t.json"):
        assert _value(run("bce", tmp_path / "p.csv", tmp_path / targets, "-f", "value")) == pytest.approx(
            expected, rel=RTOL
        )


def _with_missing(tmp_path):
    rng = np.random.default_rng(4)
    p, t = rng.normal(size=30), rng.normal(size=30)
    p_file = p.copy()
    p_file[[3, 17]] = np.nan  # pandas writes NaN as an empty cell
    pd.DataFrame({"p": p_file}).to_csv(tmp_path / "p.csv", index=False)
    t_text = ["NA" if i == 8 else repr(float(v)) for i, v in enumerate(t)]
    (tmp_path / "t.csv").write_text("t\n" + "\n".join(t_text) + "\n")
    keep = np.ones(30, dtype=bool)
    keep[[3, 8, 17]] = False
    return p, t, keep


def test_missing_values_are_an_error_that_counts_them(run, tmp_path):
    _with_missing(tmp_path)
    _fails(
        run("mse", tmp_path / "p.csv", tmp_path / "t.csv"),
        "p.csv: line 5, column 1: is missing",  # line 5: the header, then rows 0..3
        "3 missing values in 3 samples",
        "--drop-missing",
    )


def test_drop_missing_drops_those_samples_and_n_counts_the_rest(run, tmp_path):
    p, t, keep = _with_missing(tmp_path)
    result = run("mse", tmp_path / "p.csv", tmp_path / "t.csv", "--drop-missing", "-f", "json", "--level", "element")
    data = _json(result)
    assert data["n"] == 27 and data["inputs"][0]["dropped"] == 3
    assert data["value"] == pytest.approx(skm.mean_squared_error(t[keep], p[keep]), rel=RTOL)


# --- class labels by name ------------------------------------------------------------------


@pytest.fixture(scope="module")
def iris_model():
    x, y = load_iris(return_X_y=True, as_frame=True)
    names = pd.Series(np.array(["setosa", "versicolor", "virginica"])[y], name="species")
    x_train, x_test, y_train, y_test = train_test_split(x, names, test_size=0.3, random_state=1)
    clf = LogisticRegression(max_iter=500).fit(x_train, y_train)
    return clf, x_test, y_test


def test_string_labels_match_the_predict_proba_columns(run, tmp_path, iris_model):
    clf, x_test, y_test = iris_model
    proba = clf.predict_proba(x_test)
    pd.DataFrame(proba, columns=clf.classes_).to_csv(tmp_path / "proba.csv", index=False)
    y_test.to_csv(tmp_path / "y.csv", index=False)
    value = _value(run("sparse_cce", tmp_path / "proba.csv", tmp_path / "y.csv", "-f", "value"))
    assert value == pytest.approx(skm.log_loss(y_test, proba, labels=clf.classes_), rel=RTOL)


def test_integer_classes_are_matched_by_name_not_position(run, tmp_path):
    # classes 3, 5, 7 (wine-quality style): label 3 is the first column, not the fourth
    x, y = load_wine(return_X_y=True)
    y = np.array([3, 5, 7])[y]
    clf = LogisticRegression(max_iter=5000).fit(x, y)
    proba = clf.predict_proba(x)
    pd.DataFrame(proba, columns=clf.classes_).to_csv(tmp_path / "proba.csv")  # with the index
    pd.Series(y, name="quality").to_csv(tmp_path / "y.csv")
    result = run("sparse_cce", tmp_path / "proba.csv", tmp_path / "y.csv", "-f", "value")
    assert _value(result) == pytest.approx(skm.log_loss(y, proba, labels=clf.classes_), rel=RTOL)
    brier = _value(run("brier", tmp_path / "proba.csv", tmp_path / "y.csv", "-f", "value"))
    assert brier == pytest.approx(skm.brier_score_loss(y, proba, labels=clf.classes_), rel=RTOL)


def test_np_save_of_predict_proba_and_integer_labels(run, tmp_path):
    """np.save(proba) and np.save(y): class numbers in an .npy file (int64 or float64) are
    labels by position, as scikit-learn's log_loss and brier take them."""
    x, y = load_wine(return_X_y=True)
    proba = LogisticRegression(max_iter=5000).fit(x, y).predict_proba(x)
    np.save(tmp_path / "proba.npy", proba)
    for name, labels in (("y.npy", y), ("y_float.npy", y.astype(np.float64))):
        np.save(tmp_path / name, labels)
        result = run("sparse_cce", tmp_path / "proba.npy", tmp_path / name, "-f", "value")
        assert _value(result) == pytest.approx(skm.log_loss(y, proba), rel=RTOL)
    brier = _value(run("brier", tmp_path / "proba.npy", tmp_path / "y.npy", "-f", "value"))
    assert brier == pytest.approx(skm.brier_score_loss(y, proba, labels=[0, 1, 2]), rel=RTOL)


def test_classes_flag_names_the_columns(run, tmp_path, iris_model):
    clf, x_test, y_test = iris_model
    proba = clf.predict_proba(x_test)
    np.savetxt(tmp_path / "proba.txt", proba)  # no header: the names come from --classes
    y_test.to_csv(tmp_path / "y.csv", index=False)
    classes = ",".join(clf.classes_)
    value = _value(run("sparse_cce", tmp_path / "proba.txt", tmp_path / "y.csv", "--classes", classes, "-f", "value"))
    assert value == pytest.approx(skm.log_loss(y_test, proba, labels=clf.classes_), rel=RTOL)


def test_a_label_with_no_column_is_an_error_naming_it(run, tmp_path):
    pd.DataFrame([[0.5, 0.5], [0.2, 0.8]], columns=["cat", "dog"]).to_csv(tmp_path / "p.csv", index=False)
    pd.Series(["cat", "bird"], name="y").to_csv(tmp_path / "y.csv", index=False)
    _fails(run("sparse_cce", tmp_path / "p.csv", tmp_path / "y.csv"), "y.csv: line 3, column 1: label 'bird'")


# --- pandas JSON and JSON Lines -----------------------------------------------------------------


@pytest.mark.parametrize("orient", ["records", "split", "index", "columns", "values", "table"])
def test_pandas_json_in_every_orient(run, tmp_path, regression, orient):
    y_test, pred = regression
    frame = pd.DataFrame({"y_true": y_test.to_numpy(), "y_pred": pred}, index=y_test.index)
    frame.to_json(tmp_path / "r.json", orient=orient)
    cols = ("1", "0") if orient == "values" else ("y_pred", "y_true")
    args = ("mse", tmp_path / "r.json", "--pred-col", cols[0], "--target-col", cols[1], "-f", "value")
    assert _value(run(*args)) == pytest.approx(skm.mean_squared_error(y_test, pred), rel=RTOL)


@pytest.mark.parametrize("orient", ["split", "index", "columns", "values", "table"])
def test_pandas_json_of_default_column_names(run, tmp_path, regression, orient):
    """pd.DataFrame(array).to_json(): columns named 0, 1, ... (the 'table' schema writes the names
    as JSON numbers, its records as the keys "0", "1")."""
    y_test, pred = regression
    preds = pd.DataFrame(np.column_stack([pred, pred / 2]))
    targets = pd.DataFrame(np.column_stack([y_test.to_numpy(), y_test.to_numpy() / 2]))
    preds.to_json(tmp_path / "p.json", orient=orient, double_precision=15)
    targets.to_json(tmp_path / "t.json", orient=orient, double_precision=15)
    # 15 significant digits written: the arrays' value to ~1e-15 (pandas cannot read its own 'table'
    # JSON of integer column names back: every value comes back NaN)
    expected = skm.mean_squared_error(targets.to_numpy(), preds.to_numpy())
    assert _value(run("mse", tmp_path / "p.json", tmp_path / "t.json", "-f", "value")) == pytest.approx(
        expected, rel=RTOL
    )


def test_json_lines_as_pandas_writes_them(run, tmp_path, regression):
    y_test, pred = regression
    pd.DataFrame({"y_true": y_test.to_numpy(), "y_pred": pred}).to_json(
        tmp_path / "r.jsonl", orient="records", lines=True
    )
    value = _value(run("mae", tmp_path / "r.jsonl", "--pred-col", "y_pred", "--target-col", "y_true", "-f", "value"))
    assert value == pytest.approx(skm.mean_absolute_error(y_test, pred), rel=RTOL)


def test_two_pandas_json_files_match_by_their_index(run, tmp_path, regression):
    y_test, pred = regression
    pd.Series(pred, index=y_test.index).to_json(tmp_path / "p.json")  # {"label": value}
    y_test.sort_index().to_json(tmp_path / "t.json")
    value = _value(run("mse", tmp_path / "p.json", tmp_path / "t.json", "-f", "value"))
    assert value == pytest.approx(skm.mean_squared_error(y_test, pred), rel=RTOL)


# --- column selection and weights ------------------------------------------------------


def test_globs_ranges_and_a_weight_column(run, tmp_path):
    rng = np.random.default_rng(5)
    p, t, w = rng.random((25, 3)), rng.random((25, 3)), rng.uniform(0.5, 2.0, 25)
    frame = pd.DataFrame({**{f"proba_{k}": p[:, k] for k in range(3)}, **{f"t{k}": t[:, k] for k in range(3)}, "w": w})
    frame.to_csv(tmp_path / "d.csv", index=False)
    expected = skm.mean_squared_error(t, p, sample_weight=w)
    args = ("mse", tmp_path / "d.csv", "--pred-col", "proba_*", "--target-col", "t0:t2", "--weight-col", "w")
    assert _value(run(*args, "-f", "value")) == pytest.approx(expected, rel=RTOL)


def test_weights_file_key_of_a_csv(run, tmp_path, regression):
    y_test, pred = regression
    w = np.linspace(0.5, 1.5, len(pred))
    np.savetxt(tmp_path / "p.txt", pred)
    np.savetxt(tmp_path / "t.txt", y_test.to_numpy())
    pd.DataFrame({"id": range(len(w)), "weight": w}).to_csv(tmp_path / "w.csv", index=False)
    args = ("mse", tmp_path / "p.txt", tmp_path / "t.txt", "--weights", f"{tmp_path / 'w.csv'}:weight")
    expected = skm.mean_squared_error(y_test, pred, sample_weight=w)
    assert _value(run(*args, "-f", "value")) == pytest.approx(expected, rel=RTOL)


def test_id_column_keeps_its_text(run, tmp_path):
    pd.DataFrame({"id": [7, 8, 10], "p": [0.5, 1.5, 2.0], "y": [1.0, 1.0, 1.0]}).to_csv(tmp_path / "d.csv", index=False)
    data = _json(
        run(
            "mae",
            tmp_path / "d.csv",
            "--pred-col",
            "p",
            "--target-col",
            "y",
            "--id-col",
            "id",
            "-f",
            "json",
            "--level",
            "element",
        )
    )
    assert data["ids"] == ["7", "8", "10"]


def test_parquet_pandas_index_is_row_labels(run, tmp_path, regression):
    y_test, pred = regression
    pd.DataFrame({"pred": pred}, index=y_test.index).to_parquet(tmp_path / "p.parquet")
    y_test.to_frame().sort_index().to_parquet(tmp_path / "t.parquet")
    data = _json(run("mse", tmp_path / "p.parquet", tmp_path / "t.parquet", "-f", "json", "--level", "element"))
    assert data["shape"] == [133, 1]
    assert data["value"] == pytest.approx(skm.mean_squared_error(y_test, pred), rel=RTOL)


# --- names people type, and the Python API -----------------------------------------------------


@pytest.mark.parametrize(
    "name, hint", [("log_loss", "sparse_cce for class labels"), ("cross_entropy", "--from-logits"), ("logloss", "bce")]
)
def test_names_of_other_libraries_point_to_the_loss(run, name, hint):
    from conftest import SAMPLES

    _fails(run(name, SAMPLES / "preds.csv", SAMPLES / "targets.csv"), hint)


def test_api_several_losses_give_a_list():
    import losscli

    p, t = [1.0, 2.0, 4.0], [1.5, 2.0, 3.0]
    mse, mae = losscli.compute("mse,mae", p, t)
    assert mse.value == pytest.approx(skm.mean_squared_error(t, p), rel=RTOL)
    assert mae.value == pytest.approx(skm.mean_absolute_error(t, p), rel=RTOL)


@pytest.mark.reference
def test_api_reads_a_tensor_that_requires_grad():
    torch = reference_framework("torch")

    import losscli

    p = torch.tensor([0.5, 1.5, 3.0], dtype=torch.float64, requires_grad=True)
    t = torch.tensor([1.0, 1.0, 1.0], dtype=torch.float64)
    expected = torch.nn.functional.mse_loss(p, t).item()
    assert losscli.compute("mse", p, t).value == pytest.approx(expected, rel=RTOL)


def test_api_takes_a_dataframe_with_named_columns(regression):
    import losscli

    y_test, pred = regression
    frame = pd.DataFrame({"y_true": y_test.to_numpy(), "y_pred": pred})
    result = losscli.compute("mse", frame, read=losscli.Read(pred_col="y_pred", target_col="y_true"))
    assert result.value == pytest.approx(skm.mean_squared_error(y_test, pred), rel=RTOL)
    assert repr(result).startswith("Result(loss='mse', reduce='all', value=") and "\n" not in repr(result)
