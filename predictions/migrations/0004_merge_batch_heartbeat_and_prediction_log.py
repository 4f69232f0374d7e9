# Joins two migrations written at the same time (batch job liveness, the prediction log).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("predictions", "0003_batch_job_heartbeat_and_enqueue_tracking"),
        ("predictions", "0003_prediction_log_channels_and_rollups"),
    ]

    operations = []
