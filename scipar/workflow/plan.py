"""From a config to the list of timing jobs, and from a path back to a job.

Paths encode the whole configuration of a job, so that any one file can be requested
on its own (docs/workflow.md, "Paths"):
    results/data/{problem_kind}/{dataset}                               one dataset file
    results/reference/{problem_kind}/{problem}.npz                      an instance's reference
    results/timings/{study}/{problem}/{impl}/{backend}-w{workers}.csv   one timing job
    results/timings/{study}/{problem}/{impl}/{backend}-w{workers}-{interpreter}.csv
                         one timing job under another interpreter than Snakemake's own
    results/rounds/{job}/round{k}.csv   round k of the timing job results/timings/{job}.csv
                         (temporary: merged into the job's CSV, then removed)
{problem} is an instance's name, as its Problem writes it (e.g. L50-35-1_R30-23-2 for
Chamfer, accumulate-n100 for the toy kernel); a study's config names the problem kind.
In a weak study the name is the one-worker instance's, and the instance grows with the
workers.
"""

import re
from dataclasses import asdict, dataclass

from scipar.problems import get_implementation, get_problem
from scipar.workflow.interpreters import DEFAULT, interpreters, unplanned_studies

STUDY_TYPES = ("sequential", "gil", "strong", "weak", "size")
SAMPLING_KEYS = ("repeats", "processes", "min_sample_s", "target_ci", "max_job_s", "hard_limit_s")
DEFAULT_ROUNDS = 3  # scipar.measure.sampling.Sampling.processes


@dataclass(frozen=True)
class Job:
    study: str
    problem: str
    impl: str
    backend: str
    workers: int
    interpreter: str = DEFAULT

    @property
    def path(self):
        return timing_path(self.study, self.problem, self.impl, self.backend, self.workers, self.interpreter)


# Every name that becomes part of a path (a study, an instance, a dataset, an
# implementation, an interpreter): one pattern for all, checked before any job.
PATH_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+=-]{0,127}")


class UnsafeNameError(ValueError):
    """A name that would become part of a path but is not a plain file name."""


def path_safe(name, what):
    """`name`, if it is a plain file name of at most 128 characters; else UnsafeNameError naming `what`."""
    if not (isinstance(name, str) and PATH_SAFE.fullmatch(name) and ".." not in name):
        shown = repr(name) if len(repr(name)) <= 100 else repr(name)[:100] + "..."
        raise UnsafeNameError(f"{what} {shown} cannot be part of a file name: it must be letters, digits and "
                              "_ . + = -, not start with . or -, hold no '..', and have at most 128 characters")
    return name


def timing_path(study, problem, impl, backend, workers, interpreter=DEFAULT):
    for name, what in ((study, "study"), (problem, "instance"), (impl, "implementation"), (interpreter, "interpreter")):
        path_safe(name, what)
    suffix = "" if interpreter == DEFAULT else f"-{interpreter}"
    return f"results/timings/{study}/{problem}/{impl}/{backend}-w{workers}{suffix}.csv"


# A timing job's path, back to its configuration.
TIMING_PATH = re.compile(r"(?:.*/)?(?P<study>[^/]+)/(?P<problem>[^/]+)/(?P<impl>[^/]+)/(?P<backend>[a-z]+)-w(?P<workers>\d+)"
                         r"(?:-(?P<interpreter>[a-z-]+))?\.csv")


class UnplannedError(ValueError):
    """A timing CSV asked for that the config does not plan."""


def planned_job(path, planned, studies, limit):
    """The Job of the timing CSV `path`, if it is one of `planned` (paths); else
    UnplannedError saying what is wrong and what to do. `studies`: those planned;
    `limit`: the most workers a job may use (None: no --cores)."""
    job = job_of(path)
    if job is None:
        raise UnplannedError(f"{path} is not a timing CSV's path: "
                             "results/timings/{study}/{instance}/{impl}/{backend}-w{workers}.csv")
    if job.study not in studies:
        raise UnplannedError(f"{path}: this config has no study {job.study} (its studies: {', '.join(studies)}); "
                             "a file of another config needs its --configfile, after the file")
    if path not in planned:  # an instance, implementation or worker count the study does not name
        cores = f" --cores {limit}" if limit else ""
        raise UnplannedError(f"{path}: study {job.study} of this config plans no such job (`snakemake -n{cores}` "
                             "lists those it plans); a file of another config needs its --configfile, after the "
                             "file; another worker count, its --cores; another instance or implementation, a "
                             "config that names it")
    return job


def job_of(path):
    """The Job whose timing CSV is `path`, or None if `path` is not one."""
    match = TIMING_PATH.fullmatch(path)
    if not match:
        return None
    return Job(**match.groupdict() | {"workers": int(match["workers"]), "interpreter": match["interpreter"] or DEFAULT})


def round_path(path, k):
    """Round k's CSV of the timing job whose CSV is `path`."""
    return f"results/rounds/{path.removeprefix('results/timings/').removesuffix('.csv')}/round{k}.csv"


def rounds(config, study):
    """How many rounds (fresh processes) each timing job of a study runs."""
    return sampling(config, study).get("processes", DEFAULT_ROUNDS)


def dataset_path(kind, name):
    return f"results/data/{path_safe(kind, 'problem')}/{path_safe(name, f'{kind} dataset')}"


def reference_path(kind, instance):
    return f"results/reference/{path_safe(kind, 'problem')}/{path_safe(instance, f'{kind} instance')}.npz"


def study_settings(config, study):
    """What a timing job needs to know of its study: type, problem kind, calls."""
    spec = config["studies"][study]
    return dict(study_type=spec["type"], problem_name=spec["problem"], calls=spec.get("calls", 1))


