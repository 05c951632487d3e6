from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ProgrammeCategory(models.TextChoices):
    """The IBP Vitaal Platteland area categories the regions are grouped by."""

    VEENWEIDE = "veenweide", _("Peat meadow areas")
    BODEM_WATER = "verduurzaming-landbouw-bodem-water", _(
        "Sustainable agriculture: soil and water"
    )
    VEEDICHT = "veedicht", _("Livestock-dense areas")


class RegionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_archived=False)


class Region(models.Model):
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=120)
    provinces = models.JSONField(_("provinces"), default=list, blank=True)
    theme = models.TextField(_("theme"), blank=True)
    category = models.CharField(
        _("programme category"), max_length=40, choices=ProgrammeCategory.choices, blank=True
    )
    is_open = models.BooleanField(
        _("open to join"), default=True,
        help_text=_("Open: anyone joins at once. Closed: a region moderator approves requests."),
    )
    is_archived = models.BooleanField(_("archived"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    source = models.URLField(_("source"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("regions:detail", kwargs={"slug": self.slug})

    @property
    def provinces_display(self) -> str:
        return ", ".join(self.provinces or [])


class Role(models.TextChoices):
    MEMBER = "member", _("Member")
    REPORTER = "reporter", _("Regional reporter")
    MODERATOR = "moderator", _("Moderator")


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(_("joined"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "region"], name="one_membership_per_region")
        ]
        indexes = [models.Index(fields=["region", "role"])]

    def __str__(self) -> str:
        return f"{self.user} @ {self.region} ({self.role})"


class MembershipRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership_requests"
    )
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="requests")
    motivation = models.TextField(_("motivation"), max_length=1000, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(_("reason"), max_length=1000, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("membership request")
        verbose_name_plural = _("membership requests")
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "region"], condition=models.Q(status="pending"),
                name="one_pending_request_per_region",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.region} ({self.status})"
