"""An upload handler that enforces `VUR_MAX_UPLOAD_MB` while the body streams in.

It refuses a request whose declared length is over the limit before reading it, and stops a
body that grows past the limit chunk by chunk, so a too-large file is never written whole.

An API request is refused by raising PayloadTooLarge (413) as the body is parsed. A page's form
is parsed first by Django's CSRF check, outside any view, where that exception would become a
500; so for pages the handler stops the upload instead, keeps the fields read before the file
(the CSRF token among them) and leaves the refusal on the request: `uploaded_file()` raises it
in the view, which answers with the form's own message.
"""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest

from vur.errors import PayloadTooLarge

REFUSAL_ATTR = "vur_upload_refused"
API_PREFIX = "/api/v1/"  # vur.views.API_PREFIX (not imported: datasets sits below the project)


def too_large() -> PayloadTooLarge:
    """The refusal of a file over the upload limit, naming the limit."""
    from django.conf import settings

    return PayloadTooLarge(
        f"The file is larger than the {settings.VUR_MAX_UPLOAD_MB} MB upload limit."
    )


def uploaded_file(request: HttpRequest, name: str = "file") -> UploadedFile | None:
    """The form's file `name` (None when none was sent); raises PayloadTooLarge (413) when the
    handler stopped it for its size."""
    files = request.FILES  # parses the body unless the CSRF check did already
    refused = getattr(request, REFUSAL_ATTR, None)
    if refused is not None:
        raise refused
    return files.get(name)


class LimitedUploadHandler(FileUploadHandler):
    """Counts uploaded bytes and refuses (413) past the configured limit."""

    def __init__(self, request=None):
        super().__init__(request)
        self.received = 0

    @staticmethod
    def _limit() -> int:
        from datasets.services import max_upload_bytes

        return max_upload_bytes()

    def _is_page(self) -> bool:
        """Whether the request is a page's form (not the REST API's, under `API_PREFIX`)."""
        return self.request is not None and not self.request.path_info.startswith(API_PREFIX)

    def _refuse(self) -> None:
        """Raise the refusal (API), or stop the upload and leave it for the view (pages)."""
        if not self._is_page():
            raise too_large()
        setattr(self.request, REFUSAL_ATTR, too_large())
        raise StopUpload(connection_reset=True)

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        """Refuse an API request at once when the declared body is over the limit (plus form
        overhead). A page's body is bounded already (`vur.bodylimit`) and is read up to the limit,
        so the fields before the file reach the CSRF check."""
        if self._is_page():
            return
        if content_length and content_length > self._limit() + 64 * 1024:
            raise too_large()

    def receive_data_chunk(self, raw_data, start):
        """Pass the chunk on to the next handler unless the running total is over the limit."""
        self.received += len(raw_data)
        if self.received > self._limit():
            self._refuse()
        return raw_data

    def file_complete(self, file_size):
        """Leave the file to the next handler (memory or temporary file)."""
        return None
