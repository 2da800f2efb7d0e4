"""The engine: one pass over blocks of rows, --jobs, shards, merge, the Dask backend."""
