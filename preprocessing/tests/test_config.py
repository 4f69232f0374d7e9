"""Tests of the typed preprocessing config: parsed once, aliases resolved in one place."""

import dataclasses

import pytest

from preprocessing.analysis import PreprocessingError
from preprocessing.config import PreprocessingConfig, Transformation


def test_empty_and_none_are_the_defaults():
    assert PreprocessingConfig.parse(None) == PreprocessingConfig.parse({}) == PreprocessingConfig()
    config = PreprocessingConfig()
    assert config.missing_values_strategy == "median"
    assert config.categorical_encoding == "auto"
    assert not config.treats_outliers and not config.drops_missing_rows


def test_aliases_resolve_to_the_canonical_names():
    config = PreprocessingConfig.parse(
        {"fill_method": "ffill", "threshold": 2, "outlier_treatment": "cap"}
    )
    assert config.missing_values_strategy == "forward_fill"
    assert config.outlier_threshold == 2.0
    assert config.to_dict()["outlier_threshold"] == 2.0
    assert "fill_method" not in config.to_dict() and "threshold" not in config.to_dict()
    assert PreprocessingConfig.parse(
        {"missing_values_strategy": "none"}
    ).missing_values_strategy == ("median")
    assert (
        PreprocessingConfig.parse({"categorical_encoding": "none"}).categorical_encoding == "auto"
    )


def test_an_alias_that_disagrees_with_its_key_is_an_error():
    errors = PreprocessingConfig.errors_of({"threshold": 2, "outlier_threshold": 3})
    assert set(errors) == {"outlier_threshold"} or set(errors) == {"threshold"}
    assert PreprocessingConfig.errors_of({"threshold": 2, "outlier_threshold": 2}) == {}


def test_parse_raises_naming_each_bad_key():
    with pytest.raises(PreprocessingError) as info:
        PreprocessingConfig.parse(
            {"scaling_method": "cosmic", "colour": 1, "outlier_threshold": "high"}
        )
    assert set(info.value.errors) == {"scaling_method", "colour", "outlier_threshold"}
    errors = PreprocessingConfig.errors_of(
        {"outlier_detection_method": "none", "outlier_treatment": "cap"}
    )
    assert "outlier_treatment" in errors
    errors = PreprocessingConfig.errors_of(
        {"outlier_detection_method": "isolation_forest", "outlier_threshold": 0.7}
    )
    assert "contamination" in errors["outlier_threshold"]


def test_round_trip_and_idempotent_parse():
    data = {
        "missing_values_strategy": "drop",
        "outlier_detection_method": "zscore",
        "outlier_treatment": "remove",
        "outlier_threshold": 2.5,
        "scaling_method": "robust",
        "categorical_encoding": "ordinal",
        "transformations": [
            {"column": "a", "type": "log"},
            {"column": "t", "type": "box_cox", "params": {"lmbda": 0.5}},
        ],
        "custom_rules": {"note": "kept"},
    }
    config = PreprocessingConfig.parse(data)
    assert config.to_dict() == data
    assert PreprocessingConfig.parse(config) is config
    assert PreprocessingConfig.parse(config.to_dict()) == config
    assert config.transformations[1] == Transformation("t", "box_cox", (("lmbda", 0.5),))
    assert config.drops_missing_rows and config.drops_outlier_rows
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.scaling_method = "none"  # type: ignore[misc]
