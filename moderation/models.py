"""Flags, suspensions, warnings, per-region settings and the append-only audit log."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from forums.models import Post
from regions.models import Region


class AppendOnlyError(Exception):
    """The audit log is never changed or deleted, whoever asks (BIO2 8.15.01)."""


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit entries cannot be changed")

    def delete(self):
        raise AppendOnlyError("audit entries cannot be deleted")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("audit entries cannot be changed")


class AuditEntry(models.Model):
    """One moderation action, role change or membership decision: who, what, on which object,
    where from, when, why, with what result, and before/after for edits. Never a password,
    token, session key or other secret: callers pass plain descriptions only.

    Append-only at three levels: save() refuses updates and delete() refuses, the queryset
    refuses update() and delete(), and a database trigger (migration 0002) refuses UPDATE
    (and DELETE on PostgreSQL) from anything else. The foreign keys PROTECT: an account or
    region with audit history is deactivated or archived, not deleted.
    """

    class Result(models.TextChoices):
        SUCCESS = "success", _("Done")
        DENIED = "denied", _("Refused")

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+", verbose_name=_("actor"))
    # A snapshot: the log must read the same after the actor renames themself.
    actor_label = models.CharField(_("actor"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=40, db_index=True)
    object_type = models.CharField(_("object type"), max_length=40, blank=True)
    object_id = models.PositiveBigIntegerField(_("object id"), null=True, blank=True)
    object_label = models.CharField(_("object"), max_length=300, blank=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name=_("region"))
    result = models.CharField(_("result"), max_length=10, choices=Result.choices,
                              default=Result.SUCCESS)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["region", "-created_at"], name="audit_region_time"),
            models.Index(fields=["actor", "-created_at"], name="audit_actor_time"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit entries cannot be changed")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit entries cannot be deleted")


class RegionModerationSettings(models.Model):
    """Per-region moderation knobs; a region without a row uses the defaults."""

    DEFAULT_FLAG_THRESHOLD = 3
    DEFAULT_APPROVAL_POSTS = 1

    region = models.OneToOneField(Region, on_delete=models.CASCADE,
                                  related_name="moderation_settings")
    flag_threshold = models.PositiveSmallIntegerField(
        _("flags before a post is hidden"), default=DEFAULT_FLAG_THRESHOLD,
        help_text=_("Distinct members' flags that hide a post pending review."))
    approval_posts = models.PositiveSmallIntegerField(
        _("first posts that wait for approval"), default=DEFAULT_APPROVAL_POSTS,
        help_text=_("A new member's first posts in this region wait for a moderator; 0 is off."))

    class Meta:
        verbose_name = _("moderation settings")
        verbose_name_plural = _("moderation settings")

    def __str__(self) -> str:
        return str(self.region)


class Flag(models.Model):
    class Reason(models.TextChoices):
        SPAM = "spam", _("Spam")
        INAPPROPRIATE = "inappropriate", _("Inappropriate")
        OFF_TOPIC = "off_topic", _("Off-topic")
        PRIVACY = "privacy", _("Personal data / privacy")
        OTHER = "other", _("Something else")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="flags")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    text = models.CharField(_("explanation"), max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Open until a moderator decides on the post (hide, restore, delete, dismiss).
    is_open = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="one_flag_per_user")]
        indexes = [models.Index(fields=["is_open", "post"], name="flag_open_post")]


class SuspensionQuerySet(models.QuerySet):
    def active(self, at=None):
        at = at or timezone.now()
        return self.filter(lifted_at__isnull=True, starts_at__lte=at).filter(
            models.Q(ends_at__isnull=True) | models.Q(ends_at__gt=at))


class Suspension(models.Model):
    """A member may read but not post, react or flag: in one region, or everywhere (region
    empty). Ends by itself at ends_at (no job needed: every check compares with now), or when
    lifted early; indefinite (no ends_at) only by staff."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="suspensions")
    region = models.ForeignKey(Region, on_delete=models.CASCADE, null=True, blank=True,
                               related_name="+", verbose_name=_("region"))
    reason = models.CharField(_("reason"), max_length=1000)
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(_("until"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")

    objects = SuspensionQuerySet.as_manager()

    class Meta:
        verbose_name = _("suspension")
        verbose_name_plural = _("suspensions")
        indexes = [models.Index(fields=["user", "lifted_at"], name="suspension_user")]

    def __str__(self) -> str:
        return f"{self.user} ({self.region or '*'})"


class MemberWarning(models.Model):
    """A recorded private message from the moderation team to a member."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="moderation_warnings")
    region = models.ForeignKey(Region, on_delete=models.CASCADE, null=True, blank=True,
                               related_name="+")
    message = models.TextField(_("message"), max_length=2000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("warning")
        verbose_name_plural = _("warnings")


class Vouch(models.Model):
    """A moderator vouched for a member in a region: their posts there no longer wait for
    approval (moderation/approvals.py). Withdrawing it deletes the row (audited)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="vouches")
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("region"))
    vouched_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("vouch")
        verbose_name_plural = _("vouches")
        constraints = [models.UniqueConstraint(fields=["user", "region"],
                                               name="one_vouch_per_region")]

    def __str__(self) -> str:
        return f"{self.user} ({self.region})"
