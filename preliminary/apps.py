from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PreliminaryConfig(AppConfig):
    name = "preliminary"
    verbose_name = _("Preliminary work")
