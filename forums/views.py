from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.contrib.messages import get_messages
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
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.mfa import has_mfa
from core.forms import add_service_errors
from regions import selectors as region_selectors

from . import fragment_cache, permissions, selectors, services
from .forms import EditPostForm, ReplyForm, ThreadForm
from .models import POSTS_PER_PAGE, THREADS_PER_PAGE, Post, Reaction, Thread, ThreadSubscription
from .rendering import quote_markdown

WAITING_MESSAGE = gettext_lazy("Thank you. As a new member, your first posts in this region "
                               "wait for a moderator’s approval before others see them.")
REACTION_KINDS = [(k, label, Reaction.EMOJI[k]) for k, label in Reaction.Kind.choices]


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
        cached = _cached_anonymous_page(request, thread_id)
        if cached is not None:
            return cached
    thread = selectors.get_thread(viewer=user, thread_id=thread_id, with_reader_state=True)
    read_position = selectors.read_position(viewer=user, thread=thread)
    if "page" not in request.GET and user.is_authenticated \
            and 0 < read_position < thread.last_position:
        first_unread = thread.posts.filter(position=read_position + 1).values_list(
            "pk", flat=True).first()
        if first_unread:
            page = read_position // POSTS_PER_PAGE + 1
            return HttpResponseRedirect(f"{thread.get_absolute_url()}?page={page}"
                                        f"#post-{first_unread}")
    number = min(_page_number(request), thread.page_count)
    services.record_view(request=request, thread_id=thread.pk)
    if not user.is_authenticated:
        return _anonymous_thread_page(request, thread, number)
    last_on_page = min(number * POSTS_PER_PAGE, thread.last_position)
    if user.is_authenticated and last_on_page > read_position:
        services.mark_thread_read(user=user, thread=thread, position=last_on_page)
    reply_form = None
    if permissions.can_reply(user, thread):
        initial = {}
        quote_id = request.GET.get("quote", "")
        if quote_id.isdigit():
            quoted = thread.posts.filter(pk=int(quote_id), is_deleted=False, is_hidden=False,
                                         is_pending=False) \
                .select_related("author__profile").first()
            if quoted:
                initial = {"body": quote_markdown(author_name=quoted.author.display_name,
                                                  post_url=quoted.get_absolute_url(),
                                                  body=quoted.body),
                           "quote_of": quoted.pk}
        reply_form = ReplyForm(initial=initial)
    return render(request, "forums/thread.html",
                  _thread_context(request, thread, number, reply_form))


def _anonymous_page_key(request, thread_id: int, event_seq: int, number: int) -> str | None:
    """Anonymous readers of a page all get the same HTML (no token, no name, no message), so
    it is rendered once per change of the thread; None when this request is not such a page."""
    if set(request.GET) - {"page"} or len(get_messages(request)):
        return None
    return f"thread-page:{thread_id}:{event_seq}:{number}:{get_language()}"


