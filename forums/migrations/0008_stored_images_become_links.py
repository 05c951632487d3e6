"""Posts no longer load images from other sites (forums/rendering.py: every image is offered as
a link). HTML stored before that still holds <img> tags: in posts, report sections and the
post fragments of thread events (which a reconnecting reader catches up from). They become
the same links a new render gives, and cached thread HTML starts a new generation.

Self-contained on purpose: the stored tags are nh3's output (attributes double-quoted), so a
pattern reads them; the migration must keep working whatever the renderer becomes.
"""

import html
import re

from django.db import migrations

EXTERNAL_REL = "nofollow noopener noreferrer ugc"
_IMG = re.compile(r'<img((?:\s+[\w-]+(?:="[^"]*")?)*)\s*/?>', re.IGNORECASE)
_ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") \
        .replace('"', "&quot;")


def _as_link(match: re.Match) -> str:
    attributes = {name.lower(): html.unescape(value)
                  for name, value in _ATTRIBUTE.findall(match.group(1))}
    src, alt = attributes.get("src", ""), attributes.get("alt", "")
    if not src:
        return _escape(alt)
    site_path = src.startswith("/") and src[1:2] not in ("/", "\\")
    rel = "" if site_path else f' rel="{EXTERNAL_REL}"'
    return f'<a href="{_escape(src)}"{rel}>{_escape(alt or src)}</a>'


def images_as_links(stored: str) -> str:
    return _IMG.sub(_as_link, stored) if "<img" in stored.lower() else stored


def _fragments_as_links(value):
    """An event's html: one string, or {language: string}."""
    if isinstance(value, str):
        return images_as_links(value)
    if isinstance(value, dict):
        return {key: _fragments_as_links(item) for key, item in value.items()}
    return value


REPORT_FIELDS = ("success_factors_html", "obstacles_html", "lessons_html")


def rewrite_stored_images(apps, schema_editor):
    Post = apps.get_model("forums", "Post")
    ReportSections = apps.get_model("forums", "ReportSections")
    ThreadEvent = apps.get_model("forums", "ThreadEvent")
    changed = False
    for post in Post.objects.filter(html__icontains="<img").only("pk", "html").iterator():
        Post.objects.filter(pk=post.pk).update(html=images_as_links(post.html))
        changed = True
    for field in REPORT_FIELDS:
        for sections in ReportSections.objects.filter(**{f"{field}__icontains": "<img"}):
            ReportSections.objects.filter(pk=sections.pk).update(
                **{field: images_as_links(getattr(sections, field))})
            changed = True
    # JSON is searched as text on every database: the payload's HTML escapes nothing of "<img".
    for event in ThreadEvent.objects.filter(payload__icontains="<img").iterator():
        if not isinstance(event.payload, dict) or "html" not in event.payload:
            continue
        payload = {**event.payload, "html": _fragments_as_links(event.payload["html"])}
        if payload != event.payload:
            ThreadEvent.objects.filter(pk=event.pk).update(payload=payload)
            changed = True
    if changed:
        from forums import fragment_cache

        fragment_cache.names_changed()  # the cached pages and fragments hold the old HTML


class Migration(migrations.Migration):
    dependencies = [("forums", "0007_waiting_for_approval")]

    operations = [migrations.RunPython(rewrite_stored_images, migrations.RunPython.noop)]
