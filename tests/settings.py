"""The site's own settings, served over plain http as in `make run`, with a quick password
hasher. The SQLite test database is a file so the daphne process of the browser tests sees it."""

import os

os.environ.setdefault("LOCAL_HTTP", "1")

from community.settings import *  # noqa: E402,F403
from community.settings import DATABASES, VAR_DIR  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A clean clone has no var/ yet; SQLite cannot create the file's directory itself.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}

# Tasks run in-process right after commit, on every database, so a test sees its notifications;
# the tests of the durable queue switch to the database backend and run the real worker.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# Off unless a test switches them on (tests/moderation/test_approvals.py, tests/forums/
# test_ratelimits.py): most tests build many posts by fresh members in a moment.
FORUM_POSTS_PER_MINUTE = 0
FORUM_NEW_ACCOUNT_THREADS_PER_HOUR = 0
MODERATION_NEW_MEMBER_GUARD = False

# {% once %}: a name a block uses but is not passed is an error (core/templatetags/fragments.py).
ONCE_STRICT = True
