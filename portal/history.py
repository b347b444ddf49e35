"""History that tells the truth, for every model kept with django-simple-history.

Writing: a save that changes none of the tracked fields leaves no history row, whichever path
made it (form, API, service, import), and a change that was written without history (a
queryset `update()`, a bulk write of the seed) is recorded as the system's before the next
person's change is, so that a person's entry lists only what that person changed.

Reading: `history_entries` turns records into what a page shows: the field's label, money in
万元 with two decimals, 是/否, choices by their labels, related rows by their names, dates as
YYYY-MM-DD, and the person; a record that changed nothing shown is left out.
"""

from __future__ import annotations

import datetime
import functools
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models.signals import post_save, pre_save
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from portal.money import MoneyField, Unit, format_amount, to_unit

_SKIPPED = "_portal_history_skipped"


LOCK_FIELD = "version"  # portal.workflow.claim's optimistic lock: bookkeeping, not a change


def _compared_fields(history_model) -> list[models.Field]:
    """The tracked fields a change is judged by: all but timestamps and the lock counter."""
    return [
        field
        for field in history_model.tracked_fields
        if field.name != LOCK_FIELD
        and not (getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))
    ]


@functools.cache
def _shape(model, history_model) -> tuple[list[models.Field], list[str], bool]:
    """What the guard compares for `model` (read once per model): the compared fields, the
    tracked columns, and whether the model has a lock counter."""
    return (
        _compared_fields(history_model),
        [field.attname for field in history_model.tracked_fields],
        any(field.name == LOCK_FIELD for field in model._meta.fields),
    )


def _same(field: models.Field, old, new) -> bool:
    if old == new:
        return True
    try:
        return field.to_python(old) == field.to_python(new)
    except Exception:  # a value the field cannot read is a change
        return False


def _equal(fields, values: dict, instance_or_values) -> bool:
    get = (instance_or_values.get if isinstance(instance_or_values, dict)
           else lambda name: getattr(instance_or_values, name))  # fmt: skip
    return all(_same(f, values[f.attname], get(f.attname)) for f in fields)


def _before_save(sender, instance, raw=False, using=None, **kwargs) -> None:
    """Decide, before a save of an existing row, whether it changes anything history keeps.

    A model with a lock counter is written by conditional UPDATEs before its save()
    (portal.workflow.claim), so its row is not the state before the change: it is compared
    with its last history record. Any other model is compared with its stored row, and what
    that row holds but the history does not (a queryset update, a bulk write) is first
    recorded as the system's."""
    attribute = getattr(sender._meta, "simple_history_manager_attribute", None)
    if attribute is None:
        return
    if instance.__dict__.pop(_SKIPPED, False):  # left by a save that raised
        instance.__dict__.pop("skip_history_when_saving", None)
    if (
        raw
        or instance._state.adding
        or instance.pk is None
        or hasattr(instance, "skip_history_when_saving")
        or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True)
    ):
        return
    manager = getattr(instance, attribute)
    fields, attnames, locked = _shape(sender, manager.model)
    if locked:
        recorded = manager.values(*attnames).first()
        if recorded is not None and _equal(fields, recorded, instance):
            _skip(instance)
        return
    stored = sender._base_manager.using(using).filter(pk=instance.pk).values(*attnames).first()
    if stored is None:
        return
    if _equal(fields, stored, instance):
        _skip(instance)
        return
    recorded = manager.values(*attnames).first()
    if recorded is None or not _equal(fields, recorded, stored):
        before = sender(**stored)
        before._history_user = None  # the system: no person made this change here
        before._history_date = timezone.now() - datetime.timedelta(microseconds=1)
        getattr(sender, attribute).bulk_history_create([before], update=recorded is not None)


def _skip(instance) -> None:
    instance.skip_history_when_saving = True
    instance.__dict__[_SKIPPED] = True


def _after_save(sender, instance, **kwargs) -> None:
    if instance.__dict__.pop(_SKIPPED, False):
        instance.__dict__.pop("skip_history_when_saving", None)


def connect() -> None:
    """Called once from PortalConfig.ready()."""
    pre_save.connect(_before_save, dispatch_uid="portal.history.before_save")
    post_save.connect(_after_save, dispatch_uid="portal.history.after_save")


# Reading


def _amount_text(value, other) -> str:
    text = format_amount(value, Unit.WAN)
    if value is not None and other is not None and format_amount(other, Unit.WAN) == text:
        # A change smaller than what two decimals show: show it exactly.
        exact = to_unit(value, Unit.WAN).normalize()
        return f"{exact:,f}"
    return text


def _text(field: models.Field | None, value, other, names: dict) -> str:
    if value is None or value == "":
        return "—"
    if field is None:
        return str(value)
    if isinstance(field, MoneyField):
        return _amount_text(Decimal(value), None if other in (None, "") else Decimal(other))
    if isinstance(field, models.BooleanField):
        return _("Yes") if value else _("No")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation:
        related = names.get((field.related_model, value))
        return str(related) if related is not None else f"#{value}"
    if isinstance(field, models.DateTimeField):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(field, models.DateField):
        return value.isoformat()
    return str(value)


def history_entries(records, *, model, labels: dict | None = None, limit: int) -> list[dict]:
    """What a page shows of `records` (newest first, one more than `limit` so that the oldest
    shown can be compared): per record its date, person (None: the system), kind and changes,
    each {"name", "label", "old", "new"} in the model's field order, as text. Labels come from
    `labels` (the page's form labels) or the field's verbose name; an amount whose label is not
    given names its unit in the value."""
    labels = labels or {}
    fields = {field.name: field for field in model._meta.fields}
    order = {name: index for index, name in enumerate(fields)}
    diffs = []
    for newer, older in zip(records, [*records[1:], None], strict=False):
        if len(diffs) == limit:
            break
        changes = []
        if older is not None and newer.history_type == "~":
            changes = sorted(
                newer.diff_against(older).changes, key=lambda c: order.get(c.field, len(order))
            )
            if not changes:
                continue  # nothing shown changed: no empty "changed" entry
        diffs.append((newer, changes))
    # Related rows by their names: one query per related model, only for rows in a change.
    wanted = defaultdict(set)
    for _record, changes in diffs:
        for change in changes:
            field = fields.get(change.field)
            if field is not None and field.is_relation:
                wanted[field.related_model].update(v for v in (change.old, change.new) if v)
    names = {
        (related, pk): row
        for related, pks in wanted.items()
        for pk, row in related._base_manager.in_bulk(pks).items()
    }
    entries = []
    for record, changes in diffs:
        shown = []
        for change in changes:
            field = fields.get(change.field)
            label = labels.get(change.field)
            old = _text(field, change.old, change.new, names)
            new = _text(field, change.new, change.old, names)
            if label is None:
                label = capfirst(field.verbose_name) if field is not None else change.field
                if isinstance(field, MoneyField):
                    old, new = (f"{v} {Unit.WAN.label}" if v != "—" else v for v in (old, new))
            shown.append({"name": change.field, "label": str(label), "old": old, "new": new})
        entries.append({
            "record": record, "user": record.history_user,
            "kind": record.get_history_type_display(), "changes": shown,
        })  # fmt: skip
    return entries
