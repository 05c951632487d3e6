from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class ForumsConfig(AppConfig):
    name = "forums"
    verbose_name = _("Forums")

    def ready(self) -> None:
        from regions.signals import region_created

        from . import services

        region_created.connect(
            lambda sender, region, **kwargs: services.create_region_forums(region=region),
            dispatch_uid="forums.create_region_forums", weak=False,
        )
        post_save.connect(_profile_saved, sender="accounts.Profile",
                          dispatch_uid="forums.profile_saved")


def _profile_saved(sender, instance, created: bool, **kwargs) -> None:
    """Names on cached thread HTML (fragment_cache) are rendered again once the change commits;
    a new profile has no posts to be named on yet."""
    if not created:
        from . import fragment_cache

        transaction.on_commit(fragment_cache.names_changed)
