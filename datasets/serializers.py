"""Dataset serializers: the upload form in, the Dataset and its reports out."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from datasets.models import Dataset
from vur.params import choice_filter


class NonNumericExampleSerializer(serializers.Serializer):
    """The first value of a numeric column that is not a number, and its data row (from 1)."""

    value = serializers.CharField()
    row = serializers.IntegerField()


class ColumnInfoSerializer(serializers.Serializer):
    """One column's profile."""

    name = serializers.CharField()
    dtype = serializers.CharField()
    semantic_type = serializers.ChoiceField(
        choices=["numeric", "categorical", "datetime", "text", "boolean", "id"]
    )
    null_count = serializers.IntegerField()
    null_percentage = serializers.FloatField()
    unique_count = serializers.IntegerField()
    sample_values = serializers.ListField(child=serializers.JSONField())
    non_numeric_count = serializers.IntegerField(
        required=False,
        help_text="Numeric columns: values written that are not numbers (such as 'oops'); they "
        "are read as missing but are not counted in null_count.",
    )
    non_numeric_example = NonNumericExampleSerializer(
        required=False, allow_null=True, help_text="Numeric columns: the first such value."
    )


@extend_schema_field(ColumnInfoSerializer(many=True))
class ColumnsInfoField(serializers.JSONField):
    """The stored per-column profile, answered as stored: a 20,000-column table is not
    re-serialised field by field (its shape is ColumnInfoSerializer's, plus optional keys)."""


class DatasetSerializer(serializers.ModelSerializer):
    """A dataset with its profile (output; `name` and `description` writable by PATCH)."""

    columns_info = ColumnsInfoField(read_only=True)
    owner = serializers.CharField(source="owner.username", read_only=True)

    class Meta:
        model = Dataset
        fields = [
            "id",
            "name",
            "description",
            "dataset_type",
            "filename",
            "file_format",
            "size_bytes",
            "num_rows",
            "num_columns",
            "columns_info",
            "time_column",
            "frequency",
            "id_column",
            "series_info",
            "status",
            "owner",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [f for f in fields if f not in ("name", "description")]


class DatasetSummarySerializer(DatasetSerializer):
    """A dataset in a list: everything but the per-column detail (a wide table stays small)."""

    class Meta(DatasetSerializer.Meta):
        fields = [f for f in DatasetSerializer.Meta.fields if f not in ("columns_info",)]


class DatasetListQuerySerializer(serializers.Serializer):
    """Filters of `datasets/`: the Datasets page's "Name contains" and "Kind"."""

    search = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Only datasets whose name contains this text (any case).",
    )
    name = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="The same as `search`."
    )
    dataset_type = choice_filter(
        Dataset.Type.choices, "dataset type", "Only datasets of this kind."
    )

    def validate(self, attrs: dict) -> dict:
        search, name = (attrs.pop(key, "").strip() for key in ("search", "name"))
        if search and name and search != name:
            raise serializers.ValidationError(
                {"name": ["Give the name filter once, as search or as name."]}
            )
        return {**attrs, "name_contains": search or name}


class DatasetUploadSerializer(serializers.Serializer):
    """The multipart upload form."""

    file = serializers.FileField(allow_empty_file=True)
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    dataset_type = serializers.ChoiceField(
        choices=Dataset.Type.choices, required=False, allow_null=True
    )
    time_column = serializers.CharField(required=False, allow_blank=True, allow_null=True)


class DatasetUpdateSerializer(serializers.Serializer):
    """Rename or re-describe a dataset."""

    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)


class ColumnPageQuerySerializer(serializers.Serializer):
    """Paging by column for statistics and validation (wide tables answer page by page)."""

    page = serializers.IntegerField(min_value=1, max_value=1_000_000_000, default=1)
    page_size = serializers.IntegerField(min_value=1, max_value=2000, required=False)


class ColumnPageSerializer(serializers.Serializer):
    """Which columns an answer covers."""

    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    total_columns = serializers.IntegerField()
    num_pages = serializers.IntegerField()


class ValidatedColumnsSerializer(ColumnPageSerializer):
    """The page of columns a validation report checked."""

    names = serializers.ListField(child=serializers.CharField())


class ValidationReportSerializer(serializers.Serializer):
    """The answer of `datasets/{id}/validate`."""

    valid = serializers.BooleanField()
    # The contract's field name; it shadows Serializer.errors in an answer-only serializer.
    errors = serializers.ListField(child=serializers.CharField())  # type: ignore[assignment]
    warnings = serializers.ListField(
        child=serializers.CharField(),
        help_text=(
            "What would weaken training; for a time series also what the forecasting engine "
            "will do with a history too short for each forecasting pipeline's horizon (or the "
            "default one): fewer ranking windows, the season dropped, steps left unchecked."
        ),
    )
    detected = serializers.DictField()
    columns = ValidatedColumnsSerializer()


class StatisticsSerializer(ColumnPageSerializer):
    """The answer of `datasets/{id}/statistics`: one page of columns, statistics by name."""

    columns = serializers.DictField(child=serializers.DictField())


class PreviewQuerySerializer(serializers.Serializer):
    """Paging of the preview."""

    page = serializers.IntegerField(min_value=1, max_value=1_000_000_000, default=1)
    page_size = serializers.IntegerField(min_value=1, max_value=1000, default=50)
    column_page = serializers.IntegerField(min_value=1, max_value=1_000_000, default=1)
    column_page_size = serializers.IntegerField(min_value=1, max_value=2000, required=False)


class PreviewSerializer(serializers.Serializer):
    """One page of rows."""

    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(child=serializers.ListField(child=serializers.JSONField()))
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    total_rows = serializers.IntegerField()
    total_columns = serializers.IntegerField()
    column_page = serializers.IntegerField()
    column_page_size = serializers.IntegerField()
    column_pages = serializers.IntegerField(help_text="A wide table is previewed page by page.")
    truncated = serializers.BooleanField(help_text="Whether a long text cell was cut.")
    truncated_cells = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="[row, column] of each cut cell; a cut cell ends with '…'.",
    )
    cell_limit = serializers.IntegerField(help_text="Characters shown of a long text cell.")
