from django.db import models
from django.utils.translation import gettext_lazy as _


class DeliveryMode(models.TextChoices):
    AGENT_BUILD = "agent_build", _("Agent build")
    CENTRALISED_BUILD = "centralised_build", _("Centralised build")
    SELF_BUILT = "self_built", _("Self-built")


class Category(models.TextChoices):
    ROAD = "road", _("Road")
    BRIDGE = "bridge", _("Bridge")
    RIVER = "river", _("River works")
    AFFORDABLE_HOUSING = "affordable_housing", _("Affordable housing")
    TALENT_APARTMENT = "talent_apartment", _("Talent apartments")
    SCHOOL = "school", _("School")
    PARK = "park", _("Park and greenway")
    SEWAGE = "sewage", _("Sewage and water")
    RENOVATION = "renovation", _("Old neighbourhood renovation")
    PUBLIC_BUILDING = "public_building", _("Public building")
    ENERGY = "energy", _("Energy supply")


class Stage(models.TextChoices):
    PRELIMINARY = "preliminary", _("Preliminary work")
    DESIGN = "design", _("Design")
    TENDERING = "tendering", _("Tendering")
    CONSTRUCTION = "construction", _("Construction")
    COMPLETED = "completed", _("Completed")
    IN_OPERATION = "in_operation", _("In operation")


# Built and handed over: no more forms to fill, not judged on investment pace or start.
FINISHED_STAGES = frozenset({Stage.COMPLETED, Stage.IN_OPERATION})
