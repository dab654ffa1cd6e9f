"""Log and Box-Cox transforms of a series and their inverses.

Forecasts and interval bounds are computed on the transformed scale and mapped back. The
transforms are monotonic, so the bounds keep their coverage and order; the back-transformed
point forecast is the forecast *median* on the original scale (no bias adjustment).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Transform:
    """A fitted transform: ``none``, ``log`` or ``boxcox`` with its ``lambda_``."""

    method: str = "none"
    lambda_: float | None = None

    def forward(self, values: np.ndarray) -> np.ndarray:
        import numpy as np

        values = np.asarray(values, dtype=float)
        if self.method == "none":
            return values
        if self.method == "log" or self.lambda_ == 0:
            return np.log(values)
        assert self.lambda_ is not None  # a fitted boxcox transform carries its lambda
        return (np.power(values, self.lambda_) - 1.0) / self.lambda_

    def inverse(self, values: np.ndarray) -> np.ndarray:
        import numpy as np

        values = np.asarray(values, dtype=float)
        if self.method == "none":
            return values
        if self.method == "log" or self.lambda_ == 0:
            return np.exp(values)
        assert self.lambda_ is not None  # a fitted boxcox transform carries its lambda
        base = self.lambda_ * values + 1.0
        # outside the transform's range a bound runs to the edge of the original scale
        edge = 0.0 if self.lambda_ > 0 else math.inf
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            return np.where(base > 0, np.power(np.maximum(base, 1e-300), 1.0 / self.lambda_), edge)

    def summary(self) -> dict[str, object]:
        return {"method": self.method, "lambda": self.lambda_}


def guerrero_lambda(values: np.ndarray, m: int, lower: float = -1.0, upper: float = 2.0) -> float:
    """Guerrero's (1993) Box-Cox lambda, as R's ``forecast::BoxCox.lambda`` computes it.

    The last whole seasons (subseries of ``max(m, 2)`` points) give a mean and standard
    deviation each; lambda minimises the coefficient of variation of ``sd / mean^(1 - lambda)``.
    """
    import numpy as np
    from scipy.optimize import minimize_scalar

    period = max(m, 2)
    values = np.asarray(values, dtype=float)
    n_blocks = len(values) // period
    blocks = values[len(values) - n_blocks * period :].reshape(n_blocks, period)
    means, sds = blocks.mean(axis=1), blocks.std(axis=1, ddof=1)

    def variation(lambda_: float) -> float:
        ratio = sds / means ** (1.0 - lambda_)
        return float(np.std(ratio, ddof=1) / np.mean(ratio))

    result = minimize_scalar(variation, bounds=(lower, upper), method="bounded")
    return float(result.x)


def fit_transform(method: str, values: np.ndarray, m: int, lambda_: float | None) -> Transform:
    """Build the transform for one series (estimating lambda when it is not given).

    Raises:
        ValueError: If a log or Box-Cox transform meets a value that is not positive.
    """
    import numpy as np

    if method == "none":
        return Transform()
    smallest = float(np.min(values))
    if smallest <= 0:
        raise ValueError(
            f"a {method} transform needs positive values, but the smallest is {smallest:g}; "
            "use transform method none for this series"
        )
    if method == "log":
        return Transform("log", 0.0)
    if lambda_ is None:
        lambda_ = round(guerrero_lambda(values, m), 6)
    return Transform("boxcox", float(lambda_))
