"""Pictures: the heatmap colours, the histogram, --top and --plot."""

import io
import json
import re
import struct
import sys

import numpy as np
import pytest
from conftest import SAMPLES
from jsonout import loaded
from rich.console import Console
from test_errors import _fails

from losscli import compute
from losscli.report.render import histogram_lines, render_result


def _rendered(monkeypatch, no_color: bool) -> str:
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, color_system="truecolor", width=100, highlight=False)
    render_result(compute("mse", [[0.0, 0.0], [0.0, 3.0]], [[0.0, 0.1], [0.0, 0.0]]), console=console)
    return out.getvalue()


def test_heatmap_colours_the_worst_element_on_a_terminal(monkeypatch):
    # l = [[0, 0.01], [0, 9]]: only 9 reaches the top heat level (background #e0500c = 224, 80, 12)
    text = _rendered(monkeypatch, no_color=False)
    assert "\x1b[48;2;224;80;12m" in text
    assert text.count("48;2;224;80;12") == 1


def test_no_colour_with_no_color(monkeypatch):
    assert "48;2;" not in _rendered(monkeypatch, no_color=True)


def test_no_colour_when_piped(run):
    assert "\x1b[" not in run("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "--top", "2").stdout


def _counts(lines):
    return [int(re.search(r"[)\]]\s+([\d,]+)", line).group(1).replace(",", "")) for line in lines]


def test_histogram_lines():
    from losscli.core.sums import Sketch

    sketch = Sketch()
    sketch.add(np.array([0.0, 1.0, 1.0, 2.0, 9.0, 10.0]))
    lines = histogram_lines(sketch.bins(5), width=10)
    # bins of width 2 over [0, 10], empty ones left out: 3 (0, 1, 1), 1 (2), 2 (9, 10; the last bin is closed)
    assert _counts(lines) == [3, 1, 2]
    assert lines[0].endswith("█" * 10) and lines[-1].endswith("█" * 7)
    assert "]" in lines[-1] and "]" not in lines[0]
    assert lines[0].startswith("[         0,") and lines[-1].split(",")[1].strip().startswith("10]")


def test_histogram_in_the_table_output(run, tmp_path):
    np.save(tmp_path / "p.npy", np.arange(30.0))
    np.save(tmp_path / "t.npy", np.zeros(30))
    out = run("mae", tmp_path / "p.npy", tmp_path / "t.npy").stdout
    assert "Distribution of the per-sample losses" in out
    # |p - t| = 0..29 in 10 bins of width 2.9: three samples each
    bins = [line for line in out.splitlines() if line.startswith("[")]
    assert _counts(bins) == [3] * 10


def test_top_lists_the_worst_with_indices(run):
    out = run("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "--top", "2").stdout
    worst_samples = out.split("The 2 worst samples")[1].split("The 2 worst outputs")[0]
    # sample 1 (0.37 / 10) is worse than sample 0 (0.1 / 10)
    assert [line.split() for line in worst_samples.splitlines() if line.strip()[:1].isdigit()] == [
        ["1", "0.037"],
        ["0", "0.01"],
    ]
    worst_elements = out.split("The 2 worst elements")[1]
    # the largest squared errors are 0.2^2 = 0.04 at sample 1, outputs 0 and 2
    assert [line.split() for line in worst_elements.splitlines() if line.strip()[:1].isdigit()][:2] == [
        ["1", "0", "0.04"],
        ["1", "2", "0.04"],
    ]


def test_plot_png_is_a_real_image_of_the_expected_size(run, tmp_path):
    path = tmp_path / "loss.png"
    result = run("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "--plot", path, "-f", "value")
    assert result.exit_code == 0, result.stderr
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1000, 400)  # 10 x 4 inches at 100 dpi
    assert not list(tmp_path.glob(".loss.png.*"))  # the temporary file was renamed, not left


def test_plot_svg(run, tmp_path):
    path = tmp_path / "loss.svg"
    assert run("cosine_distance", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "--plot", path).exit_code == 0
    head = path.read_text()[:2000]
    assert "<svg" in head and 'width="720pt"' in head and 'height="288pt"' in head


def test_plot_without_matplotlib_says_how_to_install(run, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    _fails(
        run("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "--plot", tmp_path / "x.png"),
        "--plot needs matplotlib: pip install 'losscli[plot]'",
    )


def test_plot_refuses_to_overwrite_an_input(run, tmp_path):
    inputs = tmp_path / "p.png"  # read with --input-format: the name is only a name
    inputs.write_text(json.dumps([1.0, 2.0]))
    _fails(run("mse", inputs, inputs, "--input-format", "json", "--plot", inputs), "never overwrites an input")
    assert loaded(inputs.read_text()) == [1.0, 2.0]


@pytest.mark.parametrize("name", ["loss.pdf", "loss"])
def test_plot_needs_png_or_svg(run, tmp_path, name):
    _fails(run("mse", SAMPLES / "preds.csv", SAMPLES / "targets.csv", "--plot", tmp_path / name), ".png or .svg")


def test_heatmap_shows_the_order_below_an_outlier(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    rng = np.random.default_rng(4)
    p = rng.uniform(0.1, 1.0, (100, 30))
    p[57, 13] = 1000.0  # one outlier: on a linear scale it would leave every other cell uncoloured
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, color_system="truecolor", width=120, highlight=False)
    render_result(compute("mse", p, np.zeros((100, 30))), console=console, max_rows=10)
    text = out.getvalue()
    heatmap = text.split("Per-sample loss")[0]
    rows = [line for line in heatmap.splitlines() if re.match(r"\s*\d+ ", re.sub(r"\x1b\[[0-9;]*m", "", line))]
    assert any(re.sub(r"\x1b\[[0-9;]*m", "", line).split()[0] == "57" for line in rows)  # the outlier's row shown
    cells = sum(line.count("\x1b[") for line in rows)
    assert cells >= 10 * 8  # every shown row has its cells coloured, not only the outlier's
    assert "log scale" in heatmap and "brightest" in heatmap  # the legend says what the colours mean
    assert "13" in heatmap.splitlines()[2]  # the outlier's column is among the columns shown


def test_the_heatmap_of_many_rows_says_what_a_band_is_and_shows_bulk_and_tail():
    """2,000,000 rows pool into bands of 1,000 (each its largest term), and a skewed loss, whose bulk lies
    far below its tail, is coloured on a log scale from its 1st percentile to its largest (issue 23)."""
    from losscli.report.plot import heat_of

    rng = np.random.default_rng(3)
    terms = rng.exponential(size=(2_000_000, 3)) ** 4  # most below 10, a tail to thousands
    heat = heat_of(terms)
    assert heat.band == 1000 and heat.rows.shape == (2000, 3)
    assert np.array_equal(heat.rows[0], terms[:1000].max(axis=0))  # a band is its samples' largest term
    low = max(np.quantile(terms, 0.01), terms.max() * 1e-6)  # the 1st percentile, six decades at most
    assert heat.log and heat.limits[1] == terms.max() and heat.limits[0] == pytest.approx(low, rel=1e-9)
    flat = heat_of(rng.uniform(1.0, 2.0, size=(50, 3)))  # no tail: a linear scale, no bands
    assert not flat.log and flat.band == 1
