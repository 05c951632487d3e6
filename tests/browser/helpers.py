"""Small helpers for the browser tests."""

import re
import time

import pyotp
from django.utils import translation
from django.utils.translation import gettext, pgettext


def tr(message: str, language: str = "nl", **values) -> str:
    """The site's text for `message` in `language`, from the same catalogues the server uses:
    the tests then find elements by their visible names without copying translations."""
    with translation.override(language):
        text = gettext(message)
    return text % values if values else text


def label(message: str, language: str = "nl") -> re.Pattern:
    """A form field's accessible name: its label, optionally followed by the "(required)"
    marker of templates/_partials/field.html, and nothing else."""
    with translation.override(language):
        text, required = gettext(message), pgettext("form field", "required")
    return re.compile(rf"^{re.escape(text)}(\s*\({re.escape(required)}\))?$")


def totp_code(secret: str) -> str:
    """A current TOTP code that stays valid for at least 5 more seconds (allauth accepts only
    the current 30-second step)."""
    totp = pyotp.TOTP(secret)
    if totp.interval - time.time() % totp.interval < 5:
        time.sleep(totp.interval - time.time() % totp.interval + 0.1)
    return totp.now()


# --- Live pages --------------------------------------------------------------------------------

LIVE_WITHIN_MS = 2000  # how soon a change must show on the other open pages


def mark_page(page) -> None:
    """A flag on this document: still there later means the page was never reloaded."""
    page.evaluate("window.liveTestNoReload = true")


def assert_not_reloaded(page) -> None:
    assert page.evaluate("window.liveTestNoReload === true"), "the page was reloaded"


# --- Accessibility (axe-core, with the `axe` fixture) ------------------------------------------

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
LANGUAGES = ["nl", "en"]


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}\n  {v['helpUrl']}")
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"    * {target}\n      {node['html'][:200]}")
            summary = node.get("failureSummary", "").replace("\n", "\n        ")
            if summary:
                lines.append(f"        {summary}")
    return "\n".join(lines)


def assert_no_axe_violations(axe, page, language: str) -> None:
    """The WCAG 2.1 A and AA rules find nothing on the page as it is now; a failure lists
    each violation with the rule, its impact, what it means and the elements it found."""
    violations = axe.run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, (
        f"{len(violations)} axe violation(s) on {page.url} ({language}):\n"
        + format_violations(violations)
    )


def anonymous_at(url):
    """A page setup for the axe tests: `url` (or `url(scene)`), visited logged out."""
    return lambda scene, page, log_in: url(scene) if callable(url) else url


def logged_in_as(who, url):
    """A page setup for the axe tests: `url` (or `url(scene)`), visited as the scene's `who`."""
    def setup(scene, page, log_in):
        log_in(page.context, getattr(scene, who))
        return url(scene) if callable(url) else url
    return setup
