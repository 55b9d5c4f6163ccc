"""Is the machine quiet? The checks pyperf makes before trusting a benchmark.

A job records the load average before it starts, the CPUs it may use, the frequency
governor where readable, and, for every timed sample, the CPU time the rest of the
machine took meanwhile and the time the hypervisor stole. The rest of the machine is
everything the system's CPU counters saw busy minus what this job's own threads and
worker processes used (the Timer's cpu_s): another program, a second benchmark, a
backup. The summary turns these into the `busy` flag (scipar.report.summary).
"""

import os
from dataclasses import dataclass

import psutil

# psutil's field names for time the CPUs were not doing anything.
_IDLE = ("idle", "iowait")


def load_average():
    """The 1-minute load average, or NaN where the system has none."""
    try:
        return psutil.getloadavg()[0]
    except (OSError, AttributeError):
        return float("nan")


def usable_cpus():
    """The CPUs this process may run on (affinity, cgroup cpusets), not the machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def governor():
    """The CPU frequency governor of cpu0 ("performance", "powersave", ...), or ""."""
    try:
        with open("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor") as f:
            return f.read().strip()
    except OSError:  # VMs and containers often do not expose cpufreq
        return ""


def machine_facts():
    """What a job records once, before it starts."""
    return dict(load_before=load_average(), cpus_allowed=usable_cpus(), governor=governor())


@dataclass
class Counters:
    """Busy and stolen CPU seconds of the whole machine, summed over its CPUs."""

    busy_s: float
    steal_s: float

    @classmethod
    def now(cls):
        times = psutil.cpu_times()
        fields = times._asdict()
        # guest time is already inside user time on Linux; count it once.
        busy = sum(v for k, v in fields.items() if k not in _IDLE + ("guest", "guest_nice", "steal"))
        return cls(busy_s=busy, steal_s=fields.get("steal", 0.0))


def sample_noise(before, after, own_cpu_s, wall_s):
    """Others' CPU during one sample, in cores, and the stolen share of the machine.

    others_cores: CPU seconds the rest of the machine used per second of the sample
    (1.0 = one core kept busy by someone else). The system's counters tick at 100 Hz
    while the job's own CPU time is exact, so a short sample on a quiet machine can
    read a little below 0; the summary averages over samples before clipping.
    steal_fraction: stolen CPU seconds over the machine's CPU seconds in the sample.
    """
    others = after.busy_s - before.busy_s - own_cpu_s
    steal = after.steal_s - before.steal_s
    return dict(
        others_cores=others / wall_s if wall_s > 0 else float("nan"),
        steal_fraction=steal / (wall_s * psutil.cpu_count()) if wall_s > 0 else float("nan"),
    )
