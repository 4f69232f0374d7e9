"""Admin for datasets: searchable list with type, size and shape; the profile is read-only and
datasets are only created by uploading (which parses and profiles the file)."""

from django.contrib import admin
from django.template.defaultfilters import filesizeformat

from datasets import services
from datasets.models import Dataset
from vur.admindelete import ServiceDeleteAdmin
from vur.adminjson import ReadableJSONAdmin


@admin.register(Dataset)
class DatasetAdmin(ReadableJSONAdmin, ServiceDeleteAdmin):
    """Datasets with owner, type, format and shape; name and description are editable. Deletes
    go through `dataset_delete`: refused while in use, the stored files removed after commit."""

    list_display = (
        "name",
        "owner",
        "dataset_type",
        "file_format",
        "num_rows",
        "num_columns",
        "size",
        "frequency",
        "status",
        "created_at",
    )
    list_filter = ("dataset_type", "file_format", "status", "created_at")
    search_fields = ("name", "filename", "description", "owner__username")
    readonly_fields = (
        "owner",
        "file",
        "filename",
        "file_format",
        "size_bytes",
        "num_rows",
        "num_columns",
        "dataset_type",
        "time_column",
        "frequency",
        "id_column",
        "status",
        "columns_info",
        "series_info",
        "created_at",
        "updated_at",
    )
    list_select_related = ("owner",)
    date_hierarchy = "created_at"

    @admin.display(description="size", ordering="size_bytes")
    def size(self, obj: Dataset) -> str:
        """The stored file's size, human-readable."""
        return filesizeformat(obj.size_bytes)

    def view_on_site(self, obj: Dataset) -> str:
        """The dataset's page in the web UI."""
        return f"/datasets/{obj.pk}/"

    def has_add_permission(self, request) -> bool:
        """Datasets come from uploads (the upload page or API), which parse and profile them."""
        return False

    def delete_refusal(self, obj: Dataset) -> str:
        """Why `dataset_delete` would refuse the dataset now ("" when it may go)."""
        return services.dataset_delete_refusal(dataset=obj)

    def delete_through_service(self, obj: Dataset) -> None:
        """Delete through `dataset_delete` (its pipelines, models and files after commit)."""
        services.dataset_delete(dataset=obj)
