from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class GovernmentLayer(models.TextChoices):
    """The four layers of IBP Vitaal Platteland (accounts/data/government_layers.json), plus
    "anders" for knowledge institutes and partners."""

    RIJK = "rijk", _("National government (Rijk)")
    PROVINCIE = "provincie", _("Province")
    GEMEENTE = "gemeente", _("Municipality")
    WATERSCHAP = "waterschap", _("Water authority")
    ANDERS = "anders", _("Other (knowledge institute or partner)")


class User(AbstractUser):
    # Shown next to a person's posts (accounts.signals.shown_on_posts_changed): the profile link,
    # and the name when there is no other.
    SHOWN_FIELDS = ("username",)

    email = models.EmailField(_("email address"), unique=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def display_name(self) -> str:
        profile = getattr(self, "profile", None)
        return (profile.display_name if profile else "") or self.username


class Profile(models.Model):
    SHOWN_FIELDS = ("display_name", "organisation", "government_layer")  # next to posts

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(_("display name"), max_length=60)
    # casefold() of the normalised name: unique, so "Anna" and "ANNA" cannot both exist on
    # any database (SQLite's lower() folds ASCII only).
    display_name_key = models.CharField(max_length=60, unique=True, editable=False)
    organisation = models.CharField(_("organisation"), max_length=120, blank=True)
    government_layer = models.CharField(
        _("government layer"), max_length=20, choices=GovernmentLayer.choices, blank=True
    )
    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    bio = models.TextField(_("short bio"), max_length=1000, blank=True)
    # The language mail is written in: the last one chosen with the header's language link.
    language = models.CharField(_("language"), max_length=8, default="nl",
                                choices=settings.LANGUAGES)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return self.display_name

    @property
    def affiliation(self) -> str:
        """"Waterschap Vechtstromen"-style label shown next to a name."""
        parts = [self.get_government_layer_display() if self.government_layer else "",
                 self.organisation]
        return " · ".join(p for p in parts if p)
