"""Load the bundled sample datasets (datasets/sample_data) for a user; skips ones already there."""

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from datasets.models import Dataset
from datasets.services import dataset_upload

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_data"


def sample_entries() -> list[dict]:
    """Every bundled sample with its name, description and file, tabular and series."""
    entries: list[dict] = []
    for manifest in ("manifest.json", "series_manifest.json"):
        path = SAMPLE_DIR / manifest
        if path.exists():
            entries.extend(json.loads(path.read_text()))
    return entries


class Command(BaseCommand):
    """`manage.py load_sample_data --username demo`; safe to repeat."""

    help = "Upload the bundled sample datasets for a user."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="demo")

    def handle(self, *args, username: str, **options):
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user {username}.") from None
        for entry in sample_entries():
            name = entry.get("name") or entry["file"]
            if Dataset.objects.filter(owner=user, name=name).exists():
                continue
            with open(SAMPLE_DIR / entry["file"], "rb") as fh:
                dataset_upload(
                    owner=user,
                    upload=File(fh, name=entry["file"]),
                    name=name,
                    description=entry.get("description", ""),
                    dataset_type=entry.get("dataset_type"),
                    time_column=entry.get("time_column"),
                )
            self.stdout.write(f"Loaded {name}.")
