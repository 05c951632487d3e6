"""Logging filters named in settings.LOGGING."""

import logging

from django.core.exceptions import SuspiciousOperation


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
