"""The "Moderate this thread" page (lock, pin, rename, kind, tags, move, merge) and the split
page: selector, gate, form, service (moderation.threads), redirect or render.

Refusals: someone who may not moderate the thread gets 403 (or the MFA set-up for a moderator
without it) before any form is read; a target the moderator may not use (another region's
forum or thread) comes back from the service as PermissionDenied and is shown on the form with
403, bad input with 400; the typed input stays in the form either way."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.forms import add_service_errors
from forums import selectors as forum_selectors
from forums import structure
from forums.models import Thread

from . import permissions, selectors, threads
from .thread_forms import FlagsForm, KindForm, MergeForm, MoveForm, RenameForm, SplitForm, TagsForm


def _moderated_thread(request, thread_id: int) -> Thread:
    thread = forum_selectors.get_thread(viewer=request.user, thread_id=thread_id)
    permissions.require_moderate_thread(request.user, thread)
    return thread


def _forms(request, thread: Thread, bound: str | None) -> dict:
    """Every form of the page, the one that was sent bound to what was typed."""
    def data(name):
        return request.POST if name == bound else None

    other_forums = selectors.list_target_forums(viewer=request.user) \
        .exclude(pk=thread.forum_id)
    return {
        "flags": FlagsForm(data("flags"), prefix="flags"),
        "rename": RenameForm(data("rename"), prefix="rename", initial={"title": thread.title}),
        "kind": KindForm(data("kind"), prefix="kind", initial={"kind": thread.kind}),
        "tags": TagsForm(data("tags"), prefix="tags", tags=structure.allowed_tags(thread.forum),
                         initial={"tags": list(thread.tags.all())}),
        "move": MoveForm(data("move"), prefix="move", forums=other_forums),
        "merge": MergeForm(data("merge"), prefix="merge"),
    }


FORM_OF_ACTION = {"lock": "flags", "unlock": "flags", "pin": "flags", "unpin": "flags",
                  "rename": "rename", "kind": "kind", "tags": "tags", "move": "move",
                  "merge": "merge"}


def _run(action: str, *, actor, thread: Thread, data: dict) -> tuple[Thread, str]:
    """The service for the action; (where to go next, what to say)."""
    reason = data.get("reason", "")
    if action in ("lock", "unlock"):
        threads.set_locked(actor=actor, thread=thread, locked=action == "lock", reason=reason)
        return thread, (_("The thread is locked.") if action == "lock"
                        else _("The thread is open again."))
    if action in ("pin", "unpin"):
        threads.set_pinned(actor=actor, thread=thread, pinned=action == "pin", reason=reason)
        return thread, (_("The thread is pinned.") if action == "pin"
                        else _("The thread is no longer pinned."))
    if action == "rename":
        threads.rename_thread(actor=actor, thread=thread, title=data["title"], reason=reason)
        return thread, _("The thread has been renamed.")
    if action == "kind":
        threads.change_kind(actor=actor, thread=thread, kind=data["kind"], reason=reason)
        return thread, _("The kind of the thread has been changed.")
    if action == "tags":
        threads.set_tags(actor=actor, thread=thread, tags=data["tags"], reason=reason)
        return thread, _("The tags have been changed.")
    if action == "move":
        threads.move_thread(actor=actor, thread=thread, forum=data["forum"], reason=reason)
        return thread, _("The thread has been moved to %(forum)s.") % {"forum": data["forum"]}
    # merge
    into = selectors.find_thread(data["into"])
    if into is None:
        raise ValidationError({"into": _("There is no thread you moderate with this number.")})
    into = threads.merge_threads(actor=actor, thread=thread, into=into, reason=reason)
    return into, _("The posts are now part of this thread; the old address leads here.")


@login_required
def thread_panel(request, thread_id: int):
    thread = _moderated_thread(request, thread_id)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if request.method == "POST" and action not in FORM_OF_ACTION:
        messages.error(request, _("Unknown action."))
        return redirect("moderation:thread", thread_id=thread.pk)
    forms = _forms(request, thread, FORM_OF_ACTION.get(action))
    status = 200
    if action:
        form = forms[FORM_OF_ACTION[action]]
        if form.is_valid():
            try:
                target, done = _run(action, actor=request.user, thread=thread,
                                    data=form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            except PermissionDenied as refused:
                form.add_error(None, str(refused) or _("You cannot do this."))
                status = 403
            else:
                messages.success(request, done)
                return redirect(target)
        status = status if status != 200 else 400
    return render(request, "moderation/thread.html", {
        "thread": thread, "forum": thread.forum, "forms": forms, "sent": action,
    }, status=status)


@login_required
def split_thread(request, thread_id: int):
    thread = _moderated_thread(request, thread_id)
    posts = selectors.list_replies(thread=thread)
    form = SplitForm(request.POST or None, posts=posts,
                     forums=selectors.list_target_forums(viewer=request.user),
                     initial={"forum": thread.forum_id})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                new = threads.split_thread(actor=request.user, thread=thread,
                                           post_ids=data["posts"], title=data["title"],
                                           forum=data["forum"], reason=data["reason"])
            except ValidationError as error:
                add_service_errors(form, error)
            except PermissionDenied as refused:
                form.add_error(None, str(refused) or _("You cannot do this."))
                status = 403
            else:
                messages.success(request, _("The posts have been moved to this new thread."))
                return redirect(new)
    chosen = {str(v) for v in (form["posts"].value() or [])}
    return render(request, "moderation/split.html", {
        "thread": thread, "forum": thread.forum, "form": form, "posts": posts, "chosen": chosen,
    }, status=status)
