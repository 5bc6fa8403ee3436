from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from gridgov.areas.api import AreaViewSet
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
    PartyCheckViewSet,
    PartyFiguresViewSet,
    PartyMemberViewSet,
    PartyOrgViewSet,
)
from gridgov.people.api import HouseholdViewSet, JobViewSet, ResidentViewSet, TagViewSet
from gridgov.workforce.api import (
    CompetitionViewSet,
    GridAssignmentViewSet,
    PayrollViewSet,
    PresentationViewSet,
    SalaryScaleViewSet,
    StaffViewSet,
    TrainingViewSet,
    WorkforceCheckViewSet,
    WorkforceFiguresViewSet,
)

router = DefaultRouter()
router.register("areas", AreaViewSet, basename="area")
router.register("households", HouseholdViewSet, basename="household")
router.register("residents", ResidentViewSet, basename="resident")
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
router.register("party/checks", PartyCheckViewSet, basename="party-check")
router.register("party/figures", PartyFiguresViewSet, basename="party-figures")
router.register("workforce/staff", StaffViewSet, basename="wf-staff")
router.register("workforce/grid-assignments", GridAssignmentViewSet, basename="wf-assignment")
router.register("workforce/trainings", TrainingViewSet, basename="wf-training")
router.register("workforce/competitions", CompetitionViewSet, basename="wf-competition")
router.register("workforce/presentations", PresentationViewSet, basename="wf-presentation")
router.register("workforce/payrolls", PayrollViewSet, basename="wf-payroll")
router.register("workforce/salary-scales", SalaryScaleViewSet, basename="wf-scale")
router.register("workforce/checks", WorkforceCheckViewSet, basename="wf-check")
router.register("workforce/figures", WorkforceFiguresViewSet, basename="wf-figures")

urlpatterns = [
    path("", include(router.urls)),
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
]
