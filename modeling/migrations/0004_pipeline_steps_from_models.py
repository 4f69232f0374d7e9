"""Drop the completed steps that pipelines kept after their models were deleted: training (and
deployment after it) where no model is left, deployment where none of them is deployed (the
rule of `modeling.services.pipeline_steps_from_models`, which deletes now follow)."""

from django.db import migrations

STEPS = ("upload", "preprocessing", "features", "model_selection", "training", "deployment")


def drop_stale_steps(apps, schema_editor) -> None:
    """Each pipeline keeps only the steps its models back. Safe to repeat."""
    Pipeline = apps.get_model("pipelines", "Pipeline")
    TrainedModel = apps.get_model("modeling", "TrainedModel")
    trained = set(TrainedModel.objects.values_list("pipeline_id", flat=True))
    deployed = set(
        TrainedModel.objects.filter(is_deployed=True).values_list("pipeline_id", flat=True)
    )
    for pipeline in Pipeline.objects.only("pk", "completed_steps", "current_step").iterator():
        undone: set[str] = set()
        if pipeline.pk not in trained:
            undone = {"training", "deployment"}
        elif pipeline.pk not in deployed:
            undone = {"deployment"}
        done = [s for s in pipeline.completed_steps or [] if s not in undone]
        if done == list(pipeline.completed_steps or []):
            continue
        later = [s for s in STEPS if s not in done]
        pipeline.completed_steps = done
        pipeline.current_step = later[0] if later else "monitoring"
        pipeline.save(update_fields=["completed_steps", "current_step"])


class Migration(migrations.Migration):
    dependencies = [
        ("modeling", "0003_input_schema_decimal_comma"),
        ("pipelines", "0001_initial"),
    ]

    operations = [migrations.RunPython(drop_stale_steps, migrations.RunPython.noop)]
