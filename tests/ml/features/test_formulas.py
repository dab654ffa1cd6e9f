"""Formula features are evaluated by walking the parsed expression, never with ``eval``.

Expected values are worked out by hand next to each case.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

from roadmap_pipelines.ml.features.formulas import (
    FUNCTIONS,
    FormulaError,
    evaluate,
    referenced_columns,
)


@pytest.fixture
def table() -> pd.DataFrame:
    # a non-default index: results must line up with the rows they came from
    return pd.DataFrame(
        {
            "a": [1.0, 2.0, 4.0],
            "b": [2.0, 0.0, -1.0],
            "n": pd.array([1, None, 3], dtype="Int64"),
            "flag": [True, False, True],
            "Lot.Area": [100.0, 1000.0, 10.0],
            "Yr Sold": [2010, 2008, 2006],
            "s": ["x", "y", "z"],
        },
        index=[10, 20, 30],
    )


def values(result: pd.Series) -> list[float]:
    return [None if np.isnan(v) else round(float(v), 10) for v in result]


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("a + b", [3.0, 2.0, 3.0]),
        ("a - b", [-1.0, 2.0, 5.0]),
        ("a * b", [2.0, 0.0, -4.0]),
        ("a ** 2", [1.0, 4.0, 16.0]),
        ("-a", [-1.0, -2.0, -4.0]),
        ("+a", [1.0, 2.0, 4.0]),
        # precedence: * before +, ** before unary minus, parentheses first
        ("a + b * 2", [5.0, 2.0, 2.0]),
        ("(a + b) * 2", [6.0, 4.0, 6.0]),
        ("-a ** 2", [-1.0, -4.0, -16.0]),
        ("a - b - 1", [-2.0, 1.0, 4.0]),  # left-associative: (a - b) - 1
        ("2 ** a ** 0.5", [2.0, round(2.0 ** (2.0**0.5), 10), 4.0]),  # right-associative
        ("a / 4 + 0.5", [0.75, 1.0, 1.5]),
        # bool columns count as 0/1, nullable integers keep their missing value
        ("flag * a", [1.0, 0.0, 4.0]),
        ("n + 1", [2.0, None, 4.0]),
    ],
)
def test_arithmetic(table: pd.DataFrame, formula: str, expected: list) -> None:
    result = evaluate(formula, table)

    assert values(result) == expected
    assert result.dtype == "float64"
    assert list(result.index) == [10, 20, 30]


def test_backticks_quote_names_that_are_not_identifiers(table: pd.DataFrame) -> None:
    result = evaluate("`Yr Sold` - 2000 + `Lot.Area` / a", table)

    assert values(result) == [110.0, 508.0, 8.5]
    assert referenced_columns("`Yr Sold` - 2000 + `Lot.Area` / a") == {"Yr Sold", "Lot.Area", "a"}


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("log(`Lot.Area`)", [np.log(100.0), np.log(1000.0), np.log(10.0)]),
        ("log1p(a)", [np.log(2.0), np.log(3.0), np.log(5.0)]),
        ("exp(b)", [np.exp(2.0), 1.0, np.exp(-1.0)]),
        ("sqrt(a)", [1.0, np.sqrt(2.0), 2.0]),
        ("abs(b)", [2.0, 0.0, 1.0]),
        ("sqrt(abs(b)) * 2", [2 * np.sqrt(2.0), 0.0, 2.0]),
    ],
)
def test_functions(table: pd.DataFrame, formula: str, expected: list) -> None:
    assert values(evaluate(formula, table)) == [round(v, 10) for v in expected]


def test_the_function_list_is_short_and_numeric() -> None:
    assert set(FUNCTIONS) == {"log", "log1p", "exp", "sqrt", "abs"}


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("a / b", [0.5, None, -4.0]),  # 2 / 0 is a missing value, not inf
        ("-a / b", [-0.5, None, 4.0]),  # nor -inf
        ("b / b", [1.0, None, 1.0]),  # 0 / 0
        ("log(b)", [np.log(2.0), None, None]),  # log 0 and log of a negative number
        ("sqrt(b)", [np.sqrt(2.0), 0.0, None]),
        ("b ** 0.5", [np.sqrt(2.0), 0.0, None]),
        ("log1p(b - 1)", [np.log(2.0), None, None]),  # log1p(-1) = -inf, log1p(-2) undefined
    ],
)
def test_undefined_results_are_missing_values_without_warnings(
    table: pd.DataFrame, formula: str, expected: list
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = evaluate(formula, table)

    assert values(result) == [None if v is None else round(v, 10) for v in expected]
    assert not np.isinf(result).any()


@pytest.mark.parametrize("formula", ["a + 1 / 0", "a * 10.0 ** 400", "a ** 9**9**9"])
def test_a_constant_part_that_is_not_finite_is_refused(table: pd.DataFrame, formula: str) -> None:
    # it would make the feature missing on (almost) every row, silently
    with pytest.raises(FormulaError, match="constant part .* is not a finite number"):
        evaluate(formula, table)


def test_a_formula_missing_on_every_row_is_refused(table: pd.DataFrame) -> None:
    # an all-missing feature would be imputed to a constant and pass for a working one
    with pytest.raises(FormulaError, match="gives no finite value on any row"):
        evaluate("log(b - 10)", table)


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        (" + ".join(["a"] * 100_000), "formulas are limited to 2000"),
        ("-" * 1500 + "a", "limited to 400|nested too deeply"),
        (" + ".join(["a"] * 300), "formulas are limited to 400"),
    ],
)
def test_huge_formulas_are_refused_before_any_data(formula: str, expected: str) -> None:
    from roadmap_pipelines.ml.features.formulas import check

    with pytest.raises(FormulaError, match=expected):
        check(formula)


REFUSALS = {
    "attribute access": ("a.real", "uses Attribute, which formulas do not allow"),
    "dunder attribute": ("().__class__", "formulas do not allow"),
    "subscript": ("a[0]", "uses Subscript, which formulas do not allow"),
    "import": ("__import__('os')", "calls something other than one of ['abs', 'exp', 'log'"),
    "lambda": ("lambda: a", "uses Lambda, which formulas do not allow"),
    "comparison": ("a > b", "uses Compare, which formulas do not allow"),
    "boolean operator": ("a and b", "uses BoolOp"),
    "conditional": ("a if b else 0", "uses IfExp"),
    "floor division": ("a // b", "uses FloorDiv"),
    "string": ("a + 'x'", "uses the constant 'x'; only numbers are allowed"),
    "boolean constant": ("a + True", "uses the constant True; only numbers are allowed"),
    "unknown function": ("median(a)", "calls something other than one of"),
    "function with two arguments": ("log(a, 2)", "with one argument"),
    "keyword argument": ("log(x=a)", "with one argument"),
    "method call": ("a.sum()", "calls something other than one of"),
    "syntax error": ("a +", "is not a valid expression (invalid syntax)"),
    "statement": ("a = 1", "is not a valid expression"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_anything_but_arithmetic_is_refused_with_the_reason(table: pd.DataFrame, case: str) -> None:
    formula, message = REFUSALS[case]

    with pytest.raises(FormulaError, match=re.escape(message)):
        evaluate(formula, table)
    # refused on parsing alone, before any column is read
    with pytest.raises(FormulaError, match=re.escape(message)):
        referenced_columns(formula)


def test_the_refusal_lists_what_is_allowed(table: pd.DataFrame) -> None:
    with pytest.raises(FormulaError) as raised:
        evaluate("a.b", table)

    assert str(raised.value) == (
        "uses Attribute, which formulas do not allow: use + - * / ** on columns and numbers, "
        "and ['abs', 'exp', 'log', 'log1p', 'sqrt']"
    )


def test_a_name_not_in_the_table_is_refused_listing_the_columns(table: pd.DataFrame) -> None:
    with pytest.raises(FormulaError) as raised:
        evaluate("a / Income + `Lot Area`", table)

    assert str(raised.value) == (
        "names column(s) ['Income', 'Lot Area'] that the table does not have; columns: "
        "['Lot.Area', 'Yr Sold', 'a', 'b', 'flag', 'n', 's']"
    )


def test_a_function_name_used_as_a_missing_column_is_a_formula_error(
    table: pd.DataFrame,
) -> None:
    with pytest.raises(FormulaError, match=r"names column\(s\) \['log'\]"):
        evaluate("log + a", table)


def test_a_non_numeric_column_is_refused(table: pd.DataFrame) -> None:
    with pytest.raises(FormulaError, match=r"column 's' is .+, not numeric"):
        evaluate("a * s", table)


@pytest.mark.parametrize("formula", ["1 + 2", "log(10)", "-3"])
def test_a_formula_of_constants_only_is_not_a_feature(table: pd.DataFrame, formula: str) -> None:
    with pytest.raises(FormulaError, match="reads no column: a constant is not a feature"):
        evaluate(formula, table)


def test_evaluation_does_not_change_the_table(table: pd.DataFrame) -> None:
    before = table.copy()
    evaluate("a / b + n", table)
    pd.testing.assert_frame_equal(table, before)


@pytest.mark.parametrize(
    ("formula", "columns"),
    [
        ("Debt / Income", {"Debt", "Income"}),
        ("log(`Lot.Area`) + sqrt(x) - x", {"Lot.Area", "x"}),
        ("`Yr.Sold` - `Year.Built`", {"Yr.Sold", "Year.Built"}),
        ("abs(`a b`) ** 2", {"a b"}),
        ("3 * 4", set()),
    ],
)
def test_referenced_columns(formula: str, columns: set[str]) -> None:
    assert referenced_columns(formula) == columns
