"""Model artifacts: saved once with a hash, loaded only when the hash matches."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from sklearn.linear_model import LinearRegression

from modeling.artifacts import (
    ArtifactIntegrityError,
    artifact_cache_clear,
    artifact_load,
    artifact_save,
)


def test_round_trip_and_tamper_detection():
    model = LinearRegression().fit([[0.0], [1.0], [2.0]], [1.0, 3.0, 5.0])
    saved = artifact_save(model, "test/roundtrip")
    artifact_cache_clear()
    loaded = artifact_load(saved.name, saved.sha256)
    assert loaded.predict([[3.0]])[0] == pytest.approx(7.0)

    artifact_cache_clear()
    default_storage.delete(saved.name)
    default_storage.save(saved.name, ContentFile(b"not the model"))
    with pytest.raises(ArtifactIntegrityError):
        artifact_load(saved.name, saved.sha256)


def test_refuses_files_outside_the_model_area():
    default_storage.save("datasets/x/evil.joblib", ContentFile(b"x"))
    with pytest.raises(ArtifactIntegrityError):
        artifact_load("datasets/x/evil.joblib", "0" * 64)
