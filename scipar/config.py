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
