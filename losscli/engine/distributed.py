"""``--dask [ADDRESS]``: the shards as tasks on a dask.distributed cluster.

Each task opens one shard pair where it runs (so the workers must be able to read the
inputs' paths), computes its state as a local run would, and sends back that state (and
the per-sample values, when an output lists them). The states merge here in shard order,
so the result is the one a local run gives, to the last bit. Without an address, a
LocalCluster of ``--jobs`` worker processes runs them.
"""

from __future__ import annotations

import logging

from ..errors import InputError, UsageError
from .run import Pass, ShardSummary

LOCAL = "local"  # --dask alone


def shard_task(opener, names: tuple, patterns, tasks, settings, extras, likes, rows_wanted: bool) -> ShardSummary:
    """One shard's pass (runs on a worker)."""
    from ..io.shards import tag_patterns

    inputs = opener(*names)
    if patterns:
        tag_patterns(inputs, patterns)
    try:
        one = Pass(inputs, tasks, settings._replace(jobs=1, keep_all=False), extras=extras, likes=likes)
        if rows_wanted:
            one.blocks_kept = []
        one.read()
        return one.summary()
    finally:
        inputs.close()


def _client(address: str, workers: int):
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError("--dask needs dask.distributed: pip install 'losscli[dask]'") from None
    if address == LOCAL:
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        )
        return Client(cluster), cluster
    try:
        return Client(address, timeout=10), None
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(
            f"--dask {address}: cannot reach the scheduler ({exc}); give its address as tcp://HOST:PORT"
        ) from None


def _refuse_per_sample_var(run: Pass, shards: int) -> None:
    import numpy as np

    for task in run.tasks:
        var = task.options.get("var")
        if shards > 1 and isinstance(var, np.ndarray) and var.ndim and len(var) > 1:  # a variance per sample
            raise UsageError(
                "--var FILE with a variance per sample cannot be split over shards on Dask (a worker cannot "
                "know where its shard starts); run without --dask"
            )


def run_on_dask(address: str, run: Pass, pairs: list[tuple], patterns, opener, workers: int, rows_wanted: bool):
    """Every shard pair as a task; the results of ``run`` once their states are merged in order."""
    _refuse_per_sample_var(run, len(pairs))
    client, cluster = _client(address, max(1, min(workers, len(pairs))))
    extras = [(extra.convention, extra.task) for extra in run.extras]
    try:
        futures = [
            client.submit(
                shard_task, opener, names, patterns, run.tasks, run.settings, extras, run.likes, rows_wanted, pure=False
            )
            for names in pairs
        ]
        for future in futures:
            run.absorb(future.result())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return run.finish()
