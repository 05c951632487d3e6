"""Markdown for forum posts, rendered once when a post is written and stored as HTML.

Two layers, so one mistake does not open a hole: markdown-it (raw HTML off) only emits
the tags and URLs we let it, then nh3 drops whatever is not on the allow-list anyway.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.normalize_url import normalizeLink
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.rules_block import StateBlock, table
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import (
    StateInline,
    autolink,
    backtick,
    emphasis,
    entity,
    escape,
    image,
    link,
    newline,
    strikethrough,
)
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

MAX_SOURCE_LENGTH = 20_000

EXTERNAL_REL = "nofollow noopener noreferrer ugc"
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})

# Limits that keep a worst-case post (MAX_SOURCE_LENGTH characters) well under 200 ms
# and its HTML in the hundreds of kilobytes; real posts never reach them.
MAX_NESTING = 20  # 20 nested quotes/lists is deeper than any real post
MAX_URL_LENGTH = 2000
MAX_LINK_SPAN = 2200  # "[text](url "title")" must close within this many characters
MAX_URL_CHARS = 50_000  # per post: one long [ref] definition used 3,000 times is a bomb
MAX_MENTION_LINKS = 100  # per post; the HTML is stored and broadcast to every reader
# Parsing works line by line: 9,000 one-character lines (a table's delimiter row followed by
# "|" lines) took 180-290 ms on a 2-core machine while 2,000 stay far below. No real post has
# so many lines within MAX_SOURCE_LENGTH; forms and services say so before anything renders.
MAX_LINES = 2_000
MAX_TABLE_COLUMNS = 32
MAX_TABLE_CELLS = 2_000
# Per post: "*a" 10,000 times is 10,000 delimiters and 5,000 <em>s (150-220 ms here); past
# this many runs of * _ ~ that may open or close emphasis, the rest is plain text, taken a
# whole run at a time. A long real post has a few hundred (a 500-item list with a bold label
# each: 1,000). Runs that can do neither ("snake_case") cost next to nothing and do not count.
MAX_EMPHASIS_RUNS = 2_000

# --- URLs ------------------------------------------------------------------------------

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")


def _is_site_path(url: str) -> bool:
    """A path on this site ("/bericht/12/"); "//host" and "/\\host" leave the site."""
    return url.startswith("/") and url[1:2] not in ("/", "\\")


def _is_allowed_url(url: str) -> bool:
    # Called on the normalised URL: entities decoded, whitespace and controls
    # percent-encoded, so "java&#x09;script:" arrives as "java%09script:" (no scheme).
    if len(url) > MAX_URL_LENGTH:
        return False
    if _is_site_path(url):
        return True
    scheme = _SCHEME.match(url)
    return scheme is not None and scheme.group(1).lower() in SAFE_SCHEMES


def _normalize_link(url: str) -> str:
    # A protocol-relative link goes to another host: say so, so it is treated as external.
    if url.startswith("//"):
        url = "https:" + url
    return normalizeLink(url)


# --- Parser guards ---------------------------------------------------------------------

InlineRule = Callable[[StateInline, bool], bool]


def _bounded_link_rule(rule: InlineRule) -> InlineRule:
    """Stop "[[[[..." from scanning the rest of the post once per bracket (quadratic)."""

    def bounded(state: StateInline, silent: bool) -> bool:
        if state.src[state.pos] not in "![":
            return False  # cheap exit first: inline rules are tried at most positions
        limit = min(state.posMax, state.pos + MAX_LINK_SPAN)
        label_end = state.src.find("]", state.pos, limit)
        if label_end < 0:
            return False
        # "[a](b" 4,000 times: each would scan its destination to the limit for a ")" that
        # never comes. Any inline link here needs a ")" after its "](", so without one (and
        # without reference definitions to fall back on) nothing here can be a link.
        if state.src.startswith("(", label_end + 1) and not state.env.get("references") \
                and state.src.find(")", label_end, limit) < 0:
            return False
        old_max = state.posMax
        state.posMax = limit
        try:
            return rule(state, silent)
        finally:
            state.posMax = old_max

    return bounded


def _bounded_emphasis_rule(rule: InlineRule, markers: str, *,
                           shortcuts: bool = True) -> InlineRule:
    """Every run of * _ ~ past the cap goes straight to the pending text, whole. With
    `shortcuts`, so do the runs that can neither open nor close emphasis: no token, no
    delimiter, no second look. The result is the same (emphasis pairs only delimiters that
    can open or close, and adjacent text joins up anyway) at a fraction of the cost; a test
    renders random Markdown with and without shortcuts and compares."""

    def bounded(state: StateInline, silent: bool) -> bool:
        src, start = state.src, state.pos
        marker = src[start]
        if marker not in markers or silent:  # both rules do nothing when silent
            return False
        runs = state.env.get("emphasis_runs", 0)
        if runs < MAX_EMPHASIS_RUNS:
            if shortcuts and ((marker == "_" and _is_intraword(src, start, state.posMax))
                              or (marker == "~" and src[start + 1:start + 2] != "~")):
                # snake_case: "_" inside a word never opens or closes; "~" strikes in twos
                _as_text(state, 1)
                return True
            scanned = state.scanDelims(start, marker != "_")
            active = scanned.can_open or scanned.can_close
            if active or not shortcuts:
                if not rule(state, silent):
                    return False
                state.env["emphasis_runs"] = runs + active
                return True
            _as_text(state, scanned.length)
            return True
        end = start + 1
        while end < state.posMax and src[end] == marker:
            end += 1
        _as_text(state, end - start)
        return True

    return bounded


def _is_intraword(src: str, at: int, end: int) -> bool:
    """One "_" between two letters or digits: neither side is space or punctuation."""
    return at > 0 and at + 1 < end and src[at - 1].isalnum() and src[at + 1].isalnum()


def _as_text(state: StateInline, length: int) -> None:
    _append_pending(state, state.src[state.pos:state.pos + length])
    state.pos += length


def _append_pending(state: StateInline, text: str) -> None:
    if _BUFFERED_PENDING:
        state.append_pending(text)  # markdown-it-py 4: amortised O(1)
    else:
        state.pending += text


_BUFFERED_PENDING = hasattr(StateInline, "append_pending")

# Characters that end a run of plain text but start no inline rule of ours (linkify and raw
# HTML are off); "]" only closes what the link rule scans for itself.
_INERT_PUNCTUATION = frozenset("#$%+-:=>@]^{}")


def _dispatching_rule(rules_by_char: dict[str, Sequence[InlineRule]]) -> InlineRule:
    """First in the chain: at a character that ends plain text, ask only the rules that can
    start there, and take it as text when none does. The parser would ask every rule in
    turn and then do the same; at 20,000 punctuation characters that asking was most of
    the time. A test renders random Markdown both ways and compares."""

    def dispatch(state: StateInline, silent: bool) -> bool:
        src, start = state.src, state.pos
        char = src[start]
        rules = rules_by_char.get(char)
        if rules is not None:
            for rule in rules:
                if rule(state, silent):
                    return True
        elif char not in _INERT_PUNCTUATION:
            return False  # ordinary text: the text rule takes it
        if silent:
            state.pos = start + 1  # one at a time: a link label counts its "]"s
            return True
        end = start + 1
        if rules is None:
            while end < state.posMax and src[end] in _INERT_PUNCTUATION:
                end += 1
        _as_text(state, end - start)
        return True

    return dispatch


def _bounded_table(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    # A 3,000-column header over 4,000 one-character rows autocompletes millions of
    # cells; cap both sides. Rows past the cap continue as an ordinary paragraph.
    header_start = state.bMarks[start_line] + state.tShift[start_line]
    columns = state.src.count("|", header_start, state.eMarks[start_line]) + 1  # at most
    if columns > MAX_TABLE_COLUMNS:
        return False
    last_line = start_line + 2 + MAX_TABLE_CELLS // columns
    return table(state, start_line, min(end_line, last_line), silent)


def _cap_url_expansion(state: StateCore) -> None:
    # Reference definitions are the one way a short source repeats long text; past the
    # budget, links become their text and images their alt text.
    budget = MAX_URL_CHARS
    for block in state.tokens:
        dropping_link = False  # links do not nest, so one flag pairs open and close
        for token in block.children or ():
            if token.type in ("link_open", "image"):
                url = token.attrGet("href") or token.attrGet("src") or ""
                budget -= len(str(url)) + len(str(token.attrGet("title") or ""))
                if budget >= 0:
                    continue
                dropping_link = dropping_link or token.type == "link_open"
                # An image's content is its alt source text; a link's is empty.
                token.type, token.tag, token.nesting, token.attrs = "text", "", 0, {}
                token.children = None
            elif token.type == "link_close" and dropping_link:
                token.type, token.tag, token.nesting, token.content = "text", "", 0, ""
                dropping_link = False


_HEADING_TAGS = {"h1": "h3", "h2": "h4", "h3": "h5", "h4": "h6", "h5": "h6", "h6": "h6"}


def _demote_headings(state: StateCore) -> None:
    # Posts sit under the page's h1 (thread title) and h2 ("Posts"); "# Title" is an h3.
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = _HEADING_TAGS[token.tag]


# --- Mentions --------------------------------------------------------------------------

_MENTION = re.compile(r"@([A-Za-z0-9][A-Za-z0-9_.-]*)")
_URL_IN_TEXT = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*://|www\.|mailto:)\S*", re.IGNORECASE)
# A handle glued to one of these is part of an address, URL or word ("anna@example.nl",
# "example.nl/@anna", "a=@b", "\@anna" written as an escape).
_GLUE = frozenset("_.+-/:@=&#%~\\")


def _is_glued(char: str) -> bool:
    return char.isalnum() or char in _GLUE


def _find_mentions(text: str, before: str, after: str) -> list[tuple[int, int, str]]:
    """(start, end, username) of each @handle in one text token.

    `before`/`after` are the neighbouring characters in the same line of text (escapes
    and entities are separate tokens), so "x\\_@anna" is still seen as glued.
    """
    urls = [match.span() for match in _URL_IN_TEXT.finditer(text)]
    url_index = 0
    found = []
    for match in _MENTION.finditer(text):
        at = match.start()
        while url_index < len(urls) and urls[url_index][1] <= at:
            url_index += 1
        if url_index < len(urls) and urls[url_index][0] <= at:
            continue
        if _is_glued(text[at - 1] if at else before):
            continue
        following = text[match.end()] if match.end() < len(text) else after
        if following == "@" or following == "_" or following.isalnum():
            continue  # "@anna@example.nl", "@annaé", or a handle running on into an escape
        name = match.group(1).rstrip(".-")
        found.append((at, at + 1 + len(name), name))
    return found


def _mention_tokens(name: str, level: int) -> list[Token]:
    opening = Token("link_open", "a", 1, level=level,
                    attrs={"class": "mention", "href": f"/profiel/{quote(name)}/"})
    text = Token("text", "", 0, content=f"@{name}", level=level + 1)
    return [opening, text, Token("link_close", "a", -1, level=level)]


@dataclass
class _Mentions:
    known: dict[str, str]  # lower-case -> canonical spelling
    seen: dict[str, str] = field(default_factory=dict)  # lower-case -> first spelling
    links_left: int = MAX_MENTION_LINKS


def _link_mentions(children: list[Token], mentions: _Mentions) -> list[Token]:
    result: list[Token] = []
    in_link = 0
    for index, token in enumerate(children):
        if token.type == "link_open":
            in_link += 1
        elif token.type == "link_close":
            in_link -= 1
        if token.type != "text" or in_link or "@" not in token.content:
            result.append(token)
            continue
        before = _neighbour_char(children, index - 1, -1)
        after = _neighbour_char(children, index + 1, 0)
        text, cursor = token.content, 0
        for start, end, name in _find_mentions(text, before, after):
            mentions.seen.setdefault(name.lower(), name)
            canonical = mentions.known.get(name.lower())
            if canonical is None or mentions.links_left <= 0:
                continue
            mentions.links_left -= 1
            if start > cursor:
                result.append(Token("text", "", 0, content=text[cursor:start], level=token.level))
            result.extend(_mention_tokens(canonical, token.level))
            cursor = end
        if cursor == 0:
            result.append(token)
        elif cursor < len(text):
            result.append(Token("text", "", 0, content=text[cursor:], level=token.level))
    return result


def _neighbour_char(children: Sequence[Token], index: int, position: int) -> str:
    if 0 <= index < len(children) and children[index].type in ("text", "text_special"):
        content = children[index].content
        return content[position] if content else ""
    return ""


def _mentions_rule(state: StateCore) -> None:
    # Runs before text_join, while escapes ("\@") are still their own tokens.
    mentions = state.env.setdefault("mentions", _Mentions(known={}))
    for block in state.tokens:
        if block.type == "inline" and block.children:
            block.children = _link_mentions(block.children, mentions)


# --- Rendering -------------------------------------------------------------------------


def _render_link_open(self: RendererHTML, tokens: Sequence[Token], idx: int,
                      options: OptionsDict, env: EnvType) -> str:
    token = tokens[idx]
    if not _is_site_path(str(token.attrGet("href") or "")):
        token.attrSet("rel", EXTERNAL_REL)
    return self.renderToken(tokens, idx, options, env)


def _render_image(self: RendererHTML, tokens: Sequence[Token], idx: int,
                  options: OptionsDict, env: EnvType) -> str:
    # An image from elsewhere would tell its host the IP address and browser of every reader
    # (and the live event would do the same the moment a post arrives): until the site has
    # uploads of its own, every image is offered as a link instead of loaded.
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = self.renderInlineAsText(token.children or [], options, env)
    return _image_link(src, alt)


def _image_link(src: str, alt: str) -> str:
    """`src` and `alt` as text (not yet escaped)."""
    rel = "" if _is_site_path(src) else f' rel="{EXTERNAL_REL}"'
    return f'<a href="{escapeHtml(src)}"{rel}>{escapeHtml(alt or src)}</a>'


def _build_parser(*, shortcuts: bool = True) -> MarkdownIt:
    """`shortcuts=False`: the same Markdown the long way round, for tests to compare."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False,
                                   "maxNesting": MAX_NESTING})
    md.enable(["table", "strikethrough"])
    md.disable(["html_block", "html_inline"])  # no-ops with html off; skip them per line
    md.validateLink = _is_allowed_url  # type: ignore[method-assign]
    md.normalizeLink = _normalize_link  # type: ignore[method-assign]
    bounded_link, bounded_image = _bounded_link_rule(link), _bounded_link_rule(image)
    bounded_emphasis = _bounded_emphasis_rule(emphasis.tokenize, "*_", shortcuts=shortcuts)
    bounded_strikethrough = _bounded_emphasis_rule(strikethrough.tokenize, "~",
                                                   shortcuts=shortcuts)
    md.inline.ruler.at("link", bounded_link)
    md.inline.ruler.at("image", bounded_image)
    md.inline.ruler.at("emphasis", bounded_emphasis)
    md.inline.ruler.at("strikethrough", bounded_strikethrough)
    if shortcuts:
        md.inline.ruler.before("text", "dispatch", _dispatching_rule({
            "\n": [newline], "\\": [escape], "`": [backtick], "~": [bounded_strikethrough],
            "*": [bounded_emphasis], "_": [bounded_emphasis], "[": [bounded_link],
            "!": [bounded_image], "<": [autolink], "&": [entity],
        }))
    md.block.ruler.at("table", _bounded_table, {"alt": ["paragraph", "reference"]})
    md.core.ruler.after("block", "demote_headings", _demote_headings)
    md.core.ruler.after("inline", "cap_url_expansion", _cap_url_expansion)
    md.core.ruler.before("text_join", "mentions", _mentions_rule)
    md.add_render_rule("link_open", _render_link_open)
    md.add_render_rule("image", _render_image)
    return md


ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
    "sup", "sub",
})

