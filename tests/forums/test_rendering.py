"""Post Markdown: no active content gets through, features render, limits hold."""

import re
import time
from html.parser import HTMLParser

import pytest

from forums import rendering
from forums.rendering import (
    ALLOWED_TAGS,
    EXTERNAL_REL,
    MAX_SOURCE_LENGTH,
    extract_mentions,
    quote_markdown,
    render_markdown,
    render_plain_text,
)

ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "rel", "class"},
    "ol": {"start"},
}
EXACT_VALUES = {"rel": EXTERNAL_REL, "class": "mention"}
CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")


def url_is_safe(value: str) -> bool:
    # Browsers drop tabs/newlines anywhere in a URL and trim controls and spaces.
    url = CONTROL_OR_SPACE.sub("", value).lower()
    if url.startswith("/"):
        return not url.startswith(("//", "/\\"))
    scheme, colon, _rest = url.partition(":")
    return bool(colon) and scheme in {"http", "https", "mailto"}


class ActiveContentFinder(HTMLParser):
    """Everything in rendered HTML that is not plainly inert; attribute values arrive
    entity-decoded from HTMLParser."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            value = value or ""
            if (name.startswith("on") or name in {"style", "id"}
                    or name not in ALLOWED_ATTRIBUTES.get(tag, set())):
                self.problems.append(f"attribute {name} on <{tag}>")
            elif ((name in {"href", "src"} and not url_is_safe(value))
                  or (name in EXACT_VALUES and value != EXACT_VALUES[name])):
                self.problems.append(f"{name}={value!r}")

    def handle_comment(self, data):
        self.problems.append(f"comment {data!r}")

    def handle_decl(self, decl):
        self.problems.append(f"declaration {decl!r}")

    def handle_pi(self, data):
        self.problems.append(f"processing instruction {data!r}")

    def unknown_decl(self, data):
        self.problems.append(f"declaration {data!r}")


def active_content(html: str) -> list[str]:
    finder = ActiveContentFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


def tags(html: str) -> list[str]:
    return re.findall(r"<([a-z0-9]+)", html)


XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<style>body{display:none}</style>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"https://evil.example/x.swf\">",
    "<form action=\"https://evil.example\"><button>Log in</button></form>",
    "<input onfocus=alert(1) autofocus>",
    "<details open ontoggle=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<base href=\"https://evil.example/\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<link rel=stylesheet href=https://evil.example/x.css>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<!-- x --><script>alert(1)</script>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;&#x61;vascript:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](java&#x09;script:alert(1))",
    "[x](java&#10;script:alert(1))",
    "[x](  javascript:alert(1))",
    "[x](\x01javascript:alert(1))",
    "[x](%6Aavascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](javascript:alert(1) \"title\")",
    "[x](\\javascript:alert(1))",
    "[x](ｊavascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](data:image/svg+xml,<svg onload=alert(1)>)",
    "[x](vbscript:msgbox(1))",
    "[x](file:///etc/passwd)",
    "![x](javascript:alert(1))",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "![x](http://evil.example/pixel.png)",
    "<javascript:alert(1)>",
    "<vbscript:msgbox(1)>",
    "[x]: javascript:alert(1)\n\n[x]",
    "[x][ref]\n\n[ref]: JAVASCRIPT:alert(1) \"t\"",
    "![x][img]\n\n[img]: data:image/gif;base64,R0lGODlh",
    "[x](https://a.example \"\\\" onmouseover=alert(1) x=\\\"\")",
    "[x](https://a.example/\"onmouseover=\"alert(1))",
    "<https://a.example/\"onclick=\"alert(1)>",
    "![x\" onerror=\"alert(1)](https://a.example/x.png)",
    "[<img src=x onerror=alert(1)>](https://a.example)",
    "```\"><script>alert(1)</script>\ncode\n```",
    "`<script>alert(1)</script>`",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "\\<script>alert(1)\\</script>",
    "@<script>alert(1)</script>",
    "[x](//evil.example)",
    "[x](/\\evil.example)",
]

# The same payload must stay inert wherever Markdown puts it.
CONTEXTS = ["{}", "> {}", "- {}", "# {}", "*{}*", "| a |\n|---|\n| {} |", "> - > {}"]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_payload_renders_without_active_content(payload):
    for context in CONTEXTS:
        source = context.format(payload)
        html = render_markdown(source, known_usernames=["script"])
        assert active_content(html) == [], (source, html)


@pytest.mark.parametrize("html", [
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href=" &#1;JavaScript:alert(1)">x</a>',
    '<a href="//evil.example">x</a>',
    '<a href="data:text/html,x">x</a>',
    '<a href="x" rel="opener">x</a>',
    '<img src="http://a.example/x.png">',
    '<img src="https://a.example/x.png" onerror="alert(1)">',
    '<p style="color:red">x</p>',
    '<p id="x">x</p>',
    '<span>x</span>',
    '<!-- x -->',
])
def test_the_checker_itself_flags_active_content(html):
    assert active_content(html) != []


def test_the_corpus_is_big_enough():
    assert len(XSS_PAYLOADS) >= 30


@pytest.mark.parametrize("snippet", [
    "<script>alert(1)</script>",
    "<a href=\"javascript:alert(1)\" onclick=\"x()\" rel=\"opener\" class=\"evil\">x</a>",
    "<a href=\"//evil.example\">x</a>",
    "<img src=\"http://evil.example/x.png\" onerror=\"alert(1)\" loading=\"eager\">",
    "<p id=\"main\" style=\"color:red\">x</p>",
    "<h1>x</h1><iframe src=\"https://evil.example\"></iframe>",
    "<!-- comment -->",
])
def test_the_sanitiser_catches_what_markdown_should_never_emit(snippet):
    # Defence in depth: if the parser ever let raw HTML through, nh3 still holds.
    assert active_content(rendering._cleaner.clean(snippet)) == []


# --- Features ----------------------------------------------------------------------------

def test_tables_render_without_inline_styles():
    html = render_markdown("| Gemeente | Inwoners |\n|:--|--:|\n| Ede | 120000 |")
    assert "<table>" in html and "<th>Gemeente</th>" in html and "<td>120000</td>" in html
    assert "style" not in html


def test_strikethrough_renders():
    assert render_markdown("~~oud~~ nieuw").strip() == "<p><s>oud</s> nieuw</p>"


def test_fenced_code_stays_escaped_and_loses_its_language_class():
    html = render_markdown("```html\n<b onclick=\"x()\">vet</b>\n```")
    assert "<pre><code>&lt;b onclick=\"x()\"&gt;vet&lt;/b&gt;\n</code></pre>" in html


def test_headings_are_demoted_below_the_page_headings():
    html = render_markdown("# Een\n\n## Twee\n\n### Drie\n\n###### Zes")
    assert tags(html) == ["h3", "h4", "h5", "h6"]


def test_ordered_lists_keep_their_start_number():
    assert '<ol start="3">' in render_markdown("3. drie\n4. vier")


def test_emphasis_and_plain_paragraphs_render_as_expected():
    assert render_markdown("Begin *klein*").strip() == "<p>Begin <em>klein</em></p>"


def test_nul_bytes_do_not_crash():
    html = render_markdown("a\x00b\x00")
    assert "\x00" not in html and "a\ufffdb" in html
    assert extract_mentions("\x00@anna\x00") == ["anna"]


def test_sources_longer_than_the_limit_are_refused():
    with pytest.raises(ValueError):
        render_markdown("a" * (MAX_SOURCE_LENGTH + 1))
    with pytest.raises(ValueError):
        render_markdown("|\n" * 2_001)  # over MAX_LINES: forms and services say so first


# --- Links and images --------------------------------------------------------------------

def link_rels(html: str) -> dict[str, str]:
    """href -> rel ("" for none) of every link."""
    return dict(re.findall(r'<a href="([^"]*)"(?: rel="([^"]*)")?>', html))


def test_external_links_get_rel_and_site_links_do_not():
    html = render_markdown(
        "[a](https://a.example/x) [b](/bericht/12/) [c](//evil.example) <https://d.example> "
        "[e](mailto:info@example.nl) [f](http://f.example)")
    assert link_rels(html) == {
        "https://a.example/x": EXTERNAL_REL,
        "/bericht/12/": "",
        "https://evil.example": EXTERNAL_REL,
        "https://d.example": EXTERNAL_REL,
        "mailto:info@example.nl": EXTERNAL_REL,
        "http://f.example": EXTERNAL_REL,
    }


def test_relative_links_other_than_site_paths_stay_text():
    html = render_markdown("[a](#anker) [b](pad/x) [c](?q=1)")
    assert "<a" not in html and "[a](#anker)" in html


@pytest.mark.parametrize("src", ["https://evil.example/pixel.gif?u=x",
                                 "http://kaart.example/ede.png", "//evil.example/p.gif"])
def test_images_from_elsewhere_become_links_that_load_nothing(src):
    html = render_markdown(f'![Kaart]({src} "Ede") en ![]({src})')
    href = "https:" + src if src.startswith("//") else src
    assert "<img" not in html
    link = f'<a href="{href}" rel="{EXTERNAL_REL}">'
    assert html == f"<p>{link}Kaart</a> en {link}{href}</a></p>\n"


def test_images_on_this_site_become_plain_links_too():
    # Until uploads exist nothing on the site is a post image; a site path is a link.
    html = render_markdown("![Kaart](/media/ede.png)")
    assert html == '<p><a href="/media/ede.png">Kaart</a></p>\n'


def test_img_tags_are_not_on_the_allow_list_at_all():
    assert "img" not in ALLOWED_TAGS
    assert "<img" not in render_markdown("![a *b*](https://a.example/x.png)\n\n"
                                         "[![c](https://a.example/c.png)](https://a.example)")


def test_a_reference_bomb_is_capped():
    url = "https://x.example/" + "a" * 1900
    html = render_markdown(f"[a]: {url}\n\n" + "[a] " * 3000)
    assert html.count(url) * len(url) <= rendering.MAX_URL_CHARS
    assert len(html) < 100_000


# --- Mentions ----------------------------------------------------------------------------

def test_mentions_come_in_order_of_first_appearance_deduplicated_case_insensitively():
    assert extract_mentions("@Bob en @anna, later @bob en @ANNA en @carla") == \
        ["Bob", "anna", "carla"]


@pytest.mark.parametrize("source", [
    "`@anna`",
    "```\n@anna\n```",
    "    @anna in een codeblok",
    "[@anna](/profiel/anna/)",
    "<mailto:anna@example.nl>",
    "mail anna@example.nl",
    "zie https://mastodon.example/@anna en www.example.nl/?u=@anna",
    "\\@anna",
    "@anna@example.nl",
    "![@anna](https://a.example/x.png)",
])
def test_mentions_are_not_found_in_code_links_urls_or_addresses(source):
    assert extract_mentions(source) == []


@pytest.mark.parametrize("source, expected", [
    ("@anna.", ["anna"]),
    ("@anna-.", ["anna"]),
    ("@j.de-vries, kijk", ["j.de-vries"]),
    ("@anna_b_", ["anna_b_"]),
    ("(@anna) **@bob** _@carla_", ["anna", "bob", "carla"]),
    ("# @anna\n\n| @bob |\n|-|\n| @carla |", ["anna", "bob", "carla"]),
    ("@anna: klopt dit?", ["anna"]),
])
def test_mention_handles_end_before_trailing_punctuation(source, expected):
    assert extract_mentions(source) == expected


def test_known_mentions_link_to_the_profile_in_canonical_spelling():
    html = render_markdown("Hoi @ANNA en @niemand", known_usernames=["Anna"])
    assert '<a class="mention" href="/profiel/Anna/">@Anna</a>' in html
    assert "@niemand" in html and "/profiel/niemand/" not in html


def test_mentions_in_code_and_link_text_are_not_linked():
    html = render_markdown("`@anna` [@anna](https://a.example)", known_usernames=["anna"])
    assert 'class="mention"' not in html


def test_mention_links_are_capped_per_post():
    html = render_markdown("@anna " * 500, known_usernames=["anna"])
    assert html.count('class="mention"') == rendering.MAX_MENTION_LINKS


# --- Quotes ------------------------------------------------------------------------------

def test_quote_markdown_attributes_and_prefixes_every_line():
    assert quote_markdown(author_name="Anna de Vries", post_url="/bericht/12/",
                          body="Eerste regel\r\n\r\nTweede regel\n") == (
        "> **[Anna de Vries](/bericht/12/) schreef:**\n"
        ">\n"
        "> Eerste regel\n"
        ">\n"
        "> Tweede regel\n\n")


def test_a_rendered_quote_links_to_the_post_and_keeps_nested_quotes():
    body = "Mee eens.\n\n> **[Bob](/bericht/3/) schreef:**\n>\n> Eerder punt"
    html = render_markdown(quote_markdown(author_name="Anna de Vries", post_url="/bericht/12/",
                                          body=body))
    assert html.startswith("<blockquote>")
    assert '<strong><a href="/bericht/12/">Anna de Vries</a> schreef:</strong>' in html
    assert tags(html).count("blockquote") == 2
    nested = html.index("<blockquote>", 1)
    assert html.index("Mee eens.") < nested < html.index("Eerder punt")


def test_quote_markdown_escapes_the_author_name():
    source = quote_markdown(author_name="*Anna* [x](javascript:alert(1)) @bob",
                            post_url="/bericht/12/", body="Hoi")
    html = render_markdown(source, known_usernames=["bob"])
    assert "<em>" not in html and 'class="mention"' not in html
    assert "*Anna* [x](javascript:alert(1)) @bob</a> schreef:" in html
    assert active_content(html) == []


# --- Plain text --------------------------------------------------------------------------

def test_plain_text_of_an_overlong_source_covers_its_first_part():
    text = render_plain_text("woord " * MAX_SOURCE_LENGTH)
    assert text.startswith("woord woord") and len(text) <= MAX_SOURCE_LENGTH


def test_plain_text_is_the_collapsed_text_content():
    source = "# Kop\n\nHallo *wereld* &amp; co\n\n- een\n- twee\n\n|a|b|\n|-|-|\n|1|2|\n\n`x<y`"
    assert render_plain_text(source) == "Kop Hallo wereld & co een twee a b 1 2 x<y"


# --- Pathological input ------------------------------------------------------------------

PATHOLOGICAL = {
    "nested quotes": "> " * 10_000,
    "nested quotes, no spaces": ">" * 20_000,
    "nested brackets": "[" * 10_000 + "a" + "]" * 9_999,
    "open brackets": "[" * 20_000,
    "nested brackets into links": "[" * 9_999 + "a" + "](/)" * 2_500,
    "open images": "![" * 10_000,
    "emphasis run": "*" * 20_000,
    "emphasis runs": "*a" * 10_000,
    "mixed emphasis": "*a**" * 5_000,
    "underscore runs": "_a" * 10_000,
    "strikethrough runs": "~~a" * 6_666,
    "single tildes": "~a" * 10_000,
    "inert punctuation": "]" * 20_000,
    "nested lists": "- " * 10_000,
    # At the line cap (rendering.MAX_LINES): more lines are refused before any parsing.
    "wide table, many empty rows": "|a" * 3_000 + "|\n" + "|-" * 3_000 + "|\n" + "x\n" * 1_997,
    "table at the column cap, many rows": "|a" * 30 + "|\n" + "|-" * 30 + "|\n" + "|\n" * 1_997,
    "backtick runs": "".join("`" * i + "a" for i in range(1, 198)),
    "unclosed link destinations": "[a](b" * 4_000,
    "angle brackets": "<" * 20_000,
    "entity starts": "&#" * 10_000,
    "reference bomb": "[a]: https://x.example/" + "a" * 1_900 + "\n\n" + "[a]" * 6_000,
    "mention flood": "@anna " * 3_333,
}
# Not a speed target (that is 200 ms, measured by `make bench`, bench/render.py): a guard that
# fails on super-linear blow-ups (which take seconds to minutes), not on a busy machine.
BLOWUP_GUARD = 2.0


def best_render_time(source: str) -> float:
    # Best of three: the property is the algorithm's cost, not a busy machine's jitter.
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        render_markdown(source, known_usernames=["anna"])
        timings.append(time.perf_counter() - start)
    return min(timings)


@pytest.mark.parametrize("source", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_input_has_no_runaway_cost(source):
    assert len(source) <= MAX_SOURCE_LENGTH
    assert best_render_time(source) < BLOWUP_GUARD


@pytest.mark.parametrize("source", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_input_stays_inert_and_bounded(source):
    html = render_markdown(source, known_usernames=["anna"])
    assert active_content(html) == []
    assert len(html) < 20 * MAX_SOURCE_LENGTH


def test_nesting_is_capped():
    html = render_markdown("> " * 9_000 + "diep")
    assert html.count("<blockquote>") <= rendering.MAX_NESTING


def test_huge_tables_are_capped():
    html = render_markdown("|a" * 30 + "|\n" + "|-" * 30 + "|\n" + "|\n" * 1_997)
    assert html.count("<td>") <= rendering.MAX_TABLE_CELLS


def test_emphasis_runs_past_the_cap_stay_plain_text():
    html = render_markdown("*a* " * 4_000)
    assert html.count("<em>") == rendering.MAX_EMPHASIS_RUNS // 2
    assert "*a*" in html  # the rest, as typed
    assert render_markdown("~~weg~~ en *schuin*") == \
        "<p><s>weg</s> en <em>schuin</em></p>\n"


def test_long_real_posts_keep_their_emphasis():
    html = render_markdown("my_var_name " * 500 + "See **this** and *that*.")
    assert "<strong>this</strong>" in html and "<em>that</em>" in html
    html = render_markdown("".join(f"- **Punt {n}:** tekst\n" for n in range(520)))
    assert html.count("<strong>") == 520


def test_unclosed_link_destinations_stay_text_and_later_links_still_work():
    html = render_markdown("[a](b" * 3_000 + " [echt](https://example.org/)")
    assert html.count("<a ") == 1 and 'href="https://example.org/"' in html
    # Without a ")" the label can still be a reference link.
    html = render_markdown("[a](b\n\n[a]: https://example.org/ref")
    assert 'href="https://example.org/ref"' in html


# --- Shortcuts change nothing ------------------------------------------------------------

# What Markdown is made of: every character that ends plain text, and pieces of syntax.
MARKDOWN_PIECES = list("\n!#$%&*+-:<=>@[\\]^_`{}~ aé1") + [
    "**", "__", "~~", "](", "](/x)", "](https://a.example)", "![", "<https://a.example>",
    "&amp;", "&#", "&#x41;", "`", "```", "@anna", "snake_case", "a_b", "*a*", "_a_", "\n\n",
    "> ", "- ", "1. ", "# ", "|a|b|\n|-|-|\n", "\\*", "[a]: /ref\n", "[a]", "http://x.nl ",
]


def test_the_shortcuts_render_exactly_what_the_long_way_round_renders():
    import random

    long_way = rendering._build_parser(shortcuts=False)
    chance = random.Random(11)
    for _ in range(3_000):
        source = "".join(chance.choice(MARKDOWN_PIECES) for _ in range(chance.randint(1, 60)))
        env = {"mentions": rendering._Mentions(known={"anna": "anna"})}
        expected = rendering._cleaner.clean(long_way.render(source, env))
        assert render_markdown(source, known_usernames=["anna"]) == expected, source


@pytest.mark.parametrize(("source", "most_scans"), [
    ("_a" * 10_000, 2),  # like snake_case: only the first "_" (it may open) is scanned
    ("~a" * 10_000, 0),  # a single "~" strikes nothing
    ("*a" * 10_000, 2 * rendering.MAX_EMPHASIS_RUNS),
    ("~~a" * 6_666, 2 * rendering.MAX_EMPHASIS_RUNS),
    ("*a**" * 5_000, 2 * rendering.MAX_EMPHASIS_RUNS),
    ("a _ " * 5_000, 5_000),  # "_" between spaces: looked at once each, then text
])
def test_emphasis_work_is_capped_whatever_the_runs(monkeypatch, source, most_scans):
    from markdown_it.rules_inline import StateInline

    scans = []
    real_scan = StateInline.scanDelims

    def counting_scan(self, start, can_split_word):
        scans.append(start)
        return real_scan(self, start, can_split_word)

    monkeypatch.setattr(StateInline, "scanDelims", counting_scan)
    render_markdown(source)
    assert len(scans) <= most_scans
