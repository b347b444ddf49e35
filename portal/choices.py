from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    GROUP = "group", _("Group")
    CENTRE = "centre", _("Project Management Centre")
    DEPARTMENT = "department", _("Department")
    SUBSIDIARY = "subsidiary", _("Subsidiary")


class Role(models.TextChoices):
    LEADER = "leader", _("Group leadership")
    OFFICER = "officer", _("Centre officer")
    MANAGER = "manager", _("Subsidiary manager")
    REPORTER = "reporter", _("Subsidiary reporter")
    ADMIN = "admin", _("Administrator")


class Function(models.TextChoices):
    """The four functions the Project Management Centre pools for every project."""

    PRELIMINARY = "preliminary", _("Preliminary work")
    DESIGN = "design", _("Design management")
    PROCUREMENT = "procurement", _("Tendering and contracts")
    SUPERVISION = "supervision", _("Site supervision")
