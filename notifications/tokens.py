"""Signed one-click unsubscribe tokens: who and which kind, no login needed, no database row."""

from django.core import signing

SALT = "notifications.unsubscribe"
MAX_AGE = 90 * 24 * 3600  # a mail from last quarter still unsubscribes


def make(user_id: int, kind: str) -> str:
    return signing.dumps({"u": user_id, "k": kind}, salt=SALT, compress=True)


def read(token: str) -> tuple[int, str] | None:
    """(user id, kind), or None for a token that was tampered with or is too old."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is a BadSignature too
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) \
            or not isinstance(data.get("k"), str):
        return None
    return data["u"], data["k"]
