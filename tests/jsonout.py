"""Reading losscli's JSON in the tests: a run's output is a list of one object per loss (schema_version 2);
``loaded`` gives the object itself where the run had one loss, and anything else (several losses, the
models' table, --compare's rows, a state file, a fixture) as it is."""

from __future__ import annotations

import json


def loaded(text, **options):
    data = json.loads(text, **options)
    if isinstance(data, list) and len(data) == 1 and isinstance(data[0], dict) and "schema_version" in data[0]:
        return data[0]
    return data
