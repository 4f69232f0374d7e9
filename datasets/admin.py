"""Admin for datasets: searchable list with type, size and shape; the profile is read-only and
datasets are only created by uploading (which parses and profiles the file)."""

from django.contrib import admin
from django.template.defaultfilters import filesizeformat

from datasets import services
from datasets.models import Dataset


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    """Datasets with owner, type, format and shape; name and description are editable."""

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

    # Deletes go through the service: refused while in use (listed as protected on the
    # confirmation page), and the stored files built on it are removed after the commit.
    def get_deleted_objects(self, objs, request):
        """Django's list of what goes, with the reasons a dataset cannot go now as protected."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for obj in objs:
            protected += [f"{obj}: {why}" for why in services.dataset_delete_blockers(dataset=obj)]
        return deleted, counts, perms_needed, protected

    def delete_model(self, request, obj: Dataset) -> None:
        """Delete through `dataset_delete` (files after commit)."""
        services.dataset_delete(dataset=obj)

    def delete_queryset(self, request, queryset) -> None:
        """Delete each through `dataset_delete` (files after commit)."""
        for obj in queryset:
            services.dataset_delete(dataset=obj)
