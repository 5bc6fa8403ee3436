from django.urls import path

from . import views

app_name = "property"
urlpatterns = [
    path("ranking/", views.ranking, name="ranking"),
    path("ranking/export.xlsx", views.ranking_export, name="ranking_export"),
    path("mine/", views.my_company, name="my_company"),
    path("mine/export.xlsx", views.my_company_export, name="my_company_export"),
    path("companies/", views.CompanyListView.as_view(), name="company_list"),
    path("companies/export.xlsx", views.CompanyExportView.as_view(), name="company_export"),
    path("companies/<int:pk>/", views.company_detail, name="company_detail"),
    path("companies/<int:pk>/standards/", views.StandardsCheckView.as_view(), name="standards_check"),
    path("estates/", views.EstateListView.as_view(), name="estate_list"),
    path("estates/export.xlsx", views.EstateExportView.as_view(), name="estate_export"),
    path("estates/<int:pk>/", views.estate_detail, name="estate_detail"),
    path("meetings/", views.MeetingListView.as_view(), name="meeting_list"),
    path("meetings/new/", views.MeetingCreateView.as_view(), name="meeting_create"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("scores/", views.ScoreEntryView.as_view(), name="score_entry"),
    path("talks/", views.TalkListView.as_view(), name="talk_list"),
    path("talks/new/", views.TalkCreateView.as_view(), name="talk_create"),
    path("eliminations/", views.EliminationListView.as_view(), name="elimination_list"),
    path("eliminations/new/", views.EliminationCreateView.as_view(), name="elimination_create"),
    path("orgs/", views.org_list, name="org_list"),
    path("orgs/<int:pk>/", views.OrgDetailView.as_view(), name="org_detail"),
    path("memberships/<int:pk>/leave/", views.MembershipLeaveView.as_view(), name="membership_leave"),
]
