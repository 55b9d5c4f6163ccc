"""A digest of an implementation's source, so that results follow the code.

The timing rules pass it to Snakemake as a parameter: editing a kernel changes the
digest of its implementation only, and Snakemake reruns that implementation's timing
jobs and no other. The source is read, not imported (planning imports no kernel
module): the kernel's own definition, the definitions of its module it names, and,
through `from module import name`, theirs in other modules outside the installed
libraries; a compiled module counts by its .pyx source, else by its file's bytes.
"""

import ast
import functools
import hashlib
import importlib.util
import os
import sys

# Installed libraries are versions, recorded in the CSVs, not code the user edits.
LIBRARIES = tuple({os.path.realpath(p) + os.sep for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)})
MAX_DEPTH = 8


def implementation_digest(impl):
    """16 hex digits of the source of `impl`'s kernel and solver; "unknown" where none
    can be read (then an edit reruns nothing: rerun with --force)."""
    return _digest([impl.target, impl.solver_target])


def problem_digest(problem):
    """The same for what a problem's reference depends on: its class, or in the short
    form its data maker and reference (an implementation's kernel, or a function). The
    reference job carries it, and every timing job reads the reference, so an edit of
    either reruns the problem's jobs."""
    return _digest(problem.reference_sources() if hasattr(problem, "reference_sources") else [type(problem)])


def _digest(targets):
    parts = [_target_source(t) for t in targets if t]
    if any(p is None for p in parts):
        return "unknown"
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def _target_source(target):
    if isinstance(target, str):
        module, _, name = target.partition(":")
    else:
        function = getattr(target, "py_func", target)  # a Numba dispatcher's Python function
        module, name = getattr(function, "__module__", None), getattr(function, "__qualname__", "")
        if module is None or not name:
            return None
    return _source(module, name.split(".")[0], MAX_DEPTH, frozenset())


def _source(module, name, depth, seen):
    """The source of `name` in `module` and of what it names, as text; None if unreadable."""
    path = _path(module)
    if path is None:
        return None
    if not path.endswith(".py"):  # a .pyx (its whole text) or a compiled module's bytes
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    definitions, imports = _top_level(path)
    out, todo, done = [], [name], set()
    while todo:
        current = todo.pop()
        if current in done:
            continue
        done.add(current)
        base, _, attribute = current.partition(".")
        if current in definitions:
            node = definitions[current]
            out.append(ast.unparse(node))
            todo += sorted(_names(node) - done)
        elif depth > 0 and base in imports:
            # `from m import f` (f in m), or `import m` / `from p import m` with m.f named.
            found = imports[base] if not attribute else (_module_of(imports[base]), attribute)
            if found[0] is not None and found not in seen:
                source = _source(*found, depth - 1, seen | {found})
                if source is not None:
                    out.append(source)
    return "\n".join(out)


def _module_of(imported):
    """The module an imported name is, if it is one: ("p", "m") -> "p.m"; (m, None) -> m."""
    module, name = imported
    return module if name is None else f"{module}.{name}"


@functools.cache
def _path(module):
    """The file of `module`: its .py, the .pyx beside a compiled one, else the compiled
    file; None when it cannot be found or lies in an installed library."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    path = spec.origin if spec is not None else None
    if not path or not os.path.isfile(path) or os.path.realpath(path).startswith(LIBRARIES):
        return None
    pyx = os.path.join(os.path.dirname(path), os.path.basename(path).split(".")[0] + ".pyx")
    return pyx if not path.endswith(".py") and os.path.isfile(pyx) else path


@functools.cache
def _top_level(path):
    """{name: its definition} and {name: (module, name there)} of a module's top level."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    definitions, imports = {}, {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            definitions[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                definitions |= {leaf.id: node for leaf in ast.walk(target) if isinstance(leaf, ast.Name)}
                if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple) and len(target.elts) == len(node.value.elts):
                    # a, b = x, y: each name its own value
                    definitions |= {t.id: ast.Assign([t], v, lineno=0) for t, v in zip(target.elts, node.value.elts)
                                    if isinstance(t, ast.Name)}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imports |= {alias.asname or alias.name: (node.module, alias.name) for alias in node.names}
        elif isinstance(node, ast.Import):
            imports |= {alias.asname or alias.name: (alias.name, None) for alias in node.names}
    return definitions, imports


def _names(node):
    """The names `node` uses, and its `name.attribute`s (a module's function, perhaps)."""
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    return names | {f"{n.value.id}.{n.attr}" for n in ast.walk(node)
                    if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)}
