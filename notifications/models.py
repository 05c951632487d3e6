"""Every notification is a row: the database is the truth, the socket only rings the bell."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .kinds import Delivery, Kind


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="notifications")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    # The latest person who caused it; a collapsed notification counts the others.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")
    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, null=True,
                               blank=True, related_name="+")
    thread = models.ForeignKey("forums.Thread", on_delete=models.CASCADE, null=True, blank=True,
                               related_name="+")
    # Where "open" leads: the first post the recipient has not seen yet.
    post = models.ForeignKey("forums.Post", on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+")
    membership_request = models.ForeignKey("regions.MembershipRequest", on_delete=models.CASCADE,
                                           null=True, blank=True, related_name="+")
    # Addressed to the recipient alone: a decline or moderation reason, an action code.
    reason = models.TextField(blank=True)
    action = models.CharField(max_length=24, blank=True)
    count = models.PositiveIntegerField(default=1)
    source_key = models.CharField(max_length=120)
    collapse_key = models.CharField(max_length=60, blank=True)
    delivery = models.CharField(max_length=8, choices=Delivery.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    digested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "source_key"],
                                    name="notification_once_per_source"),
            # At most one running (unread) notification per thread or post to collapse into.
            models.UniqueConstraint(fields=["recipient", "collapse_key"],
                                    condition=Q(read_at__isnull=True) & ~Q(collapse_key=""),
                                    name="one_unread_per_collapse_key"),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-updated_at"],
                         name="notification_inbox"),
            models.Index(fields=["delivery", "digested_at"], name="notification_digest",
                         condition=Q(digested_at__isnull=True, delivery="digest")),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("notifications:open", args=[self.pk])


class DeliveredEvent(models.Model):
    """One row per (kind, event) whose audience has been notified, written in the same
    transaction as their notifications: a retried or doubled task finds it and does nothing,
    so a collapsed count never counts an event twice."""

    key = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)


class Preference(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notification_preferences")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    delivery = models.CharField(max_length=8, choices=Delivery.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"],
                                               name="one_preference_per_kind")]


class RegionMute(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="muted_regions")
    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "region"],
                                               name="one_mute_per_region")]