def instance_inputs(kind, instance):
    """{role: path} of the dataset files an instance reads."""
    problem = get_problem(kind)
    return {role: dataset_path(kind, name) for role, name in problem.datasets(problem.instance_params(instance)).items()}


def job_inputs(config, job):
    """{role: path} of a timing job's datasets, and "reference": its reference file."""
    kind, study_type = config["studies"][job.study]["problem"], config["studies"][job.study]["type"]
    problem = get_problem(kind)
    instance = problem.instance_name(problem.job_params(job.problem, study_type, job.workers))
    return instance_inputs(kind, instance) | {"reference": reference_path(kind, instance)}


def instances(config, study):
    """The names of a study's instances, each once per seed offset (config `seeds`)."""
    spec = config["studies"][study]
    problem = get_problem(spec["problem"])
    names = [problem.instance_name(problem.with_seed_offset(params, offset))
             for params in spec["instances"] for offset in config.get("seeds", [0])]
    return [path_safe(name, f"the instance name problem {problem.name!r} gives (instance_name)")
            for name in dict.fromkeys(names)]


def worker_counts(spec, cores):
    """The worker counts of a study: `auto`, or a list of counts and `max`.

    `auto` is 1, 2, 4, ... up to `cores`, plus `cores` itself when it is not a power
    of two; `max` in a list is `cores`. `cores` is what the study may use: the cores
    Snakemake was given, bounded by the config's max_workers (docs/workflow.md, "Workers").
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

    Keys set nowhere are left out, and take scipar.measure.sampling.Sampling's defaults.
    """
    own = config["studies"][study]
    return {key: own.get(key, config.get(key)) for key in SAMPLING_KEYS if key in own or key in config}


def left_out_because(problem, impl, backend, study_type):
    """Why `impl` does not run under `backend` in a study of `study_type`, or None."""
    if impl.backends and backend not in impl.backends:
        return f"implementation {impl.name!r} runs under {', '.join(impl.backends)} only (its backends)"
    if backend == "prange" and not impl.parallel_inside:
        return f"implementation {impl.name!r} has no parallel loop inside (parallel_inside)"
    if backend in ("threads", "processes") and study_type != "gil" and not problem.splits:
        return (f"problem {problem.name!r} does not say how one solve splits into tasks (a split, or tasks()), "
                f"so {backend} would run one task on one worker")
    return None


def timing_jobs(config, cores=None, notes=None):
    """Every timing job the config asks for, each once, in a stable order.

    `cores` resolves the worker counts `auto` and `max` (see worker_counts).
    Combinations that cannot run are left out rather than failed: "serial" only with
    one worker, and those left_out_because names, each appended to `notes` with its
    reason; so are the studies that need an interpreter the config does not name
    (interpreters.unplanned_studies). Each job runs under each of its study's
    interpreters.
    """
    jobs = []
    unplanned = unplanned_studies(config)
    for study, spec in config["studies"].items():
        if study in unplanned:
            continue
        problem = get_problem(spec["problem"])
        if spec["type"] == "sequential":
            spreads = [("serial", 1)]
        else:
            spreads = [(b, w) for b in spec["backends"] for w in worker_counts(spec["workers"], cores) if b != "serial" or w == 1]
        impls = {name: get_implementation(name, spec["problem"]) for name in spec["impls"]}
        why = {(name, b): left_out_because(problem, impl, b, spec["type"]) for name, impl in impls.items() for b, _ in spreads}
        if notes is not None:
            notes += [f"studies.{study}: {name} under {b} is not planned: {reason}" for (name, b), reason in why.items() if reason]
        found = [Job(study, instance, name, b, w, interpreter)
                 for instance in instances(config, study) for name in impls
                 for b, w in spreads if why[name, b] is None
                 for interpreter in interpreters(spec)]
        if not found:
            raise NoJobError(
                f"config: studies.{study}: plans no job: no implementation of {spec['impls']} can run with "
                f"backends {spec.get('backends', ['serial'])} at workers {[w for _, w in spreads]} "
                "('serial' runs one worker only; the warnings above say why each other backend was left out)")
        jobs += found
        if len(jobs) > MAX_JOBS:
            raise NoJobError(f"config: studies.{study}: the config plans more than {MAX_JOBS:,} timing jobs: far more "
                             "than a benchmark run needs (fewer instances, seeds or worker counts?)")
    return list(dict.fromkeys(jobs))


def free_threaded_impls(config, jobs):
    """{problem: [implementations]} of the jobs that run under another interpreter:
    what its environment must load."""
    impls = {}
    for job in jobs:
        if job.interpreter != DEFAULT:
            impls.setdefault(config["studies"][job.study]["problem"], {})[job.impl] = None
    return {kind: list(names) for kind, names in impls.items()}


def without_left_out(config, jobs, left_out):
    """The jobs less those under another interpreter whose implementation did not load
    there (`left_out`: {problem: {impl: why}}, from its environment's facts)."""
    return [job for job in jobs
            if job.interpreter == DEFAULT or job.impl not in left_out.get(config["studies"][job.study]["problem"], {})]


def timing_spec(config, job, inputs, output, threads, round_=0):
    """What a round of a timing job needs (scipar.workflow.timing), JSON-ready: the
    same from either round rule."""
    return dict(job=asdict(job), study=study_settings(config, job.study), sampling=sampling(config, job.study),
                inputs=dict(inputs), threads=threads, round=round_, output=output,
                log="logs/" + output.removeprefix("results/").removesuffix(".csv") + ".log",
                plugins=config.get("plugins", []))


MAX_JOBS = 10_000


class NoJobError(ValueError):
    """A study of the config that plans no timing job."""
