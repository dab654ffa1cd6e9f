"""Evaluate declared formula features (``ratio: "Debt / Income"``) without ``eval``.

A formula is parsed with :mod:`ast` and only arithmetic on columns and numbers, and a short
list of numpy functions, is evaluated; anything else (attributes, subscripts, other calls,
comparisons, names that are not columns) is refused with the reason. Column names that are not
Python identifiers are written in backticks, as in ``DataFrame.query``: ```Lot.Area` / area``.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

_BINARY: dict[type[ast.operator], Callable] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable] = {ast.USub: operator.neg, ast.UAdd: operator.pos}
# the NumPy functions a formula may call, by their NumPy names (looked up when evaluated, so
# that importing this module does not import NumPy)
FUNCTIONS = frozenset({"log", "log1p", "exp", "sqrt", "abs"})
_QUOTED = re.compile(r"`([^`]+)`")
# a formula is a feature definition, not a program: these limits keep parsing and evaluation
# far from Python's recursion limit (a 100,000-term sum overflows the parser's stack)
MAX_FORMULA_CHARS = 2000
MAX_FORMULA_NODES = 400


class FormulaError(ValueError):
    """A formula that cannot be evaluated on the table, and why."""


def referenced_columns(formula: str) -> set[str]:
    """Name every column ``formula`` reads.

    Args:
        formula: The expression, with non-identifier column names in backticks.

    Returns:
        The column names.

    Raises:
        FormulaError: If the formula is not valid arithmetic.
    """
    tree, quoted = _parse(formula)
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    return {
        quoted.get(node.id, node.id)
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and id(node) not in called
    }


def evaluate(formula: str, table: pd.DataFrame) -> pd.Series:
    """Compute ``formula`` row by row on ``table``.

    Division by zero and logs of non-positive numbers give missing values (not infinities),
    which the numeric imputer of the feature preprocessor then fills.

    Args:
        formula: The expression, with non-identifier column names in backticks.
        table: The rows; every referenced column must be numeric.

    Returns:
        The float result, indexed like ``table``.

    Raises:
        FormulaError: If the formula is not allowed arithmetic, or names a column that is
            missing or not numeric.
    """
    import numpy as np
    import pandas as pd

    tree, quoted = _parse(formula)
    missing = sorted(referenced_columns(formula) - set(table.columns))
    if missing:
        raise FormulaError(
            f"names column(s) {missing} that the table does not have; columns: "
            f"{sorted(map(str, table.columns))}"
        )

    def value(node: ast.AST) -> pd.Series | float:
        if isinstance(node, ast.Constant):
            assert isinstance(node.value, int | float)  # _parse allows only numbers
            # numpy floats give inf/NaN where Python floats would raise (1/0, 10.0**400)
            return np.float64(node.value)
        if isinstance(node, ast.Name):
            column = quoted.get(node.id, node.id)
            series = table[column]
            if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
                raise FormulaError(f"column '{column}' is {series.dtype}, not numeric")
            return series.astype("float64")
        if isinstance(node, ast.BinOp):
            return _BINARY[type(node.op)](value(node.left), value(node.right))
        if isinstance(node, ast.UnaryOp):
            return _UNARY[type(node.op)](value(node.operand))
        # _parse allows nothing else: a call of a named function with one argument
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        return getattr(np, node.func.id)(value(node.args[0]))

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        result = value(tree.body)
    if not isinstance(result, pd.Series):
        raise FormulaError("reads no column: a constant is not a feature")
    result = result.replace([np.inf, -np.inf], np.nan)
    inputs = table[sorted(referenced_columns(formula))]
    if len(table) and result.isna().all() and inputs.notna().all(axis=1).any():
        # e.g. `Income ** 9**9**9`: every row overflows; a silent all-missing feature would be
        # imputed to a constant and look like a working feature
        raise FormulaError(
            "gives no finite value on any row (overflow, or log/sqrt of negative values?)"
        )
    return result


def check(formula: str) -> None:
    """Refuse a formula that is not allowed arithmetic or is too large; reads no data.

    Raises:
        FormulaError: With the reason.
    """
    _parse(formula)


def _parse(formula: str) -> tuple[ast.Expression, dict[str, str]]:
    """Parse ``formula`` with backticked names replaced, refusing anything but arithmetic."""
    quoted: dict[str, str] = {}

    def placeholder(match: re.Match) -> str:
        name = f"__column_{len(quoted)}"
        quoted[name] = match.group(1)
        return name

    if len(formula) > MAX_FORMULA_CHARS:
        raise FormulaError(
            f"is {len(formula)} characters long; formulas are limited to {MAX_FORMULA_CHARS}: "
            "split it into several formula features"
        )
    try:
        tree = ast.parse(_QUOTED.sub(placeholder, formula), mode="eval")
    except SyntaxError as error:
        raise FormulaError(f"is not a valid expression ({error.msg})") from None
    except (RecursionError, MemoryError):
        raise FormulaError("is nested too deeply to parse") from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_FORMULA_NODES:
        raise FormulaError(
            f"has {len(nodes)} terms and operators; formulas are limited to "
            f"{MAX_FORMULA_NODES}: split it into several formula features"
        )
    for node in nodes:
        problem = _refusal(node)
        if problem:
            raise FormulaError(problem)
    _check_constants(tree.body)
    return tree, quoted


def _check_constants(node: ast.AST) -> float | None:
    """Value of a column-free part of a formula, refusing one that is not finite.

    ``Income ** 9**9**9`` would otherwise overflow to infinity on most rows and quietly
    become a missing value there.

    Returns:
        The part's value, or ``None`` if it reads a column.

    Raises:
        FormulaError: If a column-free part is infinite or undefined.
    """
    import numpy as np

    if isinstance(node, ast.Constant):
        assert isinstance(node.value, int | float)  # _parse allows only numbers
        return np.float64(node.value)
    if isinstance(node, ast.Name):
        return None
    if isinstance(node, ast.BinOp):
        parts = [_check_constants(node.left), _check_constants(node.right)]
        operation = _BINARY[type(node.op)]
    elif isinstance(node, ast.UnaryOp):
        parts, operation = [_check_constants(node.operand)], _UNARY[type(node.op)]
    else:
        # _parse allows nothing else: a call of a named function with one argument
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        parts, operation = [_check_constants(node.args[0])], getattr(np, node.func.id)
    if any(part is None for part in parts):
        return None
    with np.errstate(all="ignore"):
        result = operation(*parts)
    if not np.isfinite(result):
        raise FormulaError(
            f"has the constant part `{ast.unparse(node)}`, which is not a finite number"
        )
    return result


def _refusal(node: ast.AST) -> str | None:
    """Say why ``node`` is not allowed in a formula, or ``None`` if it is."""
    allowed: tuple[type[ast.AST], ...] = (
        ast.Expression,
        ast.Name,
        ast.Load,
        ast.BinOp,
        ast.UnaryOp,
        ast.Call,
        ast.Constant,
    )
    allowed += tuple(_BINARY) + tuple(_UNARY)
    if not isinstance(node, allowed):
        return (
            f"uses {type(node).__name__}, which formulas do not allow: use + - * / ** on "
            f"columns and numbers, and {sorted(FUNCTIONS)}"
        )
    if isinstance(node, ast.Constant) and (
        isinstance(node.value, bool) or not isinstance(node.value, int | float)
    ):
        return f"uses the constant {node.value!r}; only numbers are allowed"
    if isinstance(node, ast.Call) and not (
        isinstance(node.func, ast.Name)
        and node.func.id in FUNCTIONS
        and len(node.args) == 1
        and not node.keywords
    ):
        return f"calls something other than one of {sorted(FUNCTIONS)} with one argument"
    return None
