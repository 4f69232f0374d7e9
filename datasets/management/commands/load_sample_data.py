"""Load the bundled sample datasets (datasets/sample_data) for a user; skips ones already there."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from datasets.services import dataset_samples_load


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
        for dataset in dataset_samples_load(owner=user):
            self.stdout.write(f"Loaded {dataset.name}.")
