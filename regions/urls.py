from django.urls import path

from . import views

app_name = "regions"

urlpatterns = [
    path("<slug:slug>/", views.region_detail, name="detail"),
    path("<slug:slug>/leden/", views.member_list, name="members"),
    path("<slug:slug>/lid-worden/", views.join, name="join"),
    path("<slug:slug>/verlaten/", views.leave, name="leave"),
    path("<slug:slug>/verzoek-intrekken/", views.withdraw, name="withdraw"),
    path("<slug:slug>/beheer/", views.manage, name="manage"),
    path("<slug:slug>/beheer/verzoek/<int:request_id>/", views.decide, name="decide"),
    path("<slug:slug>/beheer/lid/<int:membership_id>/rol/", views.change_role,
         name="member_role"),
    path("<slug:slug>/beheer/lid/<int:membership_id>/verwijderen/", views.remove_member,
         name="member_remove"),
]
