"""From a config to the list of timing jobs, and from a path back to a job.

Paths encode the whole configuration of a job, so that any one file can be requested
on its own (README, "Paths"):
    results/data/c{count}_m{max_size}_s{seed}.npz                       one cluster set
    results/reference/{problem}.npz                                     reference matrix
    results/timings/{study}/{problem}/{impl}/{backend}-w{workers}.csv   one timing job
A Chamfer problem is named L{count}-{max_size}-{seed}_R{count}-{max_size}-{seed}; a toy
problem {variant}-n{n}. In the weak study the problem names the one-worker problem and
L's cluster count grows with the workers.
"""

import re
from dataclasses import dataclass

TOY_STUDIES = ("toy", "gil")
CHAMFER_STUDIES = ("chamfer", "strong", "weak", "size")
STUDIES = TOY_STUDIES + CHAMFER_STUDIES

_CHAMFER_PROBLEM = re.compile(r"L(\d+)-(\d+)-(\d+)_R(\d+)-(\d+)-(\d+)")
_TOY_PROBLEM = re.compile(r"(overwrite|accumulate)-n(\d+)")


@dataclass(frozen=True)
class Job:
    study: str
    problem: str
    impl: str
    backend: str
    workers: int

    @property
    def path(self):
        return timing_path(self.study, self.problem, self.impl, self.backend, self.workers)


def timing_path(study, problem, impl, backend, workers):
    return f"results/timings/{study}/{problem}/{impl}/{backend}-w{workers}.csv"


def dataset_path(count, max_size, seed):
    return f"results/data/c{count}_m{max_size}_s{seed}.npz"


def chamfer_problem_name(left, right):
    return "L{}-{}-{}_R{}-{}-{}".format(*left, *right)


def parse_chamfer_problem(name):
    match = _CHAMFER_PROBLEM.fullmatch(name)
    if not match:
        raise ValueError(f"not a Chamfer problem name: {name!r} (expected L<c>-<m>-<s>_R<c>-<m>-<s>)")
    numbers = [int(x) for x in match.groups()]
    return tuple(numbers[:3]), tuple(numbers[3:])


def toy_problem_name(variant, n):
    return f"{variant}-n{n}"


def parse_toy_problem(name):
    match = _TOY_PROBLEM.fullmatch(name)
    if not match:
        raise ValueError(f"not a toy problem name: {name!r} (expected overwrite-n<n> or accumulate-n<n>)")
    return match.group(1), int(match.group(2))


def cluster_sets(study, problem, workers):
    """The (L, R) generating parameters of a Chamfer job.

    Weak scaling keeps the work per worker constant: L gets `workers` times the cluster
    count of the one-worker problem, R stays, so the point pairs grow about in
    proportion to the workers (the CSV records the exact pair count).
    """
    left, right = parse_chamfer_problem(problem)
    if study == "weak":
        left = (left[0] * workers, *left[1:])
    return left, right


def _applicable(impl_traits, backend, workers):
    if backend == "serial":
        return workers == 1
    if backend == "prange":
        return impl_traits.parallel_inside
    return True


def seeded_problems(problems, seeds):
    """Each configured problem once per seed offset (added to both L's and R's seed)."""
    names = []
    for p in problems:
        for offset in seeds:
            left = (p["L"][0], p["L"][1], p["L"][2] + offset)
            right = (p["R"][0], p["R"][1], p["R"][2] + offset)
            names.append(chamfer_problem_name(left, right))
    return list(dict.fromkeys(names))


def worker_counts(spec, cores):
    """The worker counts of a study: `auto`, or a list of counts and `max`.

    `auto` is 1, 2, 4, ... up to `cores`, plus `cores` itself when it is not a power
    of two; `max` in a list is `cores`. `cores` is what the study may use: the cores
    Snakemake was given, bounded by the config's max_workers (README, "Workers").
    """
    if cores is None and (spec == "auto" or "max" in spec):
        raise ValueError("workers 'auto' and 'max' need the number of cores")
    if spec == "auto":
        counts = [2**k for k in range(cores.bit_length()) if 2**k <= cores] + [cores]
    else:
        counts = [cores if w == "max" else w for w in spec]
    return sorted(set(counts))


def sampling(config, study):
    """The sampling settings of a study's jobs: the study's own, else the config's.

    Keys set nowhere are left out, and take scipar.measure.Sampling's defaults.
    """
    own = config["studies"][study]
    return {key: own.get(key, config.get(key)) for key in SAMPLING_KEYS if key in own or key in config}


SAMPLING_KEYS = ("repeats", "min_sample_s", "target_ci", "max_job_s")


def timing_jobs(config, cores=None):
    """Every timing job the config asks for, each once, in a stable order.

    `cores` resolves the worker counts `auto` and `max` (see worker_counts).
    Combinations that cannot run are left out rather than failed: "serial" only with
    one worker, "prange" only for implementations with a parallel loop inside.
    """
    from scipar.registry import get_implementation

    studies = config["studies"]
    jobs = []
    if "toy" in studies:
        s = studies["toy"]
        for variant in s["variants"]:
            for n in s["n"]:
                jobs += [Job("toy", toy_problem_name(variant, n), i, "serial", 1) for i in s["impls"]]
    if "gil" in studies:
        s = studies["gil"]
        for variant, n in s["n"].items():
            for impl in s["impls"]:
                traits = get_implementation(impl, "toy")
                for backend in s["backends"]:
                    for w in worker_counts(s["workers"], cores):
                        if _applicable(traits, backend, w):
                            jobs.append(Job("gil", toy_problem_name(variant, n), impl, backend, w))
    if "chamfer" in studies:
        s = studies["chamfer"]
        for problem in seeded_problems(s["problems"], config["seeds"]):
            jobs += [Job("chamfer", problem, impl, "serial", 1) for impl in s["impls"]]
    for study in ("strong", "weak", "size"):
        if study not in studies:
            continue
        s = studies[study]
        for problem in seeded_problems(s["problems"], config["seeds"]):
            for impl in s["impls"]:
                traits = get_implementation(impl)
                for backend in s["backends"]:
                    for w in worker_counts(s["workers"], cores):
                        if _applicable(traits, backend, w):
                            jobs.append(Job(study, problem, impl, backend, w))
    return list(dict.fromkeys(jobs))
