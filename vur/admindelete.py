"""Admin deletes through the product's delete services.

The admin's delete page and its "delete selected" action follow the same rules as the web UI and
the API: an object in use (a deployed model, an active job) is refused with the service's own
sentence and nothing is deleted; otherwise the service deletes it, with its stored files once
the deletion commits and whatever state depends on it (a pipeline's status) brought up to date.

Both confirmation pages name every object that would go; each kind of row is read with what its
name reads (a deployment names its model, which names its pipeline), so the page costs a few
queries per kind of row, not one per row. Whether an object is in use is asked of its service
once per request, however many of the admin's steps look at it (the service asks again, under
its lock, when it deletes).
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import NestedObjects, quote, unquote
from django.db import router, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst

from vur.errors import Conflict


class _NamedNestedObjects(NestedObjects):
    """The admin's collector of what a delete takes with it, reading each kind of related row
    with the relations its admin lists it with (`list_select_related`: "a model reads with its
    pipeline"), which are what its name reads."""

    def __init__(self, *args: Any, admin_site: admin.AdminSite, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.admin_site = admin_site

    def related_objects(self, related_model: Any, related_fields: Any, objs: Any) -> Any:
        """Django's rows (with the relation they were reached by), and what naming them reads."""
        rows = super().related_objects(related_model, related_fields, objs)
        if not self.admin_site.is_registered(related_model):
            return rows
        reads = self.admin_site.get_model_admin(related_model).list_select_related
        if reads is True:
            return rows.select_related()
        return rows.select_related(*reads) if reads else rows


def deleted_objects(modeladmin: Any, objs: Any, request: HttpRequest) -> tuple:
    """What `ModelAdmin.get_deleted_objects` gives (the nested list of what would go, each
    "Kind: name" linked to its admin page, the count per kind, the kinds the user may not delete,
    the protected objects), with each kind of row read in one go with what its name reads."""
    objs = list(objs)
    if not objs:
        return [], {}, set(), []
    site = modeladmin.admin_site
    collector = _NamedNestedObjects(
        using=router.db_for_write(objs[0]._meta.model), origin=objs, admin_site=site
    )
    collector.collect(objs)
    perms_needed: set[str] = set()

    def named(obj: Any) -> str:
        """ "Kind: name", the name linked to the object's admin page when it has one."""
        opts = obj._meta
        kind = capfirst(opts.verbose_name)
        if not site.is_registered(obj.__class__):
            return f"{kind}: {obj}"
        if not site.get_model_admin(obj.__class__).has_delete_permission(request, obj):
            perms_needed.add(opts.verbose_name)
        try:
            url = reverse(
                f"{site.name}:{opts.app_label}_{opts.model_name}_change", args=(quote(obj.pk),)
            )
        except NoReverseMatch:
            return f"{kind}: {obj}"
        return format_html('{}: <a href="{}">{}</a>', kind, url, obj)

    nested = collector.nested(named)
    protected = [named(obj) for obj in collector.protected]
    by_model: dict[Any, set] = collector.model_objs  # keyed by model class (stubs say str)
    counts = {model._meta.verbose_name_plural: len(rows) for model, rows in by_model.items()}
    return nested, counts, perms_needed, protected


# Each request's answers of the delete services, by object: the action, the delete page and
# the list of what goes all look at the same objects in one request, and ask the service once.
_ASKED: WeakKeyDictionary[HttpRequest, dict[tuple[str, Any], str]] = WeakKeyDictionary()


def _refusal(modeladmin: Any, request: HttpRequest, obj: Any) -> str:
    """`modeladmin.delete_refusal(obj)`, asked once per request and object."""
    asked = _ASKED.setdefault(request, {})
    key = (obj._meta.label, obj.pk)
    if key not in asked:
        asked[key] = modeladmin.delete_refusal(obj)
    return asked[key]


def _refusals(modeladmin: Any, request: HttpRequest, objs: Any) -> list[str]:
    """One line per object that cannot be deleted now: the object, then the service's reason."""
    return [f"{obj}: {why}" for obj in objs if (why := _refusal(modeladmin, request, obj))]


def delete_selected_through_service(
    modeladmin: Any, request: HttpRequest, queryset: Any
) -> HttpResponse | None:
    """Django's "delete selected", refused as a whole (a message per object in use, nothing
    deleted) when any selected object is in use; the deletes run in one transaction."""
    refused = _refusals(modeladmin, request, queryset)
    if refused:
        for line in refused:
            modeladmin.message_user(request, f"Not deleted. {line}", messages.ERROR)
        return None
    try:
        with transaction.atomic():
            return delete_selected(modeladmin, request, queryset)
    except Conflict as exc:  # put in use between the check and the delete
        modeladmin.message_user(request, f"Not deleted. {exc.detail}", messages.ERROR)
        return None


class ServiceDeleteAdmin(admin.ModelAdmin):
    """A ModelAdmin whose deletes go through a service. Subclasses give `delete_refusal` (why an
    object cannot go now, "" when it can) and `delete_through_service`."""

    def delete_refusal(self, obj: Any) -> str:
        """The service's sentence for why `obj` cannot be deleted now; "" when it can."""
        raise NotImplementedError

    def delete_through_service(self, obj: Any) -> None:
        """Delete `obj` through its service (raises Conflict when it is in use)."""
        raise NotImplementedError

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        """Django's list of what goes (`deleted_objects`), with the objects in use listed as
        protected (so neither confirmation page offers to delete them)."""
        deleted, counts, perms_needed, protected = deleted_objects(self, objs, request)
        return deleted, counts, perms_needed, [*protected, *_refusals(self, request, objs)]

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        """The delete page; for an object in use, the service's reason as an error message on
        a page that offers no delete. A delete refused at the last moment goes back to the
        object with the reason, nothing deleted."""
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and self.has_delete_permission(request, obj):
            why = _refusal(self, request, obj)
            if why:
                self.message_user(request, f"{obj} cannot be deleted. {why}", messages.ERROR)
        try:
            return super().delete_view(request, object_id, extra_context)
        except Conflict as exc:
            self.message_user(request, f"{obj} was not deleted. {exc.detail}", messages.ERROR)
            opts = self.opts
            url = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=[object_id],
                current_app=self.admin_site.name,
            )
            return HttpResponseRedirect(url)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        """Delete through the service (its files after the commit)."""
        self.delete_through_service(obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        """Delete each through the service, all or none."""
        with transaction.atomic():
            for obj in queryset:
                self.delete_through_service(obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        """The admin's actions, with "delete selected" going through the service."""
        actions: dict[str, Any] = dict(super().get_actions(request))
        if actions.get("delete_selected"):
            _func, name, description = actions["delete_selected"]
            actions["delete_selected"] = (delete_selected_through_service, name, description)
        return actions
