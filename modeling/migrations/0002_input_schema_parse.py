"""Give every trained model's input columns the parse spec (number separators, date formats) of
its dataset's columns, which training did not save before, so requests to models trained earlier
are read in their training file's notation and date order too."""

from django.db import migrations


def add_parse_specs(apps, schema_editor) -> None:
    """Copy each dataset column's `parse` into the models' input columns that lack it."""
    TrainedModel = apps.get_model("modeling", "TrainedModel")
    changed = []
    rows = TrainedModel.objects.select_related("pipeline__dataset").only(
        "id", "input_schema", "pipeline__dataset__columns_info"
    )
    for model in rows.iterator(chunk_size=500):
        columns = (model.input_schema or {}).get("columns") or []
        specs = {
            c.get("name"): c["parse"]
            for c in (model.pipeline.dataset.columns_info or [])
            if isinstance(c, dict) and c.get("parse")
        }
        touched = False
        for column in columns:
            spec = specs.get(column.get("name"))
            if spec and not column.get("parse"):
                column["parse"] = spec
                touched = True
        if touched:
            changed.append(model)
        if len(changed) >= 500:
            TrainedModel.objects.bulk_update(changed, ["input_schema"])
            changed = []
    if changed:
        TrainedModel.objects.bulk_update(changed, ["input_schema"])


class Migration(migrations.Migration):
    dependencies = [
        ("modeling", "0001_initial"),
        ("datasets", "0001_initial"),
        ("pipelines", "0001_initial"),
    ]

    operations = [migrations.RunPython(add_parse_specs, migrations.RunPython.noop)]
