"""Generic page views: a scoped, filtered, paginated list (with an xlsx hook) and a form that calls a service.

The page counterparts of core/api.py, for the same rules: the class-level queryset is narrowed with
`visible_to(request.user)`; filter and form choices over scoped models only offer what the user may see;
every write is a service call with the acting user, and a refused one (ServiceError) is shown on the form.

    class HouseholdListView(ScopedListView):
        permission_required = "people.view_household"
        queryset = Household.objects.filter(is_active=True).select_related("unit__parent")
        filterset_class = HouseholdFilter
        template_name = "people/household_list.html"

    class HouseholdCreateView(ServiceFormView):
        permission_required = "people.add_household"
        form_class = HouseholdForm
        template_name = "people/household_form.html"

        def run_service(self, actor, data):
            return services.create_household(actor, unit=data["unit"], number=data["number"])

        def get_success_url(self):
            return reverse("people:household_detail", args=[self.result.pk])

    class HouseholdDetailView(ScopedDetailView):
        permission_required = "people.view_household"
        queryset = Household.objects.select_related("unit")
        context_object_name = "household"
        template_name = "people/household_detail.html"
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import DetailView, FormView, ListView

from .api_fields import in_scope_of, scope_filterset
from .scope import OutOfScope
from .services import ServiceError
from .views import xlsx_response


def page_of(request, items, per_page: int = 30):
    """The requested page of `items`: a bad or past-the-end `?page=` gives the nearest page, never a 404."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def query_without_page(request) -> str:
    """The query string minus `page`, for the pager's links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def scope_form(form: forms.BaseForm, user) -> forms.BaseForm:
    """Choice fields over scoped models offer only what `user` may see (an id outside is "not a valid choice")."""
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField):
            field.queryset = in_scope_of(field.queryset, user)
    return form


class ScopedPageMixin(PermissionRequiredMixin):
    """Login and permission: anonymous users go to the login page, users without the permission get 403."""

    raise_exception = False  # Django then redirects only anonymous users; the others get 403


class ScopedListView(ScopedPageMixin, ListView):
    """A list page: class-level `queryset`, `filterset_class`, `paginate_by`; `?format=xlsx` calls `export`.

    Context: `filter` (the FilterSet; an invalid value shows its error and no rows), `page` (the current
    page), `querystring` (for the pager). An htmx request (HX-Request) renders `partial_template_name`.
    """

    filterset_class: Any = None
    paginate_by = 30
    partial_template_name: str | None = None
    export_permission: str | None = None
    export_filename = "export.xlsx"

    def get_queryset(self):
        qs = in_scope_of(super().get_queryset(), self.request.user)
        self.filterset = None
        if self.filterset_class is not None:
            self.filterset = scope_filterset(
                self.filterset_class(self.request.GET or None, queryset=qs, request=self.request),
                self.request.user,
            )
            # An invalid value (an id outside the user's area, `abc`) never widens the list: no rows.
            qs = self.filterset.qs if self.filterset.is_valid() or not self.filterset.is_bound else qs.none()
        return qs

    def paginate_queryset(self, queryset, page_size):
        page = page_of(self.request, queryset, page_size)
        return page.paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            filter=self.filterset, page=context["page_obj"], querystring=query_without_page(self.request)
        )
        return context

    def get_template_names(self):
        if self.partial_template_name and self.request.headers.get("HX-Request"):
            return [self.partial_template_name]
        return super().get_template_names()

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "xlsx":
            if self.export_permission and not request.user.has_perm(self.export_permission):
                raise PermissionDenied
            qs = self.get_queryset()
            if self.filterset is not None and self.filterset.is_bound and not self.filterset.is_valid():
                return super().get(request, *args, **kwargs)  # the page shows the form's error
            return xlsx_response(self.export(qs), self.export_filename)
        return super().get(request, *args, **kwargs)

    def export(self, qs) -> bytes:
        """The xlsx of the filtered rows (core.xlsx.write_sheet); a list without it has no download."""
        raise Http404


class ScopedDetailView(ScopedPageMixin, DetailView):
    """One object's page: the class-level `queryset` narrowed to the user's scope, so an object outside
    it is not found (404, never 403)."""

    def get_queryset(self):
        return in_scope_of(super().get_queryset(), self.request.user)


class ServiceFormView(ScopedPageMixin, FormView):
    """A form whose valid data goes to `run_service(actor, cleaned_data)`.

    A ServiceError is shown on the form (nothing was changed); an object outside the user's scope is a 404.
    The service's return value is `self.result`, for `get_success_url`.
    """

    success_message = ""
    result: Any = None

    def get_form(self, form_class=None):
        return scope_form(super().get_form(form_class), self.request.user)

    def object_in_scope(self, queryset) -> Any:
        """The object of the URL's `pk` in `queryset` narrowed to the user's scope (the page's subject),
        else a 404. Read it through a cached_property, after the permission check."""
        return get_object_or_404(in_scope_of(queryset, self.request.user), pk=self.kwargs["pk"])

    def run_service(self, actor, data: dict) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define run_service")

    def form_valid(self, form) -> HttpResponse:
        try:
            self.result = self.run_service(self.request.user, form.cleaned_data)
        except OutOfScope:
            raise Http404 from None
        except ServiceError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        if self.success_message:
            messages.success(self.request, self.success_message)
        return redirect(self.get_success_url())


def listed(view_class: type[ScopedListView], request, **kwargs) -> Any:
    """Every row a ScopedListView lists for `request` (all pages, its filters; none when a filter value is
    invalid): the queryset of a download URL of its own (`…/export/` beside the page)."""
    view = view_class()
    view.setup(request, **kwargs)
    return view.get_queryset()
