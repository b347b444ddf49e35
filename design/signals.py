"""A registered project gets its design stages (the registry does not import design: the
handler is connected in `DesignConfig.ready()`). The work is the service's."""

from __future__ import annotations


def project_registered(sender, instance, created: bool = False, raw: bool = False, **kwargs):
    if created and not raw:
        from design.services import stages_ensure

        stages_ensure(project=instance, actor=getattr(instance, "_history_user", None))
