"""Give the numeric columns of CSV datasets read with a decimal comma (a file-level reading
option, which their profile did not record) the parse spec saying so, so requests to models
trained on them read "13,28" as the file did. Reads the head of each stored CSV file once."""

import logging

from django.db import migrations

logger = logging.getLogger(__name__)


def add_decimal_comma(apps, schema_editor) -> None:
    """Mark the numeric columns of each decimal-comma CSV dataset; files that cannot be read
    (missing, unreadable) are left as they are. Safe to repeat."""
    from datasets.columns import with_file_decimal
    from datasets.io import DatasetReadError, file_decimal

    Dataset = apps.get_model("datasets", "Dataset")
    for dataset in Dataset.objects.filter(file_format="csv").only("id", "file", "columns_info"):
        try:
            with dataset.file.open("rb") as handle:
                decimal = file_decimal(handle, "csv")
        except (OSError, DatasetReadError, ValueError):
            logger.warning("Dataset %s: its file could not be read; left as it was.", dataset.pk)
            continue
        marked = with_file_decimal(dataset.columns_info or [], decimal)
        if marked != dataset.columns_info:
            dataset.columns_info = marked
            dataset.save(update_fields=["columns_info"])


class Migration(migrations.Migration):
    dependencies = [("datasets", "0001_initial")]

    operations = [migrations.RunPython(add_decimal_comma, migrations.RunPython.noop)]
