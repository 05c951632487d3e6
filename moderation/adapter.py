"""Where moderation comes into the forums' and regions' rules (settings.PARTICIPATION_ADAPTER):
a suspended member does not take part, a suspended region moderator does not moderate there,
and a new member's first posts wait for approval."""

from forums.models import Forum
from forums.permissions import ParticipationAdapter

from . import approvals, permissions


class ModerationParticipation(ParticipationAdapter):
    def barred(self, user, region_id: int | None) -> str | None:
        return permissions.participation_barred(user, region_id)

    def forget(self, user) -> None:
        permissions.forget_memo(user)

    def moderator_paused(self, user, region_id: int) -> bool:
        return permissions.paused_by_suspension(user, region_id)

    def must_wait(self, user, forum: Forum) -> bool:
        return approvals.must_wait(user, forum)
