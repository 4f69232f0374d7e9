"""Test helpers shared by the apps' unit tests (no Django needed)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

import pytest
from sklearn.utils.estimator_checks import estimator_checks_generator

# Array-API checks only run with SCIPY_ARRAY_API=1 and apply to estimators that declare array-API
# support; ours work on pandas frames and declare none, so these checks would only be skipped.
NOT_APPLICABLE = ("check_array_api_input",)


def sklearn_contract_checks(
    estimators: Iterable, expected_failed_checks: Callable | None = None
) -> pytest.MarkDecorator:
    """Parametrize a test over scikit-learn's estimator checks, minus the non-applicable ones.

    Expected failures are marked xfail with their reason, as `parametrize_with_checks` does.
    """
    params = []
    for estimator in estimators:
        expected = expected_failed_checks(estimator) if expected_failed_checks else None
        for item in estimator_checks_generator(
            estimator, legacy=True, expected_failed_checks=expected, mark="xfail"
        ):
            # Expected failures come wrapped in pytest.param with their xfail mark.
            (est, check), marks = (
                (item.values, item.marks) if hasattr(item, "marks") else (item, ())
            )
            name = check.func.__name__ if isinstance(check, partial) else check.__name__
            if name in NOT_APPLICABLE:
                continue
            params.append(pytest.param(est, check, marks=marks, id=f"{type(est).__name__}-{name}"))
    return pytest.mark.parametrize(("estimator", "check"), params)
