from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
    JsonResponse,
    QueryDict,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from core.forms import add_service_errors
from regions import selectors as region_selectors
from regions.models import Region

from . import permissions, selectors, services, thread_page
from .forms import EditPostForm, ForumForm, ReplyForm, TagForm, ThreadForm
from .models import POSTS_PER_PAGE, THREADS_PER_PAGE, Forum, Reaction, Thread, ThreadSubscription

WAITING_MESSAGE = gettext_lazy("Thank you. As a new member, your first posts in this region "
                               "wait for a moderator’s approval before others see them.")


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def forum_detail(request, forum_id: int, slug: str = ""):
    forum = selectors.get_forum(viewer=request.user, forum_id=forum_id)
    kind = request.GET.get("kind") if request.GET.get("kind") in Thread.Kind.values else None
    tag = request.GET.get("tag") or None
    threads = selectors.list_threads(viewer=request.user, forum=forum, kind=kind, tag=tag)
    page = Paginator(threads, THREADS_PER_PAGE).get_page(request.GET.get("page"))
    user = request.user
    filters = QueryDict(mutable=True)
    filters.update({k: v for k, v in (("kind", kind), ("tag", tag)) if v})
    return render(request, "forums/forum.html", {
        "forum": forum, "page": page, "kind": kind, "tag": tag,
        "query_prefix": filters.urlencode(),
        "kinds": Thread.Kind.choices, "tags": selectors.tags_for_forum(forum),
        "can_start_thread": permissions.can_start_thread(user, forum),
        "watching": user.is_authenticated
        and forum.subscriptions.filter(user=user).exists(),
    })


def thread_detail(request, thread_id: int):
    try:
        return _thread_detail(request, thread_id)
    except Http404:
        # A thread merged into another keeps its address: it leads there, for whoever may see
        # that thread. Asked only when the thread is not found: reading costs nothing more.
        target = selectors.merged_into(thread_id=thread_id)
        if target is None or selectors.visible_thread_state(
                viewer=request.user, thread_id=target) is None:
            raise
        return HttpResponsePermanentRedirect(reverse("forums:thread", args=[target]))


def _thread_detail(request, thread_id: int):
    user = request.user
    if not user.is_authenticated:
        html = thread_page.cached_anonymous_page(request, thread_id, _page_number(request))
        if html is not None:
            services.record_view(request=request, thread_id=thread_id)
            return HttpResponse(html)
    thread = selectors.get_thread(viewer=user, thread_id=thread_id, with_reader_state=True)
    read_position = selectors.read_position(viewer=user, thread=thread)
    if "page" not in request.GET:
        unread = thread_page.first_unread_location(viewer=user, thread=thread,
                                                   read_position=read_position)
        if unread:
            return HttpResponseRedirect(unread)
    number = min(_page_number(request), thread.page_count)
    services.record_view(request=request, thread_id=thread.pk)
    if not user.is_authenticated:
        return thread_page.render_anonymous_page(request, thread, number)
    last_on_page = min(number * POSTS_PER_PAGE, thread.last_position)
    if last_on_page > read_position:
        services.mark_thread_read(user=user, thread=thread, position=last_on_page)
    form = thread_page.reply_form(viewer=user, thread=thread,
                                  quote_id=request.GET.get("quote", ""))
    return thread_page.render_page(request, thread, number, form)


def post_redirect(request, post_id: int):
    post = selectors.get_post(viewer=request.user, post_id=post_id)
    return HttpResponseRedirect(
        f"{post.thread.get_absolute_url()}?page={post.page}#post-{post.pk}")


