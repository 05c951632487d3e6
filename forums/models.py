from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from regions.models import Region

POSTS_PER_PAGE = 25
THREADS_PER_PAGE = 30


class Forum(models.Model):
    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public: anyone can read")
        MEMBERS = "members", _("Members only")
        STAFF = "staff", _("Staff only")

    # A national forum has no region: every logged-in member of the Werkplaats takes part.
    region = models.ForeignKey(
        Region, on_delete=models.CASCADE, null=True, blank=True, related_name="forums"
    )
    slug = models.SlugField(_("slug"), max_length=80)
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.MEMBERS
    )
    staff_only_threads = models.BooleanField(
        _("only staff start threads"), default=False,
        help_text=_("For announcements: members can reply, only staff start threads."),
    )
    is_reports = models.BooleanField(
        _("report forum"), default=False,
        help_text=_("Where regional reporters publish their field reports."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_archived = models.BooleanField(_("archived"), default=False)
    thread_count = models.PositiveIntegerField(default=0, editable=False)
    post_count = models.PositiveIntegerField(default=0, editable=False)
    last_post = models.ForeignKey(
        "Post", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    last_post_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("forum")
        verbose_name_plural = _("forums")
        constraints = [
            models.UniqueConstraint(fields=["region", "slug"], name="forum_slug_per_region"),
            models.UniqueConstraint(
                fields=["slug"], condition=models.Q(region=None), name="national_forum_slug"
            ),
        ]

    def __str__(self) -> str:
        place = self.region.name if self.region else _("National")
        return f"{place} · {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("forums:forum", kwargs={"forum_id": self.pk, "slug": self.slug})


class Tag(models.Model):
    """Programme-wide (region empty) or curated for one region."""

    region = models.ForeignKey(
        Region, on_delete=models.CASCADE, null=True, blank=True, related_name="tags"
    )
    slug = models.SlugField(_("slug"), max_length=60)
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [
            models.UniqueConstraint(fields=["region", "slug"], name="tag_slug_per_region"),
            models.UniqueConstraint(
                fields=["slug"], condition=models.Q(region=None), name="programme_tag_slug"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("forums:tag", kwargs={"slug": self.slug})


class ThreadQuerySet(models.QuerySet):
    def listed(self):
        return self.filter(forum__is_archived=False)


class Thread(models.Model):
    class Kind(models.TextChoices):
        DISCUSSION = "discussion", _("Discussion")
        QUESTION = "question", _("Question")
        REPORT = "report", _("Report")

    forum = models.ForeignKey(Forum, on_delete=models.CASCADE, related_name="threads")
    title = models.CharField(_("title"), max_length=200)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="threads"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices,
                            default=Kind.DISCUSSION)
    tags = models.ManyToManyField(Tag, blank=True, related_name="threads")
    is_pinned = models.BooleanField(_("pinned"), default=False)
    is_locked = models.BooleanField(_("locked"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_post_at = models.DateTimeField(db_index=True)
    # Denormalised so lists need no extra queries; changed in services only.
    post_count = models.PositiveIntegerField(default=0, editable=False)
    view_count = models.PositiveIntegerField(default=0, editable=False)
    last_position = models.PositiveIntegerField(default=0, editable=False)
    last_post = models.ForeignKey(
        "Post", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    last_poster = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", editable=False,
    )
    accepted_answer = models.ForeignKey(
        "Post", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Per-thread monotonic sequence of live events (docs/live-protocol.md).
    event_seq = models.PositiveBigIntegerField(default=0, editable=False)
    # A new member's thread waiting for a moderator (moderation/approvals.py): only its author
    # and the region's moderators see it, and it counts nowhere until approved. Declined: it stays
    # out for good (its author still sees it, with the reason in their notification).
    is_pending = models.BooleanField(_("waiting for approval"), default=False)
    is_declined = models.BooleanField(_("declined"), default=False)

    objects = ThreadQuerySet.as_manager()

    class Meta:
        verbose_name = _("thread")
        verbose_name_plural = _("threads")
        indexes = [
            models.Index(fields=["forum", "-is_pinned", "-last_post_at"], name="thread_forum_list"),
            models.Index(fields=["forum", "kind", "-last_post_at"], name="thread_forum_kind"),
            models.Index(fields=["-last_post_at"], name="thread_latest"),
            models.Index(fields=["author", "-created_at"], name="thread_author"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("forums:thread", kwargs={"thread_id": self.pk})

    @property
    def reply_count(self) -> int:
        return max(self.post_count - 1, 0)

    @property
    def page_count(self) -> int:
        return max(1, (self.last_position + POSTS_PER_PAGE - 1) // POSTS_PER_PAGE)


class ReportSections(models.Model):
    """The structured lessons of a report (verslag), searchable with the thread."""

    thread = models.OneToOneField(Thread, on_delete=models.CASCADE, related_name="report")
    success_factors = models.TextField(_("Success factors"), max_length=5000, blank=True)
    obstacles = models.TextField(_("Obstacles"), max_length=5000, blank=True)
    lessons = models.TextField(_("Lessons and recommendations"), max_length=5000, blank=True)
    success_factors_html = models.TextField(blank=True, editable=False)
    obstacles_html = models.TextField(blank=True, editable=False)
    lessons_html = models.TextField(blank=True, editable=False)

    def sections(self) -> list[tuple[str, str]]:
        return [(label, html) for label, html in [
            (_("Success factors"), self.success_factors_html),
            (_("Obstacles"), self.obstacles_html),
            (_("Lessons and recommendations"), self.lessons_html),
        ] if html]


class Post(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts"
    )
    # 1-based place in the thread: page = (position - 1) // POSTS_PER_PAGE + 1. Empty while the
    # post waits for approval: it gets its place when it is published.
    position = models.PositiveIntegerField(null=True, blank=True)
    body = models.TextField(_("message"), max_length=20000)
    html = models.TextField(editable=False)
    quote_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    edit_count = models.PositiveIntegerField(default=0)
    is_deleted = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)
    reaction_counts = models.JSONField(default=dict, blank=True, editable=False)
    idempotency_key = models.CharField(max_length=64, blank=True)
    # Moderation state (forums/structure.py writes it, as moderation decides). A hidden post's
    # text stays out of every shared page fragment, live event and search index; moderators
    # read it elsewhere.
    is_hidden = models.BooleanField(default=False)
    hidden_reason = models.CharField(max_length=1000, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    # Shown under a post a moderator edited, to everyone.
    moderator_note = models.CharField(max_length=500, blank=True)
    # A new member's post waiting for a moderator (moderation/approvals.py): no place in the
    # thread, no counters, events, search entry or notifications until approved. Declined:
    # also deleted.
    is_pending = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["thread", "position"], name="post_position"),
            models.UniqueConstraint(
                fields=["author", "idempotency_key"], condition=~models.Q(idempotency_key=""),
                name="post_idempotency",
            ),
        ]
        indexes = [
            models.Index(fields=["author", "-created_at"], name="post_author"),
            # The review queue's "waiting for approval" section: few rows, read often.
            models.Index(fields=["created_at"], name="post_pending",
                         condition=models.Q(is_pending=True)),
        ]

    def __str__(self) -> str:
        return f"#{self.position} in {self.thread_id}"

    def get_absolute_url(self) -> str:
        return reverse("forums:post", kwargs={"post_id": self.pk})

    @property
    def page(self) -> int:
        if self.position is None:  # waiting for approval: its author sees it on the last page
            return self.thread.page_count
        return (self.position - 1) // POSTS_PER_PAGE + 1


class PostRevision(models.Model):
    """Every earlier version of an edited post, for the author and moderators."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]


class Mention(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="mentioned_in")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="one_mention")]


class Reaction(models.Model):
    class Kind(models.TextChoices):
        AGREE = "agree", _("Agree")
        USEFUL = "useful", _("Useful")
        THANKS = "thanks", _("Thanks")

    EMOJI = {"agree": "👍", "useful": "💡", "thanks": "❤️"}

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="reactions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "user", "kind"], name="one_reaction_each")
        ]


class ThreadRead(models.Model):
    """How far a user has read a thread (the last post position seen)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="reads")
    last_read_position = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "thread"], name="one_read_mark")]


class ForumRead(models.Model):
    """"Mark all as read": everything in the forum up to this moment counts as read."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    forum = models.ForeignKey(Forum, on_delete=models.CASCADE, related_name="+")
    marked_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "forum"], name="one_forum_mark")]


class ThreadSubscription(models.Model):
    class Level(models.TextChoices):
        WATCHING = "watching", _("Watching")
        MUTED = "muted", _("Muted")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="thread_subscriptions")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="subscriptions")
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.WATCHING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "thread"], name="one_thread_sub")]
        indexes = [models.Index(fields=["thread", "level"], name="thread_sub_level")]


class ForumSubscription(models.Model):
    """Watching a forum: told about new threads there."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="forum_subscriptions")
    forum = models.ForeignKey(Forum, on_delete=models.CASCADE, related_name="subscriptions")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "forum"], name="one_forum_sub")]


class RegionSubscription(models.Model):
    """Watching a whole region: told about new threads in any of its forums."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="region_subscriptions")
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="subscriptions")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "region"], name="one_region_sub")]


class ThreadEvent(models.Model):
    """What changed in a thread, in order: the live stream's source of truth.

    A client that reconnects asks for everything after the last sequence it saw and gets it
    from here, so a dropped channel-layer message (Redis restart, full channel) loses nothing.
    """

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveBigIntegerField()
    type = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thread", "seq"], name="one_event_per_seq")
        ]
        ordering = ["thread", "seq"]

    def as_message(self) -> dict:
        return {"type": self.type, "thread_id": self.thread_id, "seq": self.seq, **self.payload}


class ThreadRedirect(models.Model):
    """A thread merged into another (moderation): its address leads to the thread it became
    part of. Ids are never reused (SQLite AUTOINCREMENT, PostgreSQL sequences)."""

    old_thread_id = models.PositiveBigIntegerField(primary_key=True)
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.old_thread_id} → {self.thread_id}"
