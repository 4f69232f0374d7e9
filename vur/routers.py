"""A router whose routes match with or without the trailing slash (the contract writes both)."""

from rest_framework.routers import SimpleRouter


class OptionalSlashRouter(SimpleRouter):
    """SimpleRouter accepting `datasets/upload` and `datasets/upload/` alike."""

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"
