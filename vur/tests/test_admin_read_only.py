"""Across every admin page: nothing the system computed can be edited by hand. The only form
fields any change page offers are a dataset's name and description and a pipeline's name, and
no JSON field is ever a form field."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import models
from django.test import RequestFactory

pytestmark = pytest.mark.django_db

EDITABLE = {
    ("datasets", "dataset"): {"name", "description"},
    ("pipelines", "pipeline"): {"name"},
}
VUR_APPS = {
    "datasets",
    "pipelines",
    "preprocessing",
    "features",
    "modeling",
    "training",
    "predictions",
    "monitoring",
}


def test_no_admin_offers_a_computed_field_as_a_form_field(django_user_model):
    request = RequestFactory().get("/admin/")
    request.user = django_user_model.objects.create_superuser("root", password="root-pass-123")
    checked = 0
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        if opts.app_label not in VUR_APPS:
            continue
        form = model_admin.get_form(request, None)
        editable = set(form.base_fields)
        allowed = EDITABLE.get((opts.app_label, opts.model_name), set())
        assert editable <= allowed, (opts.label, editable - allowed)
        json_names = {f.name for f in opts.fields if isinstance(f, models.JSONField)}
        assert not editable & json_names, opts.label
        checked += 1
    assert checked >= 12
