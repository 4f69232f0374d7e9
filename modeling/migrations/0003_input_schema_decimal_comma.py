"""Copy the decimal-comma parse specs that datasets 0002 gave the numeric columns of datasets
read with a decimal comma into the input columns of the models trained on them (the same copy
as 0002: a column's own spec is kept)."""

import importlib

from django.db import migrations

_copy = importlib.import_module("modeling.migrations.0002_input_schema_parse").add_parse_specs


def add_decimal_comma_specs(apps, schema_editor) -> None:
    """Each model input column without a parse spec takes its dataset column's. Safe to repeat."""
    _copy(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("modeling", "0002_input_schema_parse"),
        ("datasets", "0002_decimal_comma_parse"),
    ]

    operations = [migrations.RunPython(add_decimal_comma_specs, migrations.RunPython.noop)]
