"""Check a workflow config before any job runs, naming the key at fault."""

import jsonschema
import psutil
import yaml

from scipar.measure.sampling import Sampling
from scipar.problems import PluginError, get_problem, implementations, load_plugins
from scipar.workflow import interpreters, plan


class ConfigError(ValueError):
    pass


def _key(path):
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _schema_error(error):
    hint = " (misspelt key?)" if error.validator == "additionalProperties" else ""
    if error.validator == "not" and error.validator_value == {}:
        return ConfigError(f"config: {_key(error.absolute_path)}: not allowed in this study type")
    return ConfigError(f"config: {_key(error.absolute_path)}: {error.message}{hint}")


# A config is a page of settings: beyond these it is a YAML alias bomb (a few KB that
# expand into billions of values) or a mistake, and checking it would cost minutes.
MAX_CONFIG_VALUES, MAX_CONFIG_TEXT = 100_000, 10_000


def _check_bounded(config):
    """Refuse a config that expands to more values or longer text than a config holds,
    walking it with a budget (shared YAML aliases count each time they are used)."""
    stack, count = [(config, ())], 0
    while stack:
        node, path = stack.pop()
        count += 1
        if count > MAX_CONFIG_VALUES:
            raise ConfigError(f"config: {_key(path)}: the config expands to more than {MAX_CONFIG_VALUES:,} values "
                              "(YAML aliases that nest?); a config holds far fewer")
        if isinstance(node, dict):
            stack += [(value, path + (key,)) for key, value in node.items()]
        elif isinstance(node, list):
            stack += [(value, path + (k,)) for k, value in enumerate(node)]
        elif isinstance(node, str) and len(node) > MAX_CONFIG_TEXT:
            raise ConfigError(f"config: {_key(path)}: a text of {len(node):,} characters, more than the "
                              f"{MAX_CONFIG_TEXT:,} a config value may have")


def _check_sampling(config):
    """Refuse sampling settings that contradict the time budget: one sample longer than
    a round's share of max_job_s would make every round run past it."""
    for study in config["studies"]:
        settings = Sampling(**plan.sampling(config, study))
        if settings.min_sample_s > settings.round_s:
            raise ConfigError(
                f"config: studies.{study}: min_sample_s {settings.min_sample_s:g} is longer than a round's share of "
                f"max_job_s ({settings.max_job_s:g} s / {settings.processes} processes = {settings.round_s:.3g} s): "
                "every round would run past its budget; lower min_sample_s or raise max_job_s")


def check_config(config, schema_path):
    """Raise ConfigError naming the first bad key; return the config unchanged.

    Loads the config's plug-ins first (PluginError names one that cannot be used), so
    that their problems and implementations are known. Fills in what a study leaves
    out (_fill_defaults), so that every step reads the same config.
    """
    _check_bounded(config)
    with open(schema_path, encoding="utf-8") as f:
        schema = yaml.safe_load(f)
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(config))
    if error is not None:
        raise _schema_error(error)
    try:
        load_plugins(config.get("plugins", []))
    except PluginError as err:
        raise ConfigError(f"config: plugins: {err}") from None
    if config.get(interpreters.CONFIG_KEY):
        try:
            interpreters.describe(config[interpreters.CONFIG_KEY])
        except interpreters.InterpreterError as err:
            raise ConfigError(f"config: {interpreters.CONFIG_KEY}: {err}") from None
    for study, spec in config["studies"].items():
        where = f"config: studies.{study}"
        try:
            problem = get_problem(spec["problem"])
        except ValueError as err:
            raise ConfigError(f"{where}.problem: {err}") from None
        known = implementations(problem.name)
        _fill_defaults(spec, known)
        for k, name in enumerate(spec["impls"]):
            if name not in known:
                raise ConfigError(f"{where}.impls[{k}]: unknown {problem.name} implementation {name!r}; "
                                  f"known: {', '.join(sorted(known))}")
        if spec.get("baseline", spec["impls"][0]) not in spec["impls"]:
            raise ConfigError(f"{where}.baseline: {spec['baseline']!r} is not one of the study's impls")
        validator = jsonschema.Draft202012Validator(problem.parameters)
        for k, params in enumerate(spec["instances"]):
            error = jsonschema.exceptions.best_match(validator.iter_errors(params))
            if error is not None:
                error.path.extendleft(reversed(["studies", study, "instances", k]))
                raise _schema_error(error)
            if spec["type"] == "weak" and problem.scale(params, 2) is None:
                raise ConfigError(f"{where}.type: problem {problem.name!r} has no weak scaling (no scale())")
            _check_size(problem, params, f"{where}.instances[{k}]")
    _check_sampling(config)
    return config


