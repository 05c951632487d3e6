"""The thread page, assembled: what all its readers see alike is rendered once per change of
the thread and kept in the fragment cache (whole pages for anonymous readers); what is one
reader's own (the reply form, waiting posts, the booleans for their controls) is added per
request. forums.views.thread_detail decides the redirects and records the visit."""

from django.contrib.messages import get_messages
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from accounts.models import User

from . import fragment_cache, permissions, selectors
from .forms import ReplyForm
from .models import POSTS_PER_PAGE, Reaction, Thread
from .rendering import quote_markdown

REACTION_KINDS = [(k, label, Reaction.EMOJI[k]) for k, label in Reaction.Kind.choices]


def first_unread_location(*, viewer: User, thread: Thread, read_position: int) -> str | None:
    """Where a reader who has read part of the thread continues: the page and anchor of their
    first unread post; None for anyone else."""
    if not viewer.is_authenticated or not 0 < read_position < thread.last_position:
        return None
    first_unread = selectors.post_id_at(thread=thread, position=read_position + 1)
    if not first_unread:
        return None
    page = read_position // POSTS_PER_PAGE + 1
    return f"{thread.get_absolute_url()}?page={page}#post-{first_unread}"


def reply_form(*, viewer: User, thread: Thread, quote_id: str) -> ReplyForm | None:
    """The blank reply form, filled in with a quote when `quote_id` names a post every reader
    of the thread sees; None for whoever may not reply."""
    if not permissions.can_reply(viewer, thread):
        return None
    initial = {}
    quoted = selectors.get_quotable_post(thread=thread, post_id=int(quote_id)) \
        if quote_id.isdigit() else None
    if quoted:
        initial = {"body": quote_markdown(author_name=quoted.author.display_name,
                                          post_url=quoted.get_absolute_url(), body=quoted.body),
                   "quote_of": quoted.pk}
    return ReplyForm(initial=initial)


def _anonymous_page_key(request, thread_id: int, event_seq: int, number: int) -> str | None:
    """Anonymous readers of a page all get the same HTML (no token, no name, no message), so
    it is rendered once per change of the thread; None when this request is not such a page."""
    if set(request.GET) - {"page"} or len(get_messages(request)):
        return None
    return f"thread-page:{thread_id}:{event_seq}:{number}:{get_language()}"


def cached_anonymous_page(request, thread_id: int, number: int) -> str | None:
    """The stored page `number` (past the last: the last) of the thread as an anonymous reader
    sees it now, or None. Http404 when the thread is not visible to them."""
    # The cheapest question first: which version of the thread is visible (one small query).
    state = selectors.visible_thread_state(viewer=request.user, thread_id=thread_id)
    if state is None:
        raise Http404
    event_seq, last_position = state
    pages = max(1, (last_position + POSTS_PER_PAGE - 1) // POSTS_PER_PAGE)
    key = _anonymous_page_key(request, thread_id, event_seq, min(number, pages))
    return fragment_cache.get_many({"page": key})[0]["page"] if key else None


def render_anonymous_page(request, thread: Thread, number: int) -> HttpResponse:
    """The page for an anonymous reader, stored for the next one when it can be shared."""
    key = _anonymous_page_key(request, thread.pk, thread.event_seq, number)
    generation = fragment_cache.generation() if key else None  # before anything is rendered
    response = render_page(request, thread, number, None)
    if key:
        fragment_cache.set_many({key: response.content.decode()}, generation)
    return response


def render_page(request, thread: Thread, number: int, form: ReplyForm | None,
                status: int = 200) -> HttpResponse:
    return render(request, "forums/thread.html", _context(request.user, thread, number, form),
                  status=status)


def _shared_fragments(thread: Thread, number: int) -> dict[str, str]:
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


def _context(user: User, thread: Thread, number: int, form: ReplyForm | None) -> dict:
    is_moderator = permissions.is_moderator(user, thread.forum)
    num_pages = thread.page_count
    return {
        "thread": thread, "forum": thread.forum, "reply_form": form,
        "reply_form_fields": _reply_form_fields(form), "live_texts": _live_texts(),
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
