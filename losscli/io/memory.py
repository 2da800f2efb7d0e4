"""How much memory this process may still take: for inputs that must be held whole (a JSON
document), so that one too large is refused with a reason before it is parsed, not killed by
the kernel's out-of-memory killer half way (Linux overcommits: a MemoryError seldom comes)."""

from __future__ import annotations

import os


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo", "rb") as info:
            for line in info:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _cgroup_available() -> int | None:
    """A cgroup v2 limit (a container, a systemd slice) less what the group uses already."""
    try:
        with open("/proc/self/cgroup", "rb") as groups:
            line = next((g for g in groups if g.startswith(b"0::")), None)
        if line is None:
            return None
        folder = os.path.join("/sys/fs/cgroup", line[3:].strip().decode().lstrip("/"))
        with open(os.path.join(folder, "memory.max"), "rb") as limit:
            text = limit.read().strip()
        if text == b"max":
            return None
        with open(os.path.join(folder, "memory.current"), "rb") as used:
            return max(0, int(text) - int(used.read()))
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def _rlimit_available() -> int | None:
    """RLIMIT_DATA and RLIMIT_AS (ulimit, a job scheduler) less what they count now: the data
    mappings (VmData) and the whole address space (VmSize)."""
    try:
        import resource

        limits = {
            b"VmData": resource.getrlimit(resource.RLIMIT_DATA)[0],
            b"VmSize": resource.getrlimit(resource.RLIMIT_AS)[0],
        }
        with open("/proc/self/status", "rb") as status:
            used = {
                line.split(b":")[0]: int(line.split()[1]) * 1024 for line in status if line.startswith(tuple(limits))
            }
    except (ImportError, OSError, ValueError, IndexError, AttributeError):
        return None
    left = [limit - used.get(field, 0) for field, limit in limits.items() if limit != resource.RLIM_INFINITY]
    return max(0, min(left)) if left else None


def available() -> int | None:
    """Bytes this process can still allocate, as the system, its cgroup and its limits say; None
    when none of them says."""
    known = [value for value in (_meminfo_available(), _cgroup_available(), _rlimit_available()) if value is not None]
    return min(known) if known else None