# What a study may leave out: every implementation, and for spreading studies every
# backend that applies, at workers auto (the plan leaves out what cannot run, saying why).
DEFAULT_BACKENDS = {"gil": ["threads", "processes"], "other": ["serial", "threads", "processes", "prange"]}


def _fill_defaults(spec, known):
    spec.setdefault("impls", list(known))
    if spec["type"] != "sequential":
        spec.setdefault("backends", DEFAULT_BACKENDS["gil" if spec["type"] == "gil" else "other"])
        spec.setdefault("workers", "auto")


MAX_SOLVE_S = 86400  # one solve longer than a day is a typo, not a benchmark


def _check_size(problem, params, where):
    """Refuse an instance whose memory or time, as its problem estimates them, is beyond
    this machine or beyond reason, naming the key and the estimate."""
    footprint = problem.footprint(params)
    if footprint is None:
        return
    memory, seconds = footprint
    total = psutil.virtual_memory().total
    if memory > total:
        raise ConfigError(f"{where}: needs about {memory / 2**30:,.0f} GiB of memory, this machine has "
                          f"{total / 2**30:,.0f} GiB; choose a smaller instance")
    if seconds > MAX_SOLVE_S:
        raise ConfigError(f"{where}: one solve would take at least {seconds / 86400:,.0f} days "
                          f"({problem.name}: estimated from its size at the fastest rate scipar knows); "
                          "choose a smaller instance")


def worker_limit(config, cores):
    """The most workers a job may use, and where that number comes from.

    `cores`: the cores Snakemake was given, bounded by max_workers. None where no
    --cores describes the machines that run the jobs (a cluster profile): then
    max_workers alone, or None when it is unset.
    """
    bound = config.get("max_workers")
    if bound is not None and (cores is None or bound < cores):
        return bound, "max_workers"
    return cores, f"--cores {cores}"


def check_workers(config, cores, machine_cpus):
    """Refuse worker counts above what a job may use, before any job runs.

    Returns (limit, warnings): the limit resolves `auto` and `max`; a warning says when
    --cores is above the CPUs of this machine, whose jobs with more workers than CPUs
    then run oversubscribed and are marked in their CSVs. With `oversubscribe: true`
    larger explicit counts are run, and marked, too.
    """
    limit, source = worker_limit(config, cores)
    # Even oversubscribed, more than this is a typo (joblib, Numba and OpenMP fail or
    # crash far beyond it).
    ceiling = max(64, 16 * (limit or machine_cpus))
    notes = []
    for study, settings in config["studies"].items():
        spec = settings.get("workers")
        if spec is None:
            continue
        for k, workers in enumerate([] if spec == "auto" else spec):
            if workers != "max" and workers > ceiling:
                raise ConfigError(f"config: studies.{study}.workers[{k}]: {workers} workers is beyond reason here "
                                  f"(at most {ceiling}: 16 per CPU, or 64)")
            if workers != "max" and limit is not None and workers > limit and config.get("oversubscribe", False):
                notes.append(f"studies.{study}.workers[{k}]: {workers} workers, more than the {limit} CPUs a job "
                             f"can use ({source}): run oversubscribed (oversubscribe: true), and marked so")
        if limit is None and (spec == "auto" or "max" in spec):
            raise ConfigError(
                f"config: studies.{study}.workers: '{'auto' if spec == 'auto' else 'max'}' needs a number of "
                "workers: give --cores N here, or on a cluster max_workers (the CPUs of one node, e.g. "
                "--config max_workers=32), since --cores does not describe the nodes"
            )
        if spec == "auto" or limit is None or config.get("oversubscribe", False):
            continue
        for k, workers in enumerate(spec):
            if workers != "max" and workers > limit:
                raise ConfigError(
                    f"config: studies.{study}.workers[{k}]: {workers} workers, more than the {limit} CPUs "
                    f"a job can use ({source}); use workers: auto, fewer workers, or set "
                    "oversubscribe: true (on the command line: --config oversubscribe=True) to run them anyway "
                    "(their cells are marked)"
                )
    if cores is not None and limit > machine_cpus:
        notes.append(
            f"{source} is more than the {machine_cpus} CPUs this machine lets a job use: "
            f"jobs with more than {machine_cpus} workers run oversubscribed and are marked so"
        )
    return limit, notes