def _cached_anonymous_page(request, thread_id: int):
    # The cheapest question first: which version of the thread is visible (one small query).
    state = selectors.visible_thread_state(viewer=request.user, thread_id=thread_id)
    if state is None:
        raise Http404
    event_seq, last_position = state
    pages = max(1, (last_position + POSTS_PER_PAGE - 1) // POSTS_PER_PAGE)
    key = _anonymous_page_key(request, thread_id, event_seq, min(_page_number(request), pages))
    html = fragment_cache.get_many({"page": key})[0]["page"] if key else None
    if html is None:
        return None
    services.record_view(request=request, thread_id=thread_id)
    return HttpResponse(html)


def _anonymous_thread_page(request, thread, number: int):
    key = _anonymous_page_key(request, thread.pk, thread.event_seq, number)
    generation = fragment_cache.generation() if key else None  # before anything is rendered
    response = render(request, "forums/thread.html", _thread_context(request, thread, number, None))
    if key:
        fragment_cache.set_many({key: response.content.decode()}, generation)
    return response


def _shared_fragments(thread, number: int) -> dict[str, str]:
    """What every reader of a page sees alike (their own controls are switched on by the page's
    viewer style): the thread's labels and tags, its accepted answer and the page's posts,
    rendered once per change of the thread and language and fetched in one cache round trip.
    Every change of the thread a fragment shows moves its event sequence, which is in the
    keys; a changed name on the page (a person's, a forum's, a tag's) by fragment_cache."""
    prefix = f"{thread.pk}:{thread.event_seq}"
    language = get_language()
    keys = {"labels_html": f"thread-labels:{prefix}:{language}",
            "accepted_html": f"thread-accepted:{prefix}:{language}",
            "posts_html": f"thread-posts:{prefix}:{number}:{language}"}
    fragments, generation = fragment_cache.get_many(keys)
    missing = {}
    if fragments["labels_html"] is None:
        missing[keys["labels_html"]] = fragments["labels_html"] = render_to_string(
            "forums/_thread_labels.html", {"thread": thread})
    if fragments["accepted_html"] is None:
        answer = selectors.accepted_answer(thread=thread)
        missing[keys["accepted_html"]] = fragments["accepted_html"] = render_to_string(
            "forums/_accepted_answer.html", {"answer": answer})
    if fragments["posts_html"] is None:
        posts = selectors.thread_page(thread=thread, page=number).posts
        missing[keys["posts_html"]] = fragments["posts_html"] = render_to_string(
            "forums/_posts.html", {
                "posts": posts, "thread": thread, "reaction_kinds": REACTION_KINDS})
    if missing:
        fragment_cache.set_many(missing, generation)
    return fragments


# Per process and language: what only translations decide, rendered once (the catalogues do not
# change while a process runs). Both are a good share of a logged-in page's template time.
_live_texts_by_language: dict[str, str] = {}
_blank_reply_forms_by_language: dict[str, str] = {}
# Stands in for the idempotency key in the stored blank form (a key is 32 hex digits).
_KEY_PLACEHOLDER = "idempotency-key-placeholder"


def _live_texts() -> str:
    language = get_language()
    texts = _live_texts_by_language.get(language)
    if texts is None:
        texts = _live_texts_by_language[language] = render_to_string(
            "forums/_live_texts.html").strip()
    return mark_safe(texts)  # noqa: S308 - our own template's output, autoescaped


def _reply_form_fields(form: ReplyForm | None) -> str:
    """The fields of a blank reply form (no quote, no errors): the same HTML for every reader
    but for the idempotency key, so it is rendered once per language and the key put in.
    Anything else ("" here) renders through the form partial as usual."""
    if form is None or form.is_bound or form.initial.get("body") or form.initial.get("quote_of"):
        return ""
    language = get_language()
    html = _blank_reply_forms_by_language.get(language)
    if html is None:
        blank = ReplyForm(initial={"idempotency_key": _KEY_PLACEHOLDER})
        html = _blank_reply_forms_by_language[language] = render_to_string(
            "_partials/form_fields.html", {"form": blank})
    return mark_safe(html.replace(_KEY_PLACEHOLDER, form.initial["idempotency_key"]))  # noqa: S308


def _thread_context(request, thread, number: int, reply_form):
    user = request.user
    is_moderator = permissions.is_moderator(user, thread.forum)
    num_pages = thread.page_count
    return {
        "thread": thread, "forum": thread.forum, "reply_form": reply_form,
        "reply_form_fields": _reply_form_fields(reply_form), "live_texts": _live_texts(),
        **_shared_fragments(thread, number),
        "page": selectors.ThreadPage(posts=[], number=number, num_pages=num_pages,
                                     has_previous=number > 1, has_next=number < num_pages),
        "is_moderator": is_moderator,
        "can_react": user.is_authenticated and permissions.can_take_part(user, thread.forum),
        "can_accept": permissions.can_accept_answer(user, thread),
        "can_watch": permissions.can_watch(user, thread),
        "watch_level": selectors.watch_level(viewer=user, thread=thread),
        "locked_for_me": thread.is_locked and not is_moderator,
        "waiting_posts": selectors.list_waiting_posts(viewer=user, thread=thread,
                                                      is_moderator=is_moderator)
        if number == num_pages else [],
    }


def post_redirect(request, post_id: int):
    post = selectors.get_post(viewer=request.user, post_id=post_id)
    return HttpResponseRedirect(
        f"{post.thread.get_absolute_url()}?page={post.page}#post-{post.pk}")


@login_required
def new_thread(request, forum_id: int):
    forum = selectors.get_forum(viewer=request.user, forum_id=forum_id)
    user = request.user
    if not permissions.can_start_thread(user, forum):
        if forum.staff_only_threads:
            raise PermissionDenied(_("Only the programme team starts threads in this forum."))
        raise PermissionDenied(_("Only members of this region start threads here."))
    allow_report = permissions.can_start_report(user, forum)
    if forum.is_reports and not allow_report and permissions.holds_reporter_role(user, forum) \
            and not has_mfa(user):
        messages.warning(request, _("Reports need two-factor authentication. Set it up first."))
        return redirect(f"{reverse('mfa_activate_totp')}?next={request.get_full_path()}")
    form = ThreadForm(request.POST or None, forum=forum, allow_report=allow_report,
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
        quote_id = form.cleaned_data.get("quote_of")
        quote_of = Post.objects.filter(pk=quote_id, thread_id=thread_id).first() \
            if quote_id else None
        try:
            # create_post locks and loads the thread itself (and checks the permission on what
            # it locked): loading it here first would be a second query for nothing.
            post = services.create_post(
                actor=request.user, thread=Thread(pk=thread_id), body=form.cleaned_data["body"],
                quote_of=quote_of, idempotency_key=form.cleaned_data.get("idempotency_key", ""),
            )
        except Thread.DoesNotExist:
            raise Http404 from None
        except PermissionDenied:
            # A thread this reader may not see answers 404, the same as a missing one.
            _reply_thread(request, thread_id)
            raise
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
    return render(request, "forums/thread.html",
                  _thread_context(request, thread, thread.page_count, form), status=400)


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


@login_required
def manage_forums(request, slug: str):
    """Moderators add, rename, reorder and archive their region's forums and curate its tags."""
    from .forms import ForumForm, TagForm
    from .models import Forum, Tag

    region = region_selectors.get_region(viewer=request.user, slug=slug)
    user = request.user
    if not permissions.can_manage_forums(user, region):
        from regions import permissions as region_permissions

        if region_permissions.holds_moderator_role(user, region) and not has_mfa(user):
            messages.warning(request, _("Moderators must use two-factor authentication."))
            return redirect(f"{reverse('mfa_activate_totp')}?next={request.get_full_path()}")
        raise PermissionDenied(_("Only this region's moderators manage its forums."))
    staff_only = {
        "staff_only_allowed": permissions.can_set_visibility(user, Forum.Visibility.STAFF)}
    forums = permissions.manageable_forums(user, Forum.objects.filter(region=region))
    forum_form, tag_form = ForumForm(prefix="new", **staff_only), TagForm(prefix="tag")
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "create":
                forum_form = ForumForm(request.POST, prefix="new", **staff_only)
                if forum_form.is_valid():
                    services.create_forum(actor=user, region=region, **forum_form.cleaned_data)
                    messages.success(request, _("The forum has been added."))
                    return redirect("forums:manage", slug=region.slug)
            elif action == "tag":
                tag_form = TagForm(request.POST, prefix="tag")
                if tag_form.is_valid():
                    services.create_tag(actor=user, region=region,
                                        name=tag_form.cleaned_data["name"])
                    messages.success(request, _("The tag has been added."))
                    return redirect("forums:manage", slug=region.slug)
            else:
                forum_id = request.POST.get("forum", "")
                forum = forums.filter(pk=int(forum_id) if forum_id.isdigit() else 0).first()
                if forum is None:
                    messages.error(request, _("That forum does not exist."))
                elif action in ("up", "down"):
                    services.move_forum(actor=user, forum=forum,
                                        direction=-1 if action == "up" else 1)
                elif action in ("archive", "restore"):
                    services.update_forum(actor=user, forum=forum,
                                          is_archived=action == "archive")
                elif action == "rename":
                    form = ForumForm(request.POST, prefix=f"forum-{forum.pk}", instance=forum,
                                     **staff_only)
                    if form.is_valid():
                        services.update_forum(actor=user, forum=forum, **form.cleaned_data)
                        messages.success(request, _("The forum has been saved."))
                    else:
                        messages.error(request,
                                       _("A forum needs a name of at most 100 characters."))
                return redirect("forums:manage", slug=region.slug)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    return render(request, "forums/manage.html", {
        "region": region, "forum_form": forum_form, "tag_form": tag_form,
        "forums": [(f, ForumForm(prefix=f"forum-{f.pk}", instance=f, **staff_only))
                   for f in forums.order_by("position", "name")],
        "tags": Tag.objects.filter(region=region),
    })
