"""Model artifacts: save a fitted object once through Django storage with its sha256, and load it
back only after the hash matches, keeping a few in a small in-process cache.

The server only ever unpickles files it wrote itself (keys under `models/`), never an upload.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import joblib
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from vur.errors import VURError


class ArtifactIntegrityError(VURError):
    """A stored model file does not match its recorded hash; it is not loaded."""

    status_code = 500
    code = "artifact_integrity"


@dataclass(frozen=True)
class SavedArtifact:
    """Where an artifact was stored, its hash and size."""

    name: str
    sha256: str
    size_bytes: int


def artifact_save(obj: Any, key: str) -> SavedArtifact:
    """Serialize `obj` with joblib under `models/<key>.joblib`; return its storage name and hash."""
    buffer = io.BytesIO()
    joblib.dump(obj, buffer, compress=3)
    data = buffer.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    name = default_storage.save(f"models/{key}.joblib", ContentFile(data))
    return SavedArtifact(name=name, sha256=digest, size_bytes=len(data))


def card_save(card: dict[str, Any], key: str) -> str:
    """Store the JSON model card beside the artifact; return its storage name."""
    payload = json.dumps(card, indent=2, default=str).encode()
    return default_storage.save(f"models/{key}.card.json", ContentFile(payload))


def artifact_delete(*names: str) -> None:
    """Remove stored files (artifacts, cards). Safe to repeat."""
    for name in names:
        if name:
            default_storage.delete(name)


_cache: OrderedDict[tuple[str, str], Any] = OrderedDict()
_lock = threading.Lock()


def artifact_load(name: str, sha256: str) -> Any:
    """Load the artifact `name` after checking its sha256; cached by (name, hash)."""
    key = (name, sha256)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    if not name.startswith("models/"):
        raise ArtifactIntegrityError("Refusing to load a file that is not a model artifact.")
    with default_storage.open(name, "rb") as fh:
        data = fh.read()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ArtifactIntegrityError(
            "The stored model file does not match its recorded hash; it was not loaded."
        )
    obj = joblib.load(io.BytesIO(data))
    with _lock:
        _cache[key] = obj
        while len(_cache) > max(1, settings.VUR_MODEL_CACHE_SIZE):
            _cache.popitem(last=False)
    return obj


def artifact_cache_clear() -> None:
    """Empty the in-process model cache (tests, memory pressure)."""
    with _lock:
        _cache.clear()
