"""Inputs and outputs on disk: readers of every format, column selection, row labels and
their alignment, blocks of rows, atomic writers. Errors name the file and the place."""
