"""How ``--against`` and ``--baseline --paired`` print: a table for people, JSON, Markdown."""

from __future__ import annotations

from ..core.result import SCHEMA_VERSION
from ..errors import printable


def _verdict(row) -> str:
    comparison = row.against_baseline
    return "baseline" if comparison is None else comparison.verdict


def _difference(row) -> str:
    comparison = row.against_baseline
    if comparison is None:
        return ""
    text = f"{comparison.difference:+.3g}"
    if comparison.interval is not None:
        text += f" [{comparison.interval.low:+.3g}, {comparison.interval.high:+.3g}]"
    return text


def _p(row) -> str:
    comparison = row.against_baseline
    return "" if comparison is None else f"{comparison.p_value:.3g}"


def _value(row) -> str:
    result = row.model.result
    ci = getattr(result, "ci", None)
    if ci is None:
        return f"{result.value:.6g}"
    return f"{result.value:.4g} [{ci.low:.3g}, {ci.high:.3g}]"


def _how(report) -> str:
    level = f"{report.level * 100:g}%"
    if report.horizon is not None:
        return f"Diebold-Mariano test with the HLN correction, horizon {report.horizon}, at {level}"
    return (
        f"paired bootstrap ({report.method}, {report.resamples:,} resamples, seed {report.seed}) and paired "
        f"sign-flip permutation test, at {level}; a verdict needs both"
    )


def table(report, loss: str, console) -> None:
    """The models, the baseline first: value, difference to the baseline with its interval,
    p-value, verdict, and a mark on every model not significantly worse than the best."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    grid = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    level = f"{report.level * 100:g}%"
    width = max(len(row.model.name) for row in report.rows)
    grid.add_column("model", overflow="fold", min_width=min(width, 24))
    for heading in (loss, f"- baseline [{level}]", "p", "verdict", "tied"):
        grid.add_column(heading, overflow="fold")
    for row in report.rows:
        grid.add_row(
            row.model.name, _value(row), _difference(row), _p(row), _verdict(row), "=" if row.tied_with_best else ""
        )
    console.print(Text(f"{loss}: models on the same {report.rows[0].model.count:,} samples", "bold"))
    console.print(grid)
    console.print(
        Text(printable(f"{_how(report)}; lower is better; '=' marks the best ({report.best}) and its ties"), "dim")
    )
    for row in report.rows:
        signature = getattr(row.model.result, "signature", "")
        if signature:
            console.print(Text(printable(f"{row.model.name}: {signature}"), "dim"), overflow="fold")


def to_dict(report, loss: str) -> dict:
    models = []
    for row in report.rows:
        result = row.model.result
        comparison = row.against_baseline
        ci = getattr(result, "ci", None)
        models.append(
            {
                "name": row.model.name,
                "value": result.value,
                "ci": None if ci is None else ci.to_dict(),
                "baseline": comparison is None,
                "difference": None if comparison is None else comparison.difference,
                "interval": None
                if comparison is None or comparison.interval is None
                else comparison.interval.to_dict(),
                "p_value": None if comparison is None else comparison.p_value,
                "test": None if comparison is None else comparison.test,
                "statistic": None if comparison is None else comparison.statistic,
                "verdict": _verdict(row),
                "tied_with_best": row.tied_with_best,
                "signature": getattr(result, "signature", ""),
            }
        )
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "paired comparison",
        "loss": loss,
        "reduce": getattr(report.rows[0].model.result, "reduce", None),
        "samples": report.rows[0].model.count,
        "level": report.level,
        "method": report.method,
        "resamples": None if report.horizon is not None else report.resamples,
        "seed": None if report.horizon is not None else report.seed,
        "horizon": report.horizon,
        "best": report.best,
        "models": models,
    }


def markdown(report, loss: str) -> str:
    """The job-summary table of a CI run."""
    level = f"{report.level * 100:g}%"
    out = [
        f"## losscli: {loss}, models compared\n\n",
        f"| model | {loss} | - baseline [{level}] | p | verdict | tied with the best |\n",
        "|---|---|---|---|---|---|\n",
    ]
    for row in report.rows:
        cells = [f"`{row.model.name}`", _value(row), _difference(row), _p(row), _verdict(row)]
        cells.append("yes" if row.tied_with_best else "")
        out.append("| " + " | ".join(printable(c).replace("|", "\\|") for c in cells) + " |\n")
    out.append(f"\n{_how(report)}; lower is better.\n")
    return "".join(out)