@login_required
def new_thread(request, forum_id: int):
    forum = selectors.get_forum(viewer=request.user, forum_id=forum_id)
    user = request.user
    permissions.require_start_thread(user, forum)
    form = ThreadForm(request.POST or None, forum=forum,
                      allow_report=permissions.can_start_report(user, forum),
                      tags=selectors.tags_for_forum(forum))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            thread = services.create_thread(
                actor=user, forum=forum, title=data["title"], body=data["body"],
                kind=data["kind"], tags=data["tags"], report=form.report_data(),
                idempotency_key=data.get("idempotency_key", ""),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if thread.is_pending:
                messages.info(request, WAITING_MESSAGE)
            return redirect(thread)
    return render(request, "forums/new_thread.html", {"forum": forum, "form": form})


@require_POST
def reply(request, thread_id: int):
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("forums:thread", args=[thread_id]))
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            # create_post locks and loads the thread itself (and checks the permission on what
            # it locked): loading it here first would be a second query for nothing.
            post = services.create_post(
                actor=request.user, thread=Thread(pk=thread_id), body=form.cleaned_data["body"],
                quote_of=selectors.get_quoted_post(thread_id=thread_id,
                                                   post_id=form.cleaned_data.get("quote_of")),
                idempotency_key=form.cleaned_data.get("idempotency_key", ""),
            )
        except (Thread.DoesNotExist, permissions.NotVisible):
            raise Http404 from None  # a thread this reader may not see: the same as a missing one
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            location = f"{post.thread.get_absolute_url()}?page={post.page}#post-{post.pk}"
            merged = post.thread_id != thread_id
            if merged:
                messages.info(request, _("This thread has been merged into “%(title)s”: your "
                                         "reply is there.") % {"title": post.thread.title})
            if post.is_pending:
                messages.info(request, WAITING_MESSAGE)
            if (post.is_pending or merged) and request.headers.get("X-Requested-With") == "fetch":
                # No live echo comes on this page (a waiting post; a thread merged away): the
                # page to load, with the notice.
                return JsonResponse({"location": location}, status=202)
            return HttpResponseRedirect(location)
    thread = _reply_thread(request, thread_id)
    return thread_page.render_page(request, thread, thread.page_count, form, status=400)


def _reply_thread(request, thread_id: int) -> Thread:
    """The thread a reply form was sent to or, once merged, the one it became part of (where
    create_post puts the reply): the form comes back there with what was typed."""
    try:
        return selectors.get_thread(viewer=request.user, thread_id=thread_id)
    except Http404:
        target = selectors.merged_into(thread_id=thread_id)
        if target is None:
            raise
        return selectors.get_thread(viewer=request.user, thread_id=target)


