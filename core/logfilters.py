"""Logging filters named in settings.LOGGING."""

import logging

from django.core.exceptions import SuspiciousOperation
from django.db.utils import InterfaceError, OperationalError


class SuspiciousRequestAsWarning(logging.Filter):
    """Django logs every SuspiciousOperation (2,000 form fields, a body too big, a forged Host
    header) on django.security.<name> at ERROR with its traceback. The visitor already got
    the right 400; for an operator it is a client's mistake or a probe, not a fault in our
    code: one WARNING line, no traceback. Anything else on django.security passes unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc_info = record.exc_info
        if exc_info and isinstance(exc_info[1], SuspiciousOperation):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info, record.exc_text = None, None
        return True


class DatabaseAwayAsWarning(logging.Filter):
    """A request answered 503 because the database was away (community.views.server_error):
    during a PostgreSQL restart that is every request for some seconds, each of which Django
    logs at ERROR with the same traceback. One WARNING line each says it; a real 500 keeps its
    traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc_info = record.exc_info
        if (getattr(record, "status_code", None) == 503 and exc_info
                and isinstance(exc_info[1], (OperationalError, InterfaceError))):
            first_line = (str(exc_info[1]).strip().splitlines() or [""])[0]
            record.msg, record.args = "%s (database unavailable: %s)", (record.getMessage(),
                                                                        first_line)
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info, record.exc_text = None, None
        return True
