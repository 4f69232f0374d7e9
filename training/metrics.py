"""Model scores, kept importable here for training code and benches: the one implementation is
`modeling.metrics` (the lowest layer that reads metrics)."""

from modeling.metrics import (
    LOWER_IS_BETTER,
    classification_metrics,
    error_metrics,
    forecast_metrics,
    label_codes,
    lower_is_better,
    mase_scale,
    ovr_auc,
    primary_metric,
    probability_log_loss,
    regression_metrics,
    score_value,
)

__all__ = [
    "LOWER_IS_BETTER",
    "classification_metrics",
    "error_metrics",
    "forecast_metrics",
    "label_codes",
    "lower_is_better",
    "mase_scale",
    "ovr_auc",
    "primary_metric",
    "probability_log_loss",
    "regression_metrics",
    "score_value",
]
