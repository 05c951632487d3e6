"""System checks for settings that only work together."""

from django.conf import settings
from django.core.checks import Warning, register


@register()
def http_threads_within_database_pool(app_configs, **kwargs):
    """Each of a gunicorn worker's HTTP_THREADS threads may hold a database connection while it
    works; with more threads than pooled connections, a request would wait for one."""
    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
    if not isinstance(pool, dict) or "max_size" not in pool:
        return []
    if pool["max_size"] >= settings.HTTP_THREADS:
        return []
    return [Warning(
        f"HTTP_THREADS ({settings.HTTP_THREADS}) is above DB_POOL_MAX "
        f"({pool['max_size']}).",
        hint="Lower HTTP_THREADS or raise DB_POOL_MAX (docs/deploy.md, connections).",
        id="community.W001",
    )]