@login_required
def edit_post(request, post_id: int):
    post = selectors.get_post(viewer=request.user, post_id=post_id)
    if not permissions.can_edit_post(request.user, post):
        raise PermissionDenied(_("You can only edit your own posts, while the thread is open."))
    thread = post.thread
    initial = {"body": post.body, "title": thread.title}
    if post.position == 1 and thread.kind == Thread.Kind.REPORT and hasattr(thread, "report"):
        initial.update(success_factors=thread.report.success_factors,
                       obstacles=thread.report.obstacles, lessons=thread.report.lessons)
    form = EditPostForm(request.POST or None, post=post, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        report = form.report_data() if "lessons" in form.fields else None
        try:
            post = services.edit_post(actor=request.user, post=post, body=data["body"],
                                      title=data.get("title"), report=report)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Your changes have been saved."))
            return redirect("forums:post", post_id=post.pk)
    return render(request, "forums/edit_post.html", {"post": post, "form": form,
                                                     "thread": thread})


@login_required
def delete_post(request, post_id: int):
    post = selectors.get_post(viewer=request.user, post_id=post_id)
    if not permissions.can_delete_post(request.user, post):
        raise PermissionDenied(_("You can only delete your own posts."))
    if request.method == "POST":
        services.delete_post(actor=request.user, post=post)
        messages.success(request, _("The post has been deleted."))
        return redirect("forums:post", post_id=post.pk)
    return render(request, "forums/delete_post.html", {"post": post})


@login_required
def post_history(request, post_id: int):
    post = selectors.get_post(viewer=request.user, post_id=post_id)
    if not permissions.can_view_history(request.user, post):
        raise PermissionDenied(_("Only the author and moderators see earlier versions."))
    revisions = post.revisions.select_related("edited_by__profile")
    return render(request, "forums/history.html", {"post": post, "revisions": revisions})


def react(request, post_id: int):
    """GET: a one-button confirmation (works without JavaScript); POST: toggle."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    post = selectors.get_post(viewer=request.user, post_id=post_id)
    if not permissions.can_react(request.user, post):
        raise PermissionDenied(_("Only members of this region react here."))
    if request.method != "POST":
        kind = request.GET.get("kind", "")
        labels = dict(Reaction.Kind.choices)
        if kind not in labels:
            raise Http404
        return render(request, "forums/react_confirm.html", {
            "post": post, "kind": kind, "label": labels[kind], "emoji": Reaction.EMOJI[kind],
            "mine": post.reactions.filter(user=request.user, kind=kind).exists()})
    try:
        services.toggle_reaction(actor=request.user, post=post,
                                 kind=request.POST.get("kind", ""))
    except ValidationError:
        messages.error(request, _("Choose one of the reactions shown."))
    return redirect("forums:post", post_id=post.pk)


@login_required
def accept_answer(request, thread_id: int):
    """GET: confirmation (works without JavaScript); POST: mark (or with no post, unmark)."""
    thread = selectors.get_thread(viewer=request.user, thread_id=thread_id)
    if not permissions.can_accept_answer(request.user, thread):
        raise PermissionDenied(_("Only the asker or a moderator marks the answer."))
    data = request.POST if request.method == "POST" else request.GET
    post_id = data.get("post", "")
    post = thread.posts.filter(pk=int(post_id), is_hidden=False) \
        .select_related("author__profile").first() if post_id.isdigit() else None
    if request.method != "POST":
        return render(request, "forums/accept_confirm.html", {"thread": thread, "post": post})
    try:
        services.accept_answer(actor=request.user, thread=thread, post=post)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(thread)


@login_required
@require_POST
def watch_thread(request, thread_id: int):
    thread = selectors.get_thread(viewer=request.user, thread_id=thread_id)
    level = request.POST.get("level") or None
    if level not in (None, *ThreadSubscription.Level.values):
        level = None
    services.set_thread_watch(user=request.user, thread=thread, level=level)
    messages.success(request, {
        "watching": _("You are watching this thread."),
        "muted": _("This thread is muted."),
        None: _("You are no longer watching this thread."),
    }[level])
    return redirect(thread)


@login_required
@require_POST
def watch_forum(request, forum_id: int):
    forum = selectors.get_forum(viewer=request.user, forum_id=forum_id)
    watching = request.POST.get("watching") == "1"
    services.set_forum_watch(user=request.user, forum=forum, watching=watching)
    return redirect(forum)


@login_required
@require_POST
def watch_region(request, slug: str):
    region = region_selectors.get_region(viewer=request.user, slug=slug)
    services.set_region_watch(user=request.user, region=region,
                              watching=request.POST.get("watching") == "1")
    return redirect(region)


@login_required
@require_POST
def mark_forum_read(request, forum_id: int):
    forum = selectors.get_forum(viewer=request.user, forum_id=forum_id)
    services.mark_forum_read(user=request.user, forum=forum)
    messages.success(request, _("Everything in this forum is marked as read."))
    return redirect(forum)


def latest(request):
    threads = selectors.list_latest_threads(viewer=request.user)
    page = Paginator(threads, THREADS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "forums/latest.html", {"page": page})


@login_required
def unread(request):
    threads = selectors.list_unread_threads(viewer=request.user)
    page = Paginator(threads, THREADS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "forums/unread.html", {"page": page})


def tag_detail(request, slug: str):
    tag = selectors.get_tag(viewer=request.user, slug=slug)
    threads = selectors.list_tag_threads(viewer=request.user, slug=slug)
    page = Paginator(threads, THREADS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "forums/tag.html", {"tag": tag, "page": page})


def search(request):
    from . import search as search_backend
    from .forms import SearchForm

    form = SearchForm(request.GET or None)
    results = None
    if form.is_valid() and form.cleaned_data["q"]:
        data = form.cleaned_data
        region = None
        if data["region"]:
            region = region_selectors.list_regions(viewer=request.user).filter(
                slug=data["region"]).first()
        author = None
        if data["author"]:
            from accounts.models import User

            author = User.objects.filter(username__iexact=data["author"]).first()
        results = search_backend.search(
            viewer=request.user, query=data["q"], region=region, kind=data["kind"] or None,
            tag=data["tag"] or None, author=author, date_from=data["date_from"],
            date_to=data["date_to"], page=_page_number(request),
        )
    return render(request, "forums/search.html", {
        "form": form, "results": results,
        "regions": region_selectors.list_regions(viewer=request.user),
        "search_query": form.cleaned_data.get("q", "") if form.is_bound and form.is_valid()
        else request.GET.get("q", "")[:200],
    })


# --- A region's forums and tags, for its moderators: the page and one view per change ------

def _managed_region(request, slug: str) -> Region:
    region = region_selectors.get_region(viewer=request.user, slug=slug)
    permissions.require_manage_forums(request.user, region)
    return region


def _forum_form_options(user) -> dict:
    return {"staff_only_allowed": permissions.can_set_visibility(user, Forum.Visibility.STAFF)}


def _manage_page(request, region: Region, *, forum_form: ForumForm | None = None,
                 tag_form: TagForm | None = None):
    options = _forum_form_options(request.user)
    forums = selectors.list_manageable_forums(viewer=request.user, region=region)
    return render(request, "forums/manage.html", {
        "region": region,
        "forum_form": forum_form or ForumForm(prefix="new", **options),
        "tag_form": tag_form or TagForm(prefix="tag"),
        "forums": [(f, ForumForm(prefix=f"forum-{f.pk}", instance=f, **options)) for f in forums],
        "tags": selectors.list_region_tags(region=region),
    })


def _back_to_manage(region: Region):
    return redirect("forums:manage", slug=region.slug)


@login_required
@require_safe
def manage_forums(request, slug: str):
    """Moderators add, rename, reorder and archive their region's forums and curate its tags."""
    return _manage_page(request, _managed_region(request, slug))


@login_required
@require_POST
def create_forum(request, slug: str):
    region = _managed_region(request, slug)
    form = ForumForm(request.POST, prefix="new", **_forum_form_options(request.user))
    if form.is_valid():
        try:
            services.create_forum(actor=request.user, region=region, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The forum has been added."))
            return _back_to_manage(region)
    return _manage_page(request, region, forum_form=form)


@login_required
@require_POST
def create_tag(request, slug: str):
    region = _managed_region(request, slug)
    form = TagForm(request.POST, prefix="tag")
    if form.is_valid():
        try:
            services.create_tag(actor=request.user, region=region,
                                name=form.cleaned_data["name"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The tag has been added."))
            return _back_to_manage(region)
    return _manage_page(request, region, tag_form=form)


def _change_forum(request, slug: str, forum_id: int, change) -> HttpResponseRedirect:
    """One change to one of the region's forums, `change(forum)` calling its service; back to
    the page, with what went wrong as a message."""
    region = _managed_region(request, slug)
    forum = selectors.get_manageable_forum(viewer=request.user, region=region, forum_id=forum_id)
    if forum is None:
        messages.error(request, _("That forum does not exist."))
        return _back_to_manage(region)
    try:
        change(forum)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return _back_to_manage(region)


@login_required
@require_POST
def save_forum(request, slug: str, forum_id: int):
    def save(forum):
        form = ForumForm(request.POST, prefix=f"forum-{forum.pk}", instance=forum,
                         **_forum_form_options(request.user))
        if not form.is_valid():
            messages.error(request, _("A forum needs a name of at most 100 characters."))
            return
        services.update_forum(actor=request.user, forum=forum, **form.cleaned_data)
        messages.success(request, _("The forum has been saved."))

    return _change_forum(request, slug, forum_id, save)


@login_required
@require_POST
def move_forum_up(request, slug: str, forum_id: int):
    return _change_forum(request, slug, forum_id, lambda forum: services.move_forum(
        actor=request.user, forum=forum, direction=-1))


@login_required
@require_POST
def move_forum_down(request, slug: str, forum_id: int):
    return _change_forum(request, slug, forum_id, lambda forum: services.move_forum(
        actor=request.user, forum=forum, direction=1))


@login_required
@require_POST
def archive_forum(request, slug: str, forum_id: int):
    return _change_forum(request, slug, forum_id, lambda forum: services.update_forum(
        actor=request.user, forum=forum, is_archived=True))


@login_required
@require_POST
def restore_forum(request, slug: str, forum_id: int):
    return _change_forum(request, slug, forum_id, lambda forum: services.update_forum(
        actor=request.user, forum=forum, is_archived=False))
