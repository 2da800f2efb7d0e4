"""The command line: parses, calls the engine, hands the result to the report. No maths."""

from .app import main

__all__ = ["main"]
