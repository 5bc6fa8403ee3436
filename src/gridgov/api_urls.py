from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from gridgov.areas.api import AreaViewSet
from gridgov.datahub.api import BatchViewSet as DatahubBatchViewSet
from gridgov.datahub.api import FindingViewSet as DatahubFindingViewSet
from gridgov.datahub.api import RunViewSet as DatahubRunViewSet
from gridgov.emergency.api import (
    ActivationViewSet,
    EmployerViewSet,
    MyPostViewSet,
    ReadinessViewSet,
    ResponderViewSet,
    WorkGroupViewSet,
)
from gridgov.events.api import CategoryViewSet, EventViewSet, GridCouncilViewSet, PatrolLogViewSet
from gridgov.facilities.api import (
    BuildingAccessViewSet,
    CandidateSiteViewSet,
    CircleViewSet,
    FacilityViewSet,
    WalkNetworkViewSet,
)
from gridgov.party.api import (
    BuildingLeaderViewSet,
    CentralHouseholdViewSet,
    DualServiceViewSet,
    GridFundViewSet,
    MutualAidGroupViewSet,
    PartyCheckViewSet,
    PartyFiguresViewSet,
    PartyMemberViewSet,
    PartyOrgViewSet,
)
from gridgov.people.api import CorrectionViewSet, HouseholdViewSet, JobViewSet, ResidentViewSet, TagViewSet
from gridgov.points.api import (
    AccountViewSet,
    ActivityViewSet,
    GridScoreRuleViewSet,
    MerchantViewSet,
    MeViewSet,
    MonthCloseViewSet,
    ParticipationViewSet,
    RedemptionViewSet,
    RuleViewSet,
    ScenarioViewSet,
    StaffAwardViewSet,
    TransactionViewSet,
)
from gridgov.property.api import (
    CompanyWriteViewSet,
    EliminationViewSet,
    EstateWriteViewSet,
    MembershipViewSet,
    RankingViewSet,
    RoundTableViewSet,
    ScoreViewSet,
    StandardsCheckViewSet,
    TalkViewSet,
)
from gridgov.reports.api import ReportIndicatorViewSet
from gridgov.reports.cockpit_api import CockpitViewSet
from gridgov.reports.workreport_api import WorkReportViewSet
from gridgov.workforce.api import (
    CompetitionViewSet,
    GridAssignmentViewSet,
    GridLinkViewSet,
    PayrollViewSet,
    PresentationViewSet,
    SalaryScaleViewSet,
    SalonViewSet,
    StaffViewSet,
    StudioViewSet,
    TrainingViewSet,
    WorkforceCheckViewSet,
    WorkforceFiguresViewSet,
)

router = DefaultRouter()
router.register("areas", AreaViewSet, basename="area")
router.register("households", HouseholdViewSet, basename="household")
router.register("residents", ResidentViewSet, basename="resident")
router.register("corrections", CorrectionViewSet, basename="correction")
router.register("tags", TagViewSet, basename="tag")
router.register("jobs", JobViewSet, basename="job")
router.register("facilities", FacilityViewSet, basename="facility")
router.register("facility-candidates", CandidateSiteViewSet, basename="candidatesite")
router.register("walk-networks", WalkNetworkViewSet, basename="walknetwork")
router.register("building-access", BuildingAccessViewSet, basename="buildingaccess")
router.register("circle", CircleViewSet, basename="circle")

