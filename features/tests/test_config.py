"""Tests of the typed feature config: parsed once, typed attributes, each bad key named."""

import pytest

from features.config import FeatureConfig, FeatureConfigError
from features.tabular import DropConstantFeatures, InteractionFeatures, build_feature_step


def test_defaults_and_saved_configs_parse():
    assert FeatureConfig.parse(None) == FeatureConfig.parse({}) == FeatureConfig()
    saved = {
        "lags": [7, 1, 7],
        "rolling_windows": [7],
        "calendar": True,
        "fourier_terms": 3,
        "seasons": [7],
        "features": [{"name": "lag_1", "kind": "lag"}],
        "selection": {"method": "mutual_info", "k": 2, "threshold": None},
        "selected": ["a", "b"],
        "interactions": [["a", "b"]],
    }
    config = FeatureConfig.parse(saved)
    assert config.lags == (1, 7) and config.selected == ("a", "b")
    assert config.interactions == (("a", "b"),)
    assert config.series_params() == {"lags": [1, 7], "windows": [7], "fourier_terms": 3}
    assert FeatureConfig.parse(config) is config


def test_bad_keys_are_named():
    with pytest.raises(FeatureConfigError) as info:
        FeatureConfig.parse({"lags": [0], "rolling_windows": "7", "colour": 1, "calendar": "yes"})
    assert set(info.value.errors) == {"lags", "rolling_windows", "colour", "calendar"}


def test_feature_step_reads_the_typed_config():
    assert isinstance(build_feature_step(None), DropConstantFeatures)
    assert build_feature_step({"drop_constant": False}) == "passthrough"
    step = build_feature_step({"interactions": [["a", "b"]], "variance_threshold": 0.5})
    interactions, drop = (s for _, s in step.steps)
    assert isinstance(interactions, InteractionFeatures) and interactions.pairs == [("a", "b")]
    assert drop.threshold == 0.5
    with pytest.raises(FeatureConfigError):
        build_feature_step({"interactions": "a*b"})
