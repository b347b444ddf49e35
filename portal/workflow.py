"""Workflows, declared once and performed by one service.

A model with a workflow (a progress report, a permit, a design change, a contract, a payment, a
finding) declares its transitions on methods with `@step(...)`: the states it leaves from, the
state it reaches, its label, whether a comment is required, and which access step decides who may
take it (`portal.access`: roles, organisation and the four functions). The declaration is
django-fsm-2's `@transition` with the portal's metadata in `custom`, so the library keeps the
state graph (`get_available_user_status_transitions`, `can_proceed`, `graph_transitions`) and this
module adds what the library leaves to each project (docs/decisions/0001-workflow-kit.md):

- `transition_perform(actor=, obj=, name=, comment=, version=)`: the one service every page, API
  action, Excel import and task calls. It checks the step (403), the comment (400 at the field),
  runs the method (which stamps who and when, and may refuse with a ValidationError), claims the
  row with one conditional UPDATE on `version` and the source state (a lost race is a
  `ConflictError`, 409 in the API, and nothing is written), saves with the history user, records
  one event (who, when, from, to, comment), runs the step's declared effects in the same
  transaction, notifies the declared recipients (in the same transaction), and after commit
  sends `transitioned`.
- `available_transitions(user, obj)`: what this user may do to this row now; it feeds the one
  template partial (`portal/partials/workflow.html`) and the API actions that
  `portal.api.workflow_actions` generates from the same declarations.

A model with a workflow has an FSMField (`status` by default), a `version` field, and an event
model built on `WorkflowEvent` with a foreign key to it (`workflow_event_model = "app.Model"`).
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import FSMField, can_proceed
from django_fsm import transition as fsm_transition

from portal import access
from portal.limits import text_length_validator

__all__ = [
    "Comment",
    "ConflictError",
    "FSMField",
    "Transition",
    "WorkflowEvent",
    "available_transitions",
    "claim",
    "step",
    "transition_perform",
    "transitioned",
    "transitions_of",
]

# Sent after commit for every transition taken: sender=the model, instance, name, source,
# target, actor, comment, event (robustly: a failing receiver is logged, the step stands). For
# what happens elsewhere when a step is taken (a later app's own bookkeeping); the notices, the
# inbox and the cockpit's queue follow the step through its save and its effects.
transitioned = Signal()


class Comment(enum.Enum):
    NONE = "none"  # the step takes no comment (no box is shown)
    OPTIONAL = "optional"
    REQUIRED = "required"  # refused without one, with `comment_error` at the field


class ConflictError(ValidationError):
    """Someone else saved the record after this user read it (optimistic locking lost)."""


@dataclass(frozen=True)
class Transition:
    """One declared transition, as pages and the API see it."""

    name: str  # the step's name in URLs, events and access rules ("accept", "return")
    method: str  # the model method that performs it
    sources: tuple[str, ...]
    target: str
    label: str | Promise
    permission: str  # the access step that decides who may take it (portal.access)
    comment: Comment
    comment_label: str | Promise
    comment_help: str | Promise
    comment_error: str | Promise
    style: str  # a Bootstrap button style: "success", "outline-danger", ...
    done: str | Promise  # the message shown after it was taken; %(object)s is the record
    checks: tuple[str, ...]  # dotted paths of functions(obj, *, actor, **kwargs) that may refuse
    effects: tuple[str, ...]  # dotted paths of functions(obj, *, actor, event, **kwargs)
    notify: str  # dotted path of a function(obj, event) -> users to notify, or ""
    field: str


def step(
    *,
    source: str | Sequence[str],
    target: str,
    label: str | Promise,
    name: str = "",
    permission: str = "",
    comment: Comment = Comment.OPTIONAL,
    comment_label: str | Promise = "",
    comment_help: str | Promise = "",
    comment_error: str | Promise = "",
    style: str = "primary",
    done: str | Promise = "",
    checks: Iterable[str] = (),
    effects: Iterable[str] = (),
    notify: str = "",
    field: str = "status",
    conditions: Iterable[Callable[[Any], bool]] = (),
) -> Callable:
    """Declare a method as a workflow transition (django-fsm-2's `@transition`).

    The method receives `actor` and `comment` (and any keyword the caller passes) and changes
    the row in memory only: the stamps (`reviewed_by = actor`) and the fields the step sets. It
    may raise a ValidationError to refuse. `name` defaults to the method's name; `permission`,
    the access step asked (`portal.access.allows(user, permission, obj)`), to `name`.
    `checks` are the app's rules run before the step (each may raise a ValidationError with its
    message); `effects` run after the claim in the same transaction (e.g. "count the report");
    `notify` names who hears of it. All three are dotted paths, so a model does not import its
    app's services. `conditions` (django-fsm's, functions of the record, no query) decide
    whether the step is offered at all in this state (the extension of a permit whose works have
    started is not); a step whose condition fails is refused as in the wrong state.
    """
    sources = (source,) if isinstance(source, str) else tuple(source)

    def decorator(method: Callable) -> Callable:
        step_name = name or method.__name__
        info = Transition(
            name=step_name,
            method=method.__name__,
            sources=sources,
            target=target,
            label=label,
            permission=permission or step_name,
            comment=comment,
            comment_label=comment_label or gettext_lazy("Comment"),
            comment_help=comment_help,
            comment_error=comment_error or gettext_lazy("Write a comment."),
            style=style,
            done=done,
            checks=tuple(checks),
            effects=tuple(effects),
            notify=notify,
            field=field,
        )

        def allowed(instance: models.Model, user) -> bool:
            return access.allows(user, info.permission, instance)

        return fsm_transition(
            field=field,
            source=list(sources),
            target=target,
            permission=allowed,
            conditions=list(conditions),
            custom={"portal": info},
        )(method)

    return decorator


@functools.cache
def transitions_of(model: type[models.Model]) -> tuple[Transition, ...]:
    """Every transition `model` declares (read once per model from the declarations)."""
    seen: dict[str, Transition] = {}
    for member in vars_in_mro(model):
        meta = getattr(member, "_django_fsm", None)
        if meta is None:
            continue
        for fsm_transition_ in meta.transitions.values():
            info = fsm_transition_.custom.get("portal")
            if info is not None:
                seen.setdefault(info.name, info)
    return tuple(seen.values())


def vars_in_mro(model: type) -> list[Any]:
    members, names = [], set()
    for klass in model.__mro__:
        for attr, value in vars(klass).items():
            if attr not in names:
                names.add(attr)
                members.append(value)
    return members


def get_transition(model: type[models.Model], name: str) -> Transition:
    for info in transitions_of(model):
        if info.name == name:
            return info
    raise ValidationError(_("Unknown step: %(name)s.") % {"name": name}, code="unknown")


def available_transitions(user, obj: models.Model) -> list[Transition]:
    """The transitions `user` may take on `obj` in its current state (no query)."""
    return [
        info
        for info in transitions_of(type(obj))
        if _can_leave(obj, info) and access.allows(user, info.permission, obj)
    ]


def _can_leave(obj: models.Model, info: Transition) -> bool:
    return can_proceed(getattr(obj, info.method))


def _state_label(obj: models.Model, field: str, value: str) -> str:
    choices = dict(type(obj)._meta.get_field(field).flatchoices)
    return str(choices.get(value, value))


def _values(obj: models.Model) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def closed_message(obj: models.Model, status: str | None = None, field: str = "status") -> str:
    """ "This progress report is Accepted and can no longer be changed." (pages, imports)."""
    label = _state_label(obj, field, getattr(obj, field) if status is None else status)
    return _("This %(name)s is %(status)s and can no longer be changed.") % {
        "name": obj._meta.verbose_name, "status": label}  # fmt: skip


def _refuse_state(obj: models.Model, info: Transition | None, status: str) -> ValidationError:
    name = obj._meta.verbose_name
    label = _state_label(obj, info.field if info else "status", status)
    if info is None:
        return ValidationError(closed_message(obj, status), code="state")
    return ValidationError(
        _("This %(name)s is %(status)s: “%(step)s” is not possible now.")
        % {"name": name, "status": label, "step": info.label},
        code="state",
    )


def claim(
    obj: models.Model,
    *,
    version: int,
    statuses: Iterable[str],
    info: Transition | None = None,
    field: str = "status",
    **changes: Any,
) -> None:
    """Take `obj` from `version` to `version + 1` if nobody changed it meanwhile and it is still
    in one of `statuses`: one conditional UPDATE, so two savers cannot both win, on any
    database, without holding a row lock while a person types. Writes `changes` in the same
    statement. Raises ConflictError (someone saved since) or ValidationError (wrong state)."""
    model = type(obj)
    claimed = model._default_manager.filter(
        pk=obj.pk, version=version, **{f"{field}__in": list(statuses)}
    ).update(version=F("version") + 1, **changes)
    if claimed:
        obj.version = version + 1
        for name, value in changes.items():
            setattr(obj, name, value)
        return
    current = model._default_manager.filter(pk=obj.pk).values("version", field).first()
    if current and current["version"] != version:
        history = getattr(obj, "history", None)
        last = (
            history.select_related("history_user").order_by("-history_date", "-history_id").first()
            if history is not None
            else None
        )
        who = last.history_user.get_full_name() if last and last.history_user else _("someone")
        raise ConflictError(
            _("%(who)s saved this %(name)s after you opened it. What you typed is still on "
              "this page: copy what you need, reload, and save again.")
            % {"who": who, "name": obj._meta.verbose_name},
            code="conflict",
        )  # fmt: skip
    raise _refuse_state(obj, info, current[field] if current else "?")


def require_state(obj: models.Model, statuses: Iterable[str], field: str = "status") -> None:
    """ValidationError unless `obj` is in one of `statuses` (checked before any write)."""
    if getattr(obj, field) not in set(statuses):
        raise _refuse_state(obj, None, getattr(obj, field))


def event_model(model: type[models.Model]) -> tuple[type[models.Model], str]:
    """The event model of `model` and the name of its foreign key to `model`."""
    from django.apps import apps

    events = apps.get_model(model.workflow_event_model)
    for f in events._meta.concrete_fields:
        if f.is_relation and f.related_model is model:
            return events, f.name
    raise LookupError(f"{events.__name__} has no foreign key to {model.__name__}")


def record_event(obj: models.Model, *, actor, action: str, source: str = "", target: str = "",
                 comment: str = "") -> models.Model:  # fmt: skip
    """One row of the record's workflow history (also for steps that are not transitions, such
    as saving a draft or an import)."""
    events, fk = event_model(type(obj))
    return events.objects.create(
        **{fk: obj}, action=action, actor=actor, from_state=source, to_state=target,
        comment=comment,
    )  # fmt: skip


@transaction.atomic
def transition_perform(
    *,
    actor,
    obj: models.Model,
    name: str,
    comment: str = "",
    version: int | None = None,
    **kwargs: Any,
) -> models.Model:
    """Take the transition `name` on `obj` for `actor`; returns the event recorded.

    Refuses with PermissionDenied when the access step does not allow `actor` (callers that
    fetched with `access.fetch(..., action=permission)` have checked it already), with a
    ValidationError at `comment` when a required comment is missing, with a ValidationError
    when the state does not allow the step, and with ConflictError when `version` (the one the
    user read; default: the one in memory) is stale. Nothing is written when it refuses.
    """
    info = get_transition(type(obj), name)
    if not access.allows(actor, info.permission, obj):
        raise PermissionDenied(_("Your role may not do this."))
    comment = (comment or "").strip()
    if info.comment is Comment.REQUIRED and not comment:
        raise ValidationError({"comment": [str(info.comment_error)]})
    try:
        text_length_validator(comment)  # the free-text limit of forms, API and Excel alike
    except ValidationError as exc:
        raise ValidationError({"comment": exc.messages}) from exc
    version = obj.version if version is None else version
    source = getattr(obj, info.field)
    if not _can_leave(obj, info):
        raise _refuse_state(obj, info, source)
    for path in info.checks:
        import_string(path)(obj, actor=actor, **kwargs)
    before = _values(obj)
    getattr(obj, info.method)(actor=actor, comment=comment, **kwargs)
    after = _values(obj)
    changed = {k: v for k, v in after.items() if v != before[k] and k != "version"}
    claim(obj, version=version, statuses=[source], info=info, field=info.field, **changed)
    obj._history_user = actor
    update_fields = [obj._meta.get_field(k).name for k in changed if k != "id"]
    obj.save(update_fields=[*update_fields, "version"])
    event = record_event(obj, actor=actor, action=info.name, source=source,
                         target=info.target, comment=comment)  # fmt: skip
    for path in info.effects:
        import_string(path)(obj, actor=actor, event=event, **kwargs)
    if info.notify:
        _notify(obj, info, event, actor, comment, import_string(info.notify)(obj, event))
    transaction.on_commit(
        lambda: transitioned.send_robust(
            sender=type(obj), instance=obj, name=info.name, source=source,
            target=info.target, actor=actor, comment=comment, event=event,
        )
    )  # fmt: skip
    return event


def _notify(obj, info: Transition, event, actor, comment: str, recipients) -> None:
    """The step's notice to those it concerns, in the step's own transaction: a step that
    rolls back tells nobody, and one that commits has told them (no work after the commit that
    could fail the request)."""
    from portal import notifications  # the base's own module

    recipients = [u for u in recipients if u.pk != actor.pk]
    if recipients:
        notifications.notify(
            recipients=recipients,
            title=_("%(record)s: %(step)s by %(actor)s")
            % {"record": obj, "step": info.label, "actor": actor},
            text=comment,
            url=obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else "",
            key=f"{obj._meta.label_lower}:{obj.pk}:{event.pk}",
        )


def done_message(info: Transition, obj: models.Model) -> str:
    if info.done:
        return str(info.done) % {"object": obj}
    return _("%(object)s: %(step)s done.") % {"object": obj, "step": info.label}


class WorkflowEvent(models.Model):
    """One step of a record's workflow: who did what, when, from which state to which, and why.

    Abstract: each app keeps its own event table with a real foreign key to its record
    (docs/decisions/0002-event-tables.md says why not one generic table)."""

    action = models.CharField(gettext_lazy("action"), max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=gettext_lazy("by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    at = models.DateTimeField(gettext_lazy("at"), default=timezone.now, db_index=True)
    from_state = models.CharField(gettext_lazy("from"), max_length=16, blank=True)
    to_state = models.CharField(gettext_lazy("to"), max_length=16, blank=True)
    comment = models.TextField(gettext_lazy("comment"), blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "pk"]

    def action_label(self) -> str:
        """The step's label ("Accepted" where the app names its actions, else "Accept")."""
        if self._meta.get_field("action").choices:
            return self.get_action_display()
        for f in self._meta.concrete_fields:
            if f.is_relation and hasattr(f.related_model, "workflow_event_model"):
                for info in transitions_of(f.related_model):
                    if info.name == self.action:
                        return str(info.label)
        return self.action
