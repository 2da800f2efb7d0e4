"""``--dask [ADDRESS]``: the shards as tasks on a dask.distributed cluster.

Each task opens one shard pair where it runs (so the workers must be able to read the
inputs' paths), computes its state as a local run would, and sends back that state (and
the per-sample values, when an output lists them). The states merge here in shard order,
so the result is the one a local run gives, to the last bit.

Without an address, a cluster of ``--jobs`` threads in this process runs them. Not worker
processes: a process started by multiprocessing's spawn runs ``python -c ...``, which puts the
current folder first on ``sys.path``, so a ``multiprocessing.py`` there (a cloned repository)
ran in every worker; and a scheduler on a TCP port of 127.0.0.1 takes tasks (functions) from any
local user. Threads in this process talk through ``inproc://``: no child process, no port (the
HTTP servers Dask starts anyway have no routes and are stopped before any task runs), and
scratch files in a private temporary folder, removed after. With an address, the connection
(and the scheduler's answer) is bounded in time.
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


CONNECT_SECONDS = 10.0  # at most this long for the scheduler to answer (less if Dask's config says so)


def _client(address: str, workers: int, scratch: str):
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError("--dask needs dask.distributed: pip install 'losscli[dask]'") from None
    if address == LOCAL:
        private = {
            "temporary-directory": scratch,  # the scheduler's scratch space (the worker's: local_directory)
            "distributed.scheduler.http.routes": [],
            "distributed.worker.http.routes": [],
        }
        with dask.config.set(private):
            cluster = LocalCluster(
                n_workers=1,
                threads_per_worker=workers,
                processes=False,
                protocol="inproc://",
                dashboard_address="127.0.0.1:0",
                silence_logs=logging.CRITICAL,
                memory_limit=0,  # no spilling to disk, no pausing: the pass holds a block per task
                local_directory=scratch,
            )
        _stop_listening(cluster)
        return Client(cluster, set_as_default=False), cluster
    return _remote_client(address, Client, _connect_seconds(dask)), None


def _stop_listening(cluster) -> None:
    """Dask starts an HTTP server on every node whatever it is told; these have no routes and
    nothing needs them: closed, so that the cluster listens on no port at all."""
    for node in (cluster.scheduler, *cluster.workers.values()):
        server = getattr(node, "http_server", None)
        if server is not None:
            server.stop()


def _connect_seconds(dask) -> float:
    from dask.utils import parse_timedelta

    configured = parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"), default="seconds")
    return min(CONNECT_SECONDS, configured or CONNECT_SECONDS)


def _remote_client(address: str, client_class, seconds: float):
    """The client of the scheduler at ``address``, or one line within ``seconds``. Dask's own
    timeout covers the TCP connection but not the scheduler's first answer: a listener that
    accepts and never answers hung it for good. So the client starts in a thread that is given
    up (a daemon, with Dask's own daemon loop) when that time is past."""
    import threading

    made: dict = {}

    def connect() -> None:
        try:
            made["client"] = client_class(address, timeout=seconds, set_as_default=False)
        except BaseException as exc:  # handed to the main thread
            made["error"] = exc

    thread = threading.Thread(target=connect, name="losscli-dask-connect", daemon=True)
    thread.start()
    thread.join(seconds + 1)
    if "client" in made:
        return made["client"]
    error = made.get("error")
    if error is not None and not isinstance(error, OSError | TimeoutError | ValueError):
        raise error
    why = f"no answer within {seconds:g} s" if error is None else str(error) or type(error).__name__
    raise InputError(
        f"--dask {address}: cannot reach the scheduler ({why}); give its address as tcp://HOST:PORT, "
        f"and check that it is running"
    )


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
    import tempfile

    with tempfile.TemporaryDirectory(prefix="losscli-dask-") as scratch:
        client, cluster = _client(address, max(1, min(workers, len(pairs))), scratch)
        extras = [(extra.convention, extra.task) for extra in run.extras]
        try:
            futures = [
                client.submit(
                    shard_task,
                    opener,
                    names,
                    patterns,
                    run.tasks,
                    run.settings,
                    extras,
                    run.likes,
                    rows_wanted,
                    pure=False,
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
