"""An upload handler that enforces `VUR_MAX_UPLOAD_MB` while the body streams in.

It refuses a request whose declared length is over the limit before reading it, and stops a
body that grows past the limit chunk by chunk, so a too-large file is never written whole.
"""

from __future__ import annotations

from django.core.files.uploadhandler import FileUploadHandler

from vur.errors import PayloadTooLarge


class LimitedUploadHandler(FileUploadHandler):
    """Counts uploaded bytes and raises PayloadTooLarge (413) past the configured limit."""

    def __init__(self, request=None):
        super().__init__(request)
        self.received = 0

    @staticmethod
    def _limit() -> int:
        from datasets.services import max_upload_bytes

        return max_upload_bytes()

    def _too_large(self) -> PayloadTooLarge:
        from django.conf import settings

        return PayloadTooLarge(
            f"The file is larger than the {settings.VUR_MAX_UPLOAD_MB} MB upload limit."
        )

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        """Refuse at once when the declared body is over the limit (plus form overhead)."""
        if content_length and content_length > self._limit() + 64 * 1024:
            raise self._too_large()

    def receive_data_chunk(self, raw_data, start):
        """Pass the chunk on to the next handler unless the running total is over the limit."""
        self.received += len(raw_data)
        if self.received > self._limit():
            raise self._too_large()
        return raw_data

    def file_complete(self, file_size):
        """Leave the file to the next handler (memory or temporary file)."""
        return None
