"""Resamples in batches: draws in a fixed order on one thread, sums on a pool of threads.

The random draws of batch k are made by the calling thread, in batch order, from one
``np.random.default_rng(seed)``; the pool only counts and sums. The numbers drawn, and
therefore every result, are the same to the last bit whatever ``threads`` is. NumPy
releases the GIL while it draws, counts and sums, so the threads run in parallel.

The draws are the ones scipy makes (scipy.stats._resampling, scipy 1.17), so that a seed
gives scipy's resamples:

- bootstrap: ``rng.integers(0, N, (B, N))`` per batch, as ``_bootstrap_resample`` draws
  ``rng_integers(rng, 0, n, (n_resamples, n))``; Generator.integers draws element by
  element, so consecutive batches continue one stream and their concatenation is scipy's
  single (n_resamples, N) draw;
- paired permutation: ``rng.permuted`` of the pair (0, 1) for each sample, as
  ``_calculate_null_samples`` does, makes one 32-bit draw per sample and swaps the pair
  when its lowest bit is 0 (NumPy's Fisher-Yates, ``random_interval(1)``); drawing
  ``rng.integers(0, 2**32, dtype=uint32)`` and testing the lowest bit reproduces it
  without shuffling N two-element slices one at a time. NumPy keeps the unused half of
  a 64-bit draw in the generator, so batches of an odd size continue the stream too.

tests/test_stats.py pins both against scipy, so a change in either library shows there.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from itertools import accumulate

import numpy as np

# A batch's draws stay under this many bytes (4 MiB of indices: 128 resamples of the 4,096
# buckets of stats/buckets.py), or take one resample (8 N bytes) when that is more. Small
# batches keep the counts in cache and the peak small (at most threads + 1 batches are alive
# at once); the draws, and so the bits, do not depend on the batches.
BATCH_BYTES = 4 * 2**20


# Told (resamples done, resamples in all) after every batch, when a caller wants to show progress
# (the command line's bar); a context variable, so that no signature carries it.
PROGRESS: ContextVar = ContextVar("losscli_resampling_progress", default=None)


def default_threads() -> int:
    """The CPUs this process may use (at most 8: the sums are bound by memory, not arithmetic)."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        available = os.cpu_count() or 1
    return max(1, min(available, 8))


def batch_sizes(total: int, bytes_per_resample: int) -> list[int]:
    """Resamples per batch: as many as fit in BATCH_BYTES, at least one."""
    size = max(1, min(total, BATCH_BYTES // max(1, bytes_per_resample)))
    full, rest = divmod(total, size)
    return [size] * full + ([rest] if rest else [])


def map_batches(
    draws: Iterator[np.ndarray], compute: Callable[[np.ndarray], np.ndarray], threads: int | None
) -> np.ndarray:
    """compute(batch) for each batch ``draws`` yields, concatenated in batch order.

    ``draws`` is advanced on the calling thread only, so its random numbers come out in
    the same order with any number of threads; at most threads + 1 batches are alive.
    """
    threads = default_threads() if threads is None else threads
    told = PROGRESS.get()
    results: list[np.ndarray] = []

    def done(result: np.ndarray) -> None:
        results.append(result)
        if told is not None:
            told(len(result))

    if threads <= 1:
        for batch in draws:
            done(compute(batch))
        return np.concatenate(results)
    pending: deque = deque()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        try:
            for batch in draws:
                pending.append(pool.submit(compute, batch))
                while len(pending) > threads:
                    done(pending.popleft().result())
            while pending:
                done(pending.popleft().result())
        except BaseException:  # Ctrl-C: the batches not started are dropped, not waited for
            for future in pending:
                future.cancel()
            raise
    return np.concatenate(results)


def bootstrap_indices(n_samples: int, resamples: int, seed: int) -> Iterator[np.ndarray]:
    """Batches of (B, N) sample indices drawn with replacement, scipy's stream for ``seed``."""
    rng = np.random.default_rng(seed)
    for size in batch_sizes(resamples, 8 * n_samples):
        yield rng.integers(0, n_samples, (size, n_samples))


def random_swaps(n_samples: int, resamples: int, seed: int) -> Iterator[np.ndarray]:
    """Batches of (B, N) booleans, True where a sample's two values trade places (scipy's stream)."""
    rng = np.random.default_rng(seed)
    for size in batch_sizes(resamples, 4 * n_samples):
        yield (rng.integers(0, 2**32, (size, n_samples), dtype=np.uint32) & 1) == 0


def all_swaps(n_samples: int) -> Iterator[np.ndarray]:
    """Every one of the 2^N swap patterns, in scipy's order for an exact test.

    scipy enumerates ``product(permutations((0, 1)) for each sample)``: the first sample
    varies slowest and "not swapped" comes first, so pattern p swaps sample i when bit
    N - 1 - i of p is set.
    """
    shifts = np.arange(n_samples - 1, -1, -1, dtype=np.int64)
    sizes = batch_sizes(2**n_samples, 8 * n_samples)
    for start, size in zip(accumulate(sizes, initial=0), sizes, strict=False):  # starts has one more
        patterns = np.arange(start, start + size, dtype=np.int64)
        yield ((patterns[:, None] >> shifts) & 1).astype(bool)


def resampled_sums(columns: np.ndarray, resamples: int, seed: int, threads: int | None) -> np.ndarray:
    """Each bootstrap resample's sums of the (k, N) ``columns``: (resamples, k), the resamples of
    ``bootstrap_indices`` for the seed."""
    n_samples = columns.shape[1]

    def column_sums(indices: np.ndarray) -> np.ndarray:
        # A resample as counts of each sample's draws: one scatter per resample, then every
        # column's sum in one sequential pass (a random gather per column costs 2-4 times more).
        counts = np.empty(indices.shape)
        for row, drawn in zip(counts, indices, strict=True):
            row[:] = np.bincount(drawn, minlength=n_samples)
        # einsum runs NumPy's own loops (no BLAS threads), so threads cannot change the bits.
        return np.einsum("rn,kn->rk", counts, columns)

    return map_batches(bootstrap_indices(n_samples, resamples, seed), column_sums, threads)