_parser = _build_parser()
_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes={"a": {"href", "title"}, "ol": {"start"}},
    # Exact values only: rel is set by _render_link_open, never taken from the source.
    tag_attribute_values={"a": {"rel": {EXTERNAL_REL}, "class": {"mention"}}},
    link_rel=None,
    url_schemes=set(SAFE_SCHEMES),
    url_relative=lambda url: url if _is_site_path(url) else None,
    strip_comments=True,
)


def line_count(source: str) -> int:
    return source.count("\n") + 1


def _check_length(source: str) -> None:
    # The time limits above assume bounded input; forms and services enforce this first.
    if len(source) > MAX_SOURCE_LENGTH:
        raise ValueError(f"Markdown source longer than {MAX_SOURCE_LENGTH} characters")
    if line_count(source) > MAX_LINES:
        raise ValueError(f"Markdown source of more than {MAX_LINES} lines")


def extract_mentions(source: str) -> list[str]:
    """@handles outside code and links, first spelling first; source <= MAX_SOURCE_LENGTH."""
    _check_length(source)
    mentions = _Mentions(known={})
    _parser.parse(source, {"mentions": mentions})
    return list(mentions.seen.values())


def render_markdown(source: str, *, known_usernames: Collection[str] = ()) -> str:
    """Sanitised HTML; source <= MAX_SOURCE_LENGTH (ValueError otherwise)."""
    _check_length(source)
    mentions = _Mentions(known={name.lower(): name for name in known_usernames})
    return _cleaner.clean(_parser.render(source, {"mentions": mentions}))


