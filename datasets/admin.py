"""Admin for datasets: searchable list with type, size and shape."""

from django.contrib import admin

from datasets.models import Dataset


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    """Datasets with owner, type, format and shape."""

    list_display = (
        "name",
        "owner",
        "dataset_type",
        "file_format",
        "num_rows",
        "num_columns",
        "size_bytes",
        "created_at",
    )
    list_filter = ("dataset_type", "file_format", "status")
    search_fields = ("name", "filename", "owner__username")
    readonly_fields = ("columns_info", "series_info", "created_at", "updated_at")
    date_hierarchy = "created_at"
