"""Every problem and implementation, registered once, from scipar or from plug-ins.

A plug-in is a module that defines `PROBLEMS` (Problem objects), `IMPLEMENTATIONS`
(Implementation objects, of its own problems or of existing ones), or both. scipar's
own problems are plug-ins like any other. Plug-ins come from three places, in order:

1. scipar's own (BUILTIN);
2. installed packages, by the entry point group `scipar.plugins`, whose value is the
   module (in pyproject.toml: [project.entry-points."scipar.plugins"] mylab = "mylab.bench");
3. the config's `plugins: [mylab.bench]`: modules found in the folders of
   SCIPAR_PLUGIN_PATH (the workflow sets it to the folder it runs in and the config
   file's folder), installed, or on PYTHONPATH.

A plug-in that cannot be imported, lacks a piece of the interface or registers a
name twice raises PluginError naming it, before any job runs.
"""

import difflib
import importlib
import os
import re
import sys
from importlib import metadata

from scipar.problems.interface import Implementation, Problem

BUILTIN = ("scipar.problems.toy", "scipar.problems.chamfer", "scipar.problems.images")
ENTRY_POINT_GROUP = "scipar.plugins"
PLUGIN_PATH = "SCIPAR_PLUGIN_PATH"  # folders searched first for the config's plug-ins
PROBLEM_NAME = re.compile(r"[a-z][a-z0-9_]*")
IMPL_NAME = re.compile(r"[a-z][a-z0-9-]*")  # as the {impl} wildcard of the paths

_PROBLEMS = {}  # name -> Problem
_IMPLEMENTATIONS = {}  # (problem, name) -> Implementation
_FROM = {}  # problem name or (problem, impl) -> the plug-in that registered it
_LOADED = set()
_scanned = False  # True once load_plugins has run: lookups then skip the entry-point scan


class PluginError(ValueError):
    """A plug-in that cannot be used; the message names it and what is wrong."""


def load_plugins(modules=()):
    """Register scipar's problems, the installed plug-ins' and `modules`; each once."""
    global _scanned
    for module in BUILTIN:
        _load(module, "scipar")
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        _load(entry.value, f"entry point {entry.name!r} of group {ENTRY_POINT_GROUP}")
    if modules:
        _add_plugin_folders()
    for module in modules:
        _load(module, "config key plugins")
    _scanned = True


def _add_plugin_folders():
    """Put SCIPAR_PLUGIN_PATH's folders first on sys.path. scipar is imported by now, so
    a folder named scipar in them (a clone beside the plug-in) cannot shadow it."""
    folders = [f for f in os.environ.get(PLUGIN_PATH, "").split(os.pathsep) if f]
    sys.path[:0] = [f for f in folders if f not in sys.path]


def _load(module_name, origin):
    if module_name in _LOADED:
        return
    where = f"plugin {module_name!r} ({origin})"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name != module_name.split(".")[0] and err.name != module_name:
            raise PluginError(f"{where}: cannot be imported: {type(err).__name__}: {err} (a module it imports: "
                              "install it in this environment)") from err
        raise PluginError(f"{where}: no such module in {_searched()}, nor installed{_did_you_mean(module_name)}: "
                          f"put {module_name.replace('.', '/')}.py "
                          "(or its package folder) in the folder you run the workflow in or beside the config file, "
                          "or `pip install -e` the package that holds it") from err
    except Exception as err:  # any error while importing is the plug-in's
        raise PluginError(f"{where}: cannot be imported: {type(err).__name__}: {err}") from err
    if getattr(module, "__file__", None) is None:
        raise PluginError(f"{where}: is a folder without __init__.py ({', '.join(module.__path__)}), not a module: "
                          f"name the module inside it (plugins: [{module_name}.<module>]) or add an __init__.py")
    problems = getattr(module, "PROBLEMS", None)
    impls = getattr(module, "IMPLEMENTATIONS", None)
    if problems is None and impls is None:
        raise PluginError(f"{where}: defines neither PROBLEMS nor IMPLEMENTATIONS")
    for problem in problems or ():
        _register_problem(problem, where)
    for impl in impls or ():
        _register_implementation(impl, where)
    _LOADED.add(module_name)


def _did_you_mean(name):
    """ (did you mean 'x'?), from the modules in the plug-in folders whose names are close."""
    folders = [f for f in os.environ.get(PLUGIN_PATH, "").split(os.pathsep) if os.path.isdir(f)]
    modules = {entry.removesuffix(".py") for f in folders for entry in os.listdir(f)
               if entry.endswith(".py") or os.path.isfile(os.path.join(f, entry, "__init__.py"))}
    close = difflib.get_close_matches(name, sorted(modules), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _searched():
    folders = [f for f in os.environ.get(PLUGIN_PATH, "").split(os.pathsep) if f]
    return ", ".join(folders) if folders else "the current folder or PYTHONPATH"


def _register_problem(problem, where):
    if not isinstance(problem, Problem):
        raise PluginError(f"{where}: PROBLEMS holds {problem!r}, not a scipar Problem object")
    # Methods are the class's; name, work_unit and parameters may be the object's own.
    missing = [piece for piece in Problem.REQUIRED
               if getattr(type(problem) if callable(getattr(Problem, piece)) else problem, piece, None)
               is getattr(Problem, piece)]
    if missing:
        raise PluginError(f"{where}: problem {problem.name or type(problem).__name__!r} lacks {', '.join(missing)}")
    if not PROBLEM_NAME.fullmatch(problem.name):
        raise PluginError(f"{where}: problem name {problem.name!r} must match {PROBLEM_NAME.pattern}")
    if problem.name in _PROBLEMS:
        raise PluginError(f"{where}: problem {problem.name!r} is already registered by {_FROM[problem.name]}")
    _PROBLEMS[problem.name], _FROM[problem.name] = problem, where


def _register_implementation(impl, where):
    if not isinstance(impl, Implementation):
        raise PluginError(f"{where}: IMPLEMENTATIONS holds {impl!r}, not a scipar Implementation")
    key = (impl.problem, impl.name)
    if impl.problem not in _PROBLEMS:
        raise PluginError(f"{where}: implementation {impl.name!r} is of problem {impl.problem!r}, "
                          f"which no plug-in registered; known: {', '.join(sorted(_PROBLEMS))}")
    if not IMPL_NAME.fullmatch(impl.name):
        raise PluginError(f"{where}: implementation name {impl.name!r} must match {IMPL_NAME.pattern}")
    if key in _IMPLEMENTATIONS:
        raise PluginError(f"{where}: implementation {impl.name!r} of {impl.problem!r} is already registered by {_FROM[key]}")
    _IMPLEMENTATIONS[key], _FROM[key] = impl, where


def problems():
    """The registered problems, by name. The installed plug-ins are looked up once per
    process (scanning the entry points costs milliseconds, which every timed solve would
    include); load_plugins() looks again."""
    if not _scanned:
        load_plugins()
    return dict(_PROBLEMS)


def get_problem(name):
    known = problems()
    if name not in known:
        raise ValueError(f"unknown problem {name!r}; known: {', '.join(sorted(known))} "
                         "(a plug-in's problem needs its module in the config's plugins)")
    return known[name]


def implementations(problem="chamfer"):
    """The registered implementations of `problem`, by name."""
    get_problem(problem)
    return {name: impl for (p, name), impl in _IMPLEMENTATIONS.items() if p == problem}


def get_implementation(name, problem="chamfer"):
    known = implementations(problem)
    if name not in known:
        raise ValueError(f"unknown {problem} implementation {name!r}; known: {', '.join(sorted(known))}")
    return known[name]