# --- Quotes and plain text -------------------------------------------------------------

_ASCII_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def quote_markdown(*, author_name: str, post_url: str, body: str) -> str:
    name = _ASCII_PUNCTUATION.sub(r"\\\1", " ".join(author_name.split()))
    url = quote(post_url, safe="/:?#=&;%~+,@!$*'")
    lines = _LINE_BREAK.split(body)
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    quoted = [f"> **[{name}]({url}) schreef:**"]
    if lines:
        # The empty quoted line keeps the body out of the attribution's paragraph.
        quoted.append(">")
        quoted.extend(f"> {line}" if line.strip() else ">" for line in lines)
    return "\n".join(quoted) + "\n\n"


_BLOCK_TAGS = frozenset({
    "p", "br", "hr", "h3", "h4", "h5", "h6", "pre", "blockquote", "ul", "ol", "li",
    "table", "thead", "tbody", "tr", "th", "td",
})


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text_of(html: str) -> str:
    """The text of rendered post HTML, whitespace collapsed (for the search index)."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return " ".join("".join(collector.parts).split())


def render_plain_text(source: str) -> str:
    # Indexing and excerpts must not fail on a row that dodged validation (a data
    # migration, the shell): past the limit they see only the first part.
    return plain_text_of(render_markdown(source[:MAX_SOURCE_LENGTH]))
