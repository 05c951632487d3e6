"""Admin helpers several apps share."""


class ShownNotChanged:
    """An admin (or inline) that shows rows and never adds, changes or deletes them: for data
    that only its app's services may write (they check the actor, audit and announce)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
