"""``predict`` runs the rows through the model once and gives the model's own answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lightgbm import LGBMClassifier
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from roadmap_pipelines.ml.tabular.prediction import predict


def _rows(classes: list[str]) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(0)
    features = pd.DataFrame(rng.normal(size=(300, 4)), columns=list("abcd"))
    labels = np.asarray(classes)[
        (features["a"] + features["b"] > 0).astype(int)
        + (features["c"] > 1).astype(int) * (len(classes) - 2)
    ]
    return features, pd.Series(labels, name="y")


@pytest.mark.parametrize(
    "estimator",
    [
        LGBMClassifier(n_estimators=20, verbose=-1, n_jobs=1, random_state=0),
        RandomForestClassifier(n_estimators=10, random_state=0),
        HistGradientBoostingClassifier(max_iter=20, random_state=0),
        LogisticRegression(),
    ],
    ids=type,
)
@pytest.mark.parametrize("classes", [["bad", "good"], ["a", "b", "c"]])
def test_predictions_and_probabilities_are_the_models_own(estimator, classes) -> None:
    features, target = _rows(classes)
    model = Pipeline([("scale", StandardScaler()), ("model", estimator)]).fit(features, target)
    predictions, probabilities = predict(model, features, "classification")
    np.testing.assert_array_equal(predictions, model.predict(features))
    np.testing.assert_array_equal(probabilities, model.predict_proba(features))
    assert predictions.dtype == model.predict(features).dtype


class _Counting(LGBMClassifier):
    """Counts how often the rows are predicted (LightGBM's predict calls predict_proba)."""

    calls = 0

    def predict_proba(self, X, **kwargs):  # noqa: N803
        type(self).calls += 1
        return super().predict_proba(X, **kwargs)


def test_lightgbm_predicts_the_rows_once() -> None:
    features, target = _rows(["bad", "good"])
    model = LGBMClassifier(n_estimators=5, verbose=-1, n_jobs=1).fit(features, target)
    counting = _Counting(n_estimators=5, verbose=-1, n_jobs=1).fit(features, target)
    _Counting.calls = 0
    # a subclass is not on the list of argmax classifiers: it is predicted twice
    predict(counting, features, "classification")
    assert _Counting.calls == 2
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(LGBMClassifier, "predict", lambda *_: pytest.fail("predicted the rows again"))
        predictions, probabilities = predict(model, features, "classification")
    assert set(predictions) == {"bad", "good"}
    assert probabilities.shape == (len(features), 2)


def test_regression_has_no_probabilities() -> None:
    features, target = _rows(["bad", "good"])
    model = HistGradientBoostingClassifier(max_iter=5).fit(features, target)
    predictions, probabilities = predict(model, features, "regression")
    assert probabilities is None
    np.testing.assert_array_equal(predictions, model.predict(features))
