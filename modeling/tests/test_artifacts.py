"""Model artifacts: saved once with a hash, loaded only when the hash matches."""

from __future__ import annotations

import hashlib
import io

import joblib
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

# The first bytes of an LZ4 frame (what joblib writes with compress=("lz4", level)).
LZ4_FRAME_MAGIC = b"\x04\x22\x4d\x18"


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


def test_concurrent_first_loads_share_one_object():
    """A deploy's warm-up and the first request load the same model at once: both must get the
    same object, so that its compiled serving form is built once and reused."""
    import threading

    from sklearn.ensemble import RandomForestRegressor

    model = RandomForestRegressor(n_estimators=30, random_state=0).fit([[0], [1], [2]], [0, 1, 2])
    saved = artifact_save(model, "tests/concurrent")
    artifact_cache_clear()
    start = threading.Barrier(6)
    got: list[object] = []

    def load() -> None:
        start.wait()
        got.append(artifact_load(saved.name, saved.sha256))

    threads = [threading.Thread(target=load) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(got) == 6
    assert all(obj is got[0] for obj in got)
    artifact_cache_clear()


def test_artifacts_are_lz4_files_and_older_zlib_ones_still_load():
    model = LinearRegression().fit([[0.0], [1.0], [2.0]], [1.0, 3.0, 5.0])
    saved = artifact_save(model, "test/format")
    with default_storage.open(saved.name, "rb") as fh:
        assert fh.read(4) == LZ4_FRAME_MAGIC
    # A model saved before the switch (joblib's zlib, compress=3) loads as before.
    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=3)
    name = default_storage.save("models/test/older.joblib", ContentFile(buffer.getvalue()))
    artifact_cache_clear()
    loaded = artifact_load(name, hashlib.sha256(buffer.getvalue()).hexdigest())
    assert loaded.predict([[3.0]])[0] == pytest.approx(7.0)
