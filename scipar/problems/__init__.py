"""Problems (what is computed) and their implementations: one subpackage per problem,
its kernels beside it. `registry` finds them, scipar's own and plug-ins alike."""

from scipar.problems.interface import Implementation, Problem, VerificationError
from scipar.problems.registry import (
    PluginError,
    get_implementation,
    get_problem,
    implementations,
    load_plugins,
    problems,
)
from scipar.problems.short import Split, declare

__all__ = [
    "Implementation", "Problem", "VerificationError", "PluginError", "get_implementation",
    "get_problem", "implementations", "load_plugins", "problems", "Split", "declare",
]
