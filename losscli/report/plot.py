"""``--plot FILE``: the per-sample loss distribution and the per-element heatmap.

matplotlib is an optional extra (``pip install 'losscli[plot]'``); without it this
module says how to install it. The figure is written atomically: to a temporary
file beside the target, then renamed over it.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..core.result import Result
from ..errors import UsageError
from ..io.write import refuse_inputs, write_atomically

FORMATS = (".png", ".svg")
SIZE_INCHES = (10.0, 4.0)
DPI = 100  # a .png is 1000 x 400 pixels


def check_plot_path(path: str, inputs: list[str]) -> None:
    """Fail before any work if the figure cannot be written where asked."""
    if Path(path).suffix.lower() not in FORMATS:
        raise UsageError(f"--plot {path}: give a .png or .svg file name")
    refuse_inputs(path, inputs, "--plot")


def _import_matplotlib():
    """matplotlib, imported from an empty private folder: it reads a ``matplotlibrc`` of the current
    folder before any other (a cloned repository's ``text.usetex: True`` made every --plot fail,
    its bad keys went to stderr), and keeps its font cache in ``MPLCONFIGDIR``, which a relative
    value puts in the current folder too (so a relative one is not used)."""
    import os
    import sys
    import tempfile

    if sys.modules.get("matplotlib") is not None and "matplotlib.pyplot" in sys.modules:
        return sys.modules["matplotlib"]  # imported by whoever calls us: drawn with the defaults below
    saved = os.environ.get("MPLCONFIGDIR")
    with tempfile.TemporaryDirectory(prefix="losscli-plot-") as empty:
        here = os.open(".", os.O_RDONLY)
        try:
            if saved is not None and not os.path.isabs(saved):
                os.environ["MPLCONFIGDIR"] = empty
            os.chdir(empty)
            import matplotlib

            matplotlib.use("Agg")  # files only: no screen needed
            import matplotlib.font_manager  # its cache read (or built) while the folder is the empty one
            import matplotlib.pyplot
        finally:
            os.fchdir(here)
            os.close(here)
            if saved is not None:
                os.environ["MPLCONFIGDIR"] = saved
    return matplotlib


def write_plot(result: Result, path: str) -> None:
    try:
        matplotlib = _import_matplotlib()
    except ImportError:
        raise UsageError("--plot needs matplotlib: pip install 'losscli[plot]'") from None
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    with matplotlib.style.context("default"):  # matplotlib's own defaults, whatever rc file was read
        image = _figure(result, plt, matplotlib.ticker, Path(path).suffix[1:].lower())
    write_atomically(path, image, "--plot")  # a FIFO or a device in place; a link stays a link


def _figure(result: Result, plt, ticker, fmt: str) -> bytes:
    figure, (left, right) = plt.subplots(1, 2, figsize=SIZE_INCHES, dpi=DPI)
    left.hist(result.per_sample, bins=min(50, max(5, len(result.per_sample) // 5)), color="#c0502a")
    left.set_title(f"per-sample {result.loss} (--reduce {result.reduce})")
    left.set_xlabel("L[i]")
    left.set_ylabel("samples")
    if result.per_element is not None:
        heat = heat_of(result.per_element)
        import matplotlib.colors

        norm = matplotlib.colors.LogNorm(*heat.limits, clip=True) if heat.log else None
        # a 0 has no log: drawn in the scale's lowest colour, as the smallest terms are
        cmap = matplotlib.colormaps["inferno"].with_extremes(bad="black", under="black")
        samples, n_outputs = result.per_element.shape
        extent = (-0.5, n_outputs - 0.5, samples - 0.5, -0.5)  # the y axis in samples, bands or not
        image = right.imshow(heat.rows, aspect="auto", cmap=cmap, interpolation="nearest", norm=norm, extent=extent)
        scale = f" (log scale: median {heat.median:.3g}, largest {heat.largest:.3g})" if heat.log else ""
        figure.colorbar(image, ax=right, label=f"l[i, j]{scale}")
        n_outputs = result.per_element.shape[1]
        if n_outputs <= 12:  # a tick per output: MaxNLocator puts -0.5 and 0.5 around a single one
            right.set_xticks(range(n_outputs))
            if result.output_names is not None:
                right.set_xticklabels(result.output_names, rotation=45 if n_outputs > 4 else 0, ha="right")
        else:
            right.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
        right.yaxis.set_major_locator(ticker.MaxNLocator(integer=True))
        right.set_title("per-element loss")
        right.set_xlabel("output j")
        right.set_ylabel("sample i" if heat.band == 1 else f"sample i (bands of {heat.band:,}: each its largest l)")
    else:
        right.axis("off")
        right.text(0.5, 0.5, f"{result.loss} has no element terms", ha="center", va="center")
    figure.suptitle(f"{result.loss} = {result.value:.6g}   (n = {result.n_text})")
    figure.tight_layout()
    import io

    image = io.BytesIO()
    try:
        figure.savefig(image, format=fmt, dpi=DPI)
    finally:
        plt.close(figure)
    return image.getvalue()


class Heat(NamedTuple):
    """What the heatmap draws: its rows (bands of ``band`` samples, each its largest term, past ``limit``
    samples), and whether its colours are on a log scale (terms >= 0 whose largest is over 10 times their
    median: a linear scale would give the bulk one colour), with the scale's limits."""

    rows: np.ndarray
    band: int
    log: bool
    limits: tuple[float, float]
    median: float
    largest: float


def heat_of(matrix: np.ndarray, limit: int = 2000) -> Heat:
    rows, band = matrix, 1
    if len(matrix) > limit:  # a figure has a few hundred pixel rows: more samples are pooled into bands
        band = -(-len(matrix) // limit)
        starts = np.arange(0, len(matrix), band)
        rows = np.maximum.reduceat(matrix, starts, axis=0)
    finite = matrix[np.isfinite(matrix)]
    median = float(np.median(finite)) if finite.size else 0.0
    largest = float(finite.max()) if finite.size else 0.0
    positive = finite[finite > 0]
    log = bool(finite.size and finite.min() >= 0 and positive.size and median > 0 and largest > 10 * median)
    low = float(np.quantile(positive, 0.01)) if log else 0.0
    return Heat(rows, band, log, (max(low, largest * 1e-6), largest), median, largest)  # six decades at most
