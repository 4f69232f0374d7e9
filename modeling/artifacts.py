"""Model artifacts: save a fitted object once through Django storage with its sha256, and load it
back only after the hash matches, keeping a few in a small in-process cache.

The server only ever unpickles files it wrote itself (keys under `models/`), never an upload.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import joblib
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from modeling.artifact_format import artifact_bytes
from vur.errors import VURError

logger = logging.getLogger(__name__)


class ArtifactIntegrityError(VURError):
    """A stored model file does not match its recorded hash (or is gone); it is not loaded.

    A 409: the model exists but its file is not the one training wrote, so it cannot answer
    until it is retrained or the file restored.
    """

    status_code = 409
    code = "artifact_integrity"


@dataclass(frozen=True)
class SavedArtifact:
    """Where an artifact was stored, its hash and size."""

    name: str
    sha256: str
    size_bytes: int


def artifact_save(obj: Any, key: str) -> SavedArtifact:
    """Serialize `obj` with joblib under `models/<key>.joblib`; return its storage name and hash."""
    data = artifact_bytes(obj)
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


@dataclass
class _Entry:
    """A cached model and the file signature its hash was last verified against."""

    obj: Any
    signature: tuple | None
    checked_at: float


_cache: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
_lock = threading.Lock()
_load_locks: dict[tuple[str, str], threading.Lock] = {}
# Remote storages (S3) answer a stat with a request: re-check a cached file at most this often.
REMOTE_RECHECK_S = 5.0


def _signature(name: str) -> tuple | None:
    """What changes when the file is rewritten: (size, mtime, ctime, inode) on a local disk,
    (size, modified time) elsewhere. FileNotFoundError when the file is gone."""
    try:
        path = default_storage.path(name)
    except NotImplementedError:
        return (default_storage.size(name), default_storage.get_modified_time(name).timestamp())
    st = os.stat(path)
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _refused(label: str, why: str, code: str = "artifact_integrity") -> ArtifactIntegrityError:
    return ArtifactIntegrityError(
        f"The stored file of {label} {why}; it was not loaded. Retrain the model or restore "
        "its file.",
        code=code,
    )


def _verified_bytes(name: str, sha256: str, label: str) -> tuple[bytes, tuple | None]:
    """The file's bytes and signature, after its sha256 matched; ArtifactIntegrityError else."""
    try:
        signature = _signature(name)
        with default_storage.open(name, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise _refused(label, "is missing", "artifact_missing") from None
    if hashlib.sha256(data).hexdigest() != sha256:
        logger.warning("Artifact %s of %s does not match its recorded sha256.", name, label)
        raise _refused(label, "does not match its recorded hash")
    return data, signature


def artifact_load(name: str, sha256: str, *, label: str | None = None) -> Any:
    """Load the artifact `name` after checking its sha256; cached by (name, hash).

    A cached model is served while its file is unchanged (one stat per call); when the file's
    size or times change its hash is checked again, and a mismatch evicts it and raises
    ArtifactIntegrityError (409) naming `label` (e.g. "model 12 (random_forest)").
    """
    label = label or f"model file {name}"
    key = (name, sha256)
    if not name.startswith("models/"):
        raise ArtifactIntegrityError(f"Refusing to load {label}: it is not a model artifact.")
    with _lock:
        entry = _cache.get(key)
        if entry is not None:
            _cache.move_to_end(key)
    if entry is not None:
        if _still_same(name, entry):
            return entry.obj
        try:
            _data, signature = _verified_bytes(name, sha256, label)
        except ArtifactIntegrityError:
            with _lock:
                _cache.pop(key, None)
            raise
        entry.signature, entry.checked_at = signature, time.monotonic()  # rewritten, same bytes
        return entry.obj
    with _lock:
        key_lock = _load_locks.setdefault(key, threading.Lock())
    # Concurrent first loads (a deploy's warm-up and the first request) wait for one load, so
    # they get the same object and its compiled serving form is built once.
    with key_lock:
        with _lock:
            entry = _cache.get(key)
        if entry is not None:
            return entry.obj
        data, signature = _verified_bytes(name, sha256, label)
        obj = joblib.load(io.BytesIO(data))
        with _lock:
            _cache[key] = _Entry(obj=obj, signature=signature, checked_at=time.monotonic())
            while len(_cache) > max(1, settings.VUR_MODEL_CACHE_SIZE):
                evicted, _ = _cache.popitem(last=False)
                _load_locks.pop(evicted, None)  # one lock per cached file, not per file ever read
    return obj


def _still_same(name: str, entry: _Entry) -> bool:
    """Whether the file behind a cache entry is unchanged since its hash was verified."""
    local = _is_local()
    if not local and time.monotonic() - entry.checked_at < REMOTE_RECHECK_S:
        return True
    try:
        current = _signature(name)
    except FileNotFoundError:
        return False
    if current == entry.signature:
        entry.checked_at = time.monotonic()
        return True
    return False


def _is_local() -> bool:
    try:
        default_storage.path("models/x")
    except NotImplementedError:
        return False
    return True


def artifact_cache_clear() -> None:
    """Empty the in-process model cache (tests, memory pressure)."""
    with _lock:
        _cache.clear()
        _load_locks.clear()