router.register("party/orgs", PartyOrgViewSet, basename="party-org")
router.register("party/members", PartyMemberViewSet, basename="party-member")
router.register("party/central-households", CentralHouseholdViewSet, basename="party-central")
router.register("party/leaders", BuildingLeaderViewSet, basename="party-leader")
router.register("party/dual-services", DualServiceViewSet, basename="party-dual-service")
router.register("party/mutual-aid-groups", MutualAidGroupViewSet, basename="party-aid-group")
router.register("party/grid-funds", GridFundViewSet, basename="party-grid-fund")
router.register("party/checks", PartyCheckViewSet, basename="party-check")
router.register("party/figures", PartyFiguresViewSet, basename="party-figures")
router.register("workforce/staff", StaffViewSet, basename="wf-staff")
router.register("workforce/grid-assignments", GridAssignmentViewSet, basename="wf-assignment")
router.register("workforce/grid-links", GridLinkViewSet, basename="wf-gridlink")
router.register("workforce/trainings", TrainingViewSet, basename="wf-training")
router.register("workforce/competitions", CompetitionViewSet, basename="wf-competition")
router.register("workforce/presentations", PresentationViewSet, basename="wf-presentation")
router.register("workforce/studios", StudioViewSet, basename="wf-studio")
router.register("workforce/salons", SalonViewSet, basename="wf-salon")
router.register("workforce/payrolls", PayrollViewSet, basename="wf-payroll")
router.register("workforce/salary-scales", SalaryScaleViewSet, basename="wf-scale")
router.register("workforce/checks", WorkforceCheckViewSet, basename="wf-check")
router.register("workforce/figures", WorkforceFiguresViewSet, basename="wf-figures")
router.register("events/categories", CategoryViewSet, basename="event-category")
router.register("events/patrols", PatrolLogViewSet, basename="event-patrol")
router.register("events/councils", GridCouncilViewSet, basename="event-council")
router.register("events", EventViewSet, basename="event")
router.register("property/companies", CompanyWriteViewSet, basename="property-company")
router.register("property/estates", EstateWriteViewSet, basename="property-estate")
router.register("property/talks", TalkViewSet, basename="property-talk")
router.register("property/eliminations", EliminationViewSet, basename="property-elimination")
router.register("property/meetings", RoundTableViewSet, basename="property-meeting")
router.register("property/scores", ScoreViewSet, basename="property-score")
router.register("property/ranking", RankingViewSet, basename="property-ranking")
router.register("property/standards-checks", StandardsCheckViewSet, basename="property-standards-check")
router.register("property/memberships", MembershipViewSet, basename="property-membership")
router.register("points/accounts", AccountViewSet, basename="points-account")
router.register("points/transactions", TransactionViewSet, basename="points-transaction")
router.register("points/merchants", MerchantViewSet, basename="points-merchant")
router.register("points/scenarios", ScenarioViewSet, basename="points-scenario")
router.register("points/redemptions", RedemptionViewSet, basename="points-redemption")
router.register("points/activities", ActivityViewSet, basename="points-activity")
router.register("points/participations", ParticipationViewSet, basename="points-participation")
router.register("points/rules", RuleViewSet, basename="points-rule")
router.register("points/staff-awards", StaffAwardViewSet, basename="points-award")
router.register("points/me", MeViewSet, basename="points-me")
router.register("points/month-closes", MonthCloseViewSet, basename="points-monthclose")
router.register("points/grid-rules", GridScoreRuleViewSet, basename="points-gridrule")
router.register("emergency/employers", EmployerViewSet, basename="emergency-employer")
router.register("emergency/responders", ResponderViewSet, basename="emergency-responder")
router.register("emergency/groups", WorkGroupViewSet, basename="emergency-group")
router.register("emergency/readiness", ReadinessViewSet, basename="emergency-readiness")
router.register("emergency/activations", ActivationViewSet, basename="emergency-activation")
router.register("emergency/my-posts", MyPostViewSet, basename="emergency-my-post")
router.register("datahub/batches", DatahubBatchViewSet, basename="datahub-batch")
router.register("datahub/runs", DatahubRunViewSet, basename="datahub-run")
router.register("datahub/findings", DatahubFindingViewSet, basename="datahub-finding")
router.register("reports/indicators", ReportIndicatorViewSet, basename="report-indicators")
router.register("reports/work-reports", WorkReportViewSet, basename="report-work-report")
router.register("reports/cockpit", CockpitViewSet, basename="report-cockpit")

urlpatterns = [
    path("", include(router.urls)),
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # the split view serves its start-up script as a file: the pages' CSP allows no inline script
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
]
