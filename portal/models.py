from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal.choices import Function, OrganisationKind, Role


class Organisation(models.Model):
    """A unit of the group: the group itself, the centre, a department or a subsidiary.

    Organisations form a tree. `path` is the materialised path of codes from the root
    ("/group/infra/"), kept by save(), so that "this organisation and everything under it" is one
    indexed prefix match instead of a recursive query.
    """

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    short_name = models.CharField(_("short name"), max_length=30)
    kind = models.CharField(_("kind"), max_length=16, choices=OrganisationKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=255, editable=False, db_index=True)
    order = models.PositiveSmallIntegerField(_("display order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.short_name or self.name

    def save(self, *args, **kwargs) -> None:
        old_path = self.path
        self.path = f"{self.parent.path if self.parent else '/'}{self.code}/"
        super().save(*args, **kwargs)
        if old_path and old_path != self.path:
            # Moved or renamed: carry the descendants along (a rare admin action).
            for child in self.children.all():
                child.save()

    def clean(self) -> None:
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk == self.pk and self.pk is not None:
                raise ValidationError({"parent": _("An organisation cannot sit under itself.")})
            ancestor = ancestor.parent
        if self.kind == OrganisationKind.GROUP and self.parent_id:
            raise ValidationError({"parent": _("The group is the root and has no parent.")})
        if self.kind != OrganisationKind.GROUP and not self.parent_id:
            raise ValidationError({"parent": _("Every organisation but the group has a parent.")})

    def contains(self, other: "Organisation") -> bool:
        """True when `other` is this organisation or sits anywhere under it."""
        return other.path.startswith(self.path)


class User(AbstractUser):
    """A person who logs in. Belongs to one organisation and holds one role.

    Centre officers also hold one or more of the four functions; the function apps let an
    officer change their records only for the functions the officer holds.
    """

    name = models.CharField(_("full name"), max_length=50, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, blank=True)
    functions = models.JSONField(
        _("functions"),
        default=list,
        blank=True,
        help_text=_("Centre officers only: the functions this officer works in."),
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    # When the user last opened the workbench: its "since you last looked" starts there.
    workbench_seen_at = models.DateTimeField(
        _("workbench last seen"), null=True, blank=True, editable=False
    )

    objects = UserManager()
    history = HistoricalRecords(excluded_fields=["password", "last_login", "workbench_seen_at"])

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.name or self.username

    def get_full_name(self) -> str:
        return self.name or super().get_full_name() or self.username

    @property
    def function_labels(self) -> list[str]:
        """The functions an officer holds, as their labels, in the centre's order."""
        held = set(self.functions or [])
        return [str(f.label) for f in Function if f.value in held]

    def clean(self) -> None:
        super().clean()
        errors = {}
        valid = set(Function.values)
        if not isinstance(self.functions, list) or not set(self.functions) <= valid:
            errors["functions"] = _("Choose functions from: %(names)s.") % {
                "names": ", ".join(sorted(valid))
            }
        elif self.functions and self.role != Role.OFFICER:
            errors["functions"] = _("Only centre officers hold functions.")
        if self.role in (Role.MANAGER, Role.REPORTER):
            if not self.organisation_id:
                errors["organisation"] = _("Subsidiary users must belong to an organisation.")
            elif self.organisation.kind not in (
                OrganisationKind.SUBSIDIARY,
                OrganisationKind.DEPARTMENT,
            ):
                errors["organisation"] = _("Subsidiary users belong to a subsidiary.")
        if errors:
            raise ValidationError(errors)


class Notification(models.Model):
    """One notice in a user's in-app list (the bell): a reminder, or a workflow step that
    concerns the user. Written by `portal.notifications.notify()` and `reminders_send()`; the
    text is stored as rendered, in the portal's language. `key` names the record it is about
    (e.g. "reporting.progressreport:123"), when there is one."""

    recipient = models.ForeignKey(
        User, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    key = models.CharField(_("item"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The list page: a user's notifications, newest first.
            models.Index(fields=["recipient", "-created_at"], name="notification_list"),
            # The bell: a user's unread count, on a small partial index.
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ReminderClaim(models.Model):
    """A reminder delivered: one row per item, recipient, kind and day, claimed in the same
    transaction that sends the mail and writes the notification, so that nothing is sent twice
    and a failed send leaves no claim behind (see portal.notifications). Transient: rows older
    than a few weeks are pruned by the daily run."""

    key = models.CharField(_("item"), max_length=150)
    recipient = models.ForeignKey(
        User, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20)
    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [
            models.UniqueConstraint(
                fields=["key", "recipient", "kind", "day"], name="reminder_claim_once_a_day"
            ),
        ]
        indexes = [models.Index(fields=["day"], name="reminder_claim_day")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} → {self.recipient_id} {self.day}"
