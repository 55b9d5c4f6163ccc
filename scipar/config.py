"""Check a workflow config before any job runs, naming the key at fault."""

import jsonschema
import yaml

from scipar.registry import implementations


class ConfigError(ValueError):
    pass


def _key(path):
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def check_config(config, schema_path):
    """Raise ConfigError naming the first bad key; return the config unchanged."""
    with open(schema_path) as f:
        schema = yaml.safe_load(f)
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema).iter_errors(config)
    )
    if error is not None:
        if error.validator == "additionalProperties":
            raise ConfigError(f"config: {_key(error.absolute_path)}: {error.message} (misspelt key?)")
        raise ConfigError(f"config: {_key(error.absolute_path)}: {error.message}")
    for study, settings in config["studies"].items():
        problem = "toy" if study in ("toy", "gil") else "chamfer"
        known = implementations(problem)
        for k, name in enumerate(settings["impls"]):
            if name not in known:
                raise ConfigError(
                    f"config: studies.{study}.impls[{k}]: unknown {problem} implementation "
                    f"{name!r}; known: {', '.join(sorted(known))}"
                )
    gil = config["studies"].get("gil")
    if gil and "prange" in gil["backends"]:
        raise ConfigError("config: studies.gil.backends: the toy kernel has no prange backend")
    return config


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
    for study, settings in config["studies"].items():
        spec = settings.get("workers")
        if spec is None:
            continue
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
                    "oversubscribe: true to run them anyway (their cells are marked)"
                )
    notes = []
    if cores is not None and limit > machine_cpus:
        notes.append(
            f"{source} is more than the {machine_cpus} CPUs this machine lets a job use: "
            f"jobs with more than {machine_cpus} workers run oversubscribed and are marked so"
        )
    return limit, notes
