"""The catalogue import page: documents the CSV format, takes a file, reports every bad line.

Thin on purpose: `consent.importing` parses, validates and registers; this module only handles
the upload and chooses what to show. The page works as a plain form; `static/js/import.js`
upgrades it to an upload with a progress bar, asking for JSON so that a success can be followed
by a redirect the script performs itself (a redirect followed inside the upload request would
consume the success message before the person sees the dashboard).
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from consent.importing.catalogue import import_catalogue
from consent.importing.columns import COLUMNS, EXAMPLE_COLUMNS, EXAMPLE_ROWS, example_csv
from consent.importing.reading import EMPTY_FILE, size_problem
from consent.models import Creator

# Enough to fix a file in rounds; a file with more problems is usually the wrong file.
ERRORS_SHOWN = 200
# Shown without line breaks in the example, as they are typed.
IDENTIFIER_COLUMNS = frozenset({"isrc", "iswc"})


ADD, UPDATE = "add", "update"


class CatalogueImportForm(forms.Form):
    mode = forms.ChoiceField(
        label="What the file does",
        choices=[
            (ADD, "Register new tracks"),
            (UPDATE, "Update my tracks (from an exported sheet), with a preview first"),
        ],
        initial=ADD,
        required=False,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label="Catalogue file (CSV)",
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
        error_messages={
            "required": "Choose the CSV file of your catalogue.",
            "empty": EMPTY_FILE,
        },
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Checked on the size the upload declares, before any of it is read into memory.
        problem = size_problem(upload.size, settings.IMPORT_MAX_BYTES)
        if problem:
            raise ValidationError(problem)
        return upload

    def clean_mode(self):
        return self.cleaned_data.get("mode") or ADD


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


@login_required
@require_http_methods(["GET", "POST"])
def catalogue_import(request: HttpRequest) -> HttpResponse:
    try:
        creator = request.user.creator
    except Creator.DoesNotExist:
        messages.info(
            request, "Create your artist profile first: imported tracks are claimed in its name."
        )
        return redirect("profile")

    outcome = None
    filename = ""
    if request.method == "POST":
        form = CatalogueImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            filename = upload.name
            if form.cleaned_data["mode"] == UPDATE:
                from registry.views_update import preview_update  # it uses this module's page

                return preview_update(request, creator, upload.read(), filename)
            outcome = import_catalogue(
                creator,
                upload.read(),
                max_rows=settings.IMPORT_MAX_ROWS,
                max_bytes=settings.IMPORT_MAX_BYTES,
            )
            if outcome.ok:
                messages.success(request, outcome.summary.sentence())
                if _wants_json(request):
                    return JsonResponse({"redirect": reverse("dashboard")})
                return redirect("dashboard")
    else:
        form = CatalogueImportForm()

    return import_page(request, form, outcome.errors if outcome else [], filename)


def import_page(
    request: HttpRequest, form: forms.Form, errors: list, filename: str = ""
) -> HttpResponse:
    """The import page, with the problems that stopped an import or an update, if any."""
    context = {
        "form": form,
        "filename": filename,
        "errors": errors[:ERRORS_SHOWN],
        "error_count": len(errors),
        "errors_hidden": max(0, len(errors) - ERRORS_SHOWN),
        "columns": COLUMNS,
        "example_columns": EXAMPLE_COLUMNS,
        "example_rows": [
            [(row.get(name, ""), name in IDENTIFIER_COLUMNS) for name in EXAMPLE_COLUMNS]
            for row in EXAMPLE_ROWS
        ],
        "max_rows": f"{settings.IMPORT_MAX_ROWS:,}",
        "max_bytes": settings.IMPORT_MAX_BYTES,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "registry/import/catalogue_import.html", context, status=status)


@require_GET
def catalogue_import_example(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(example_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="catalogue-example.csv"'
    return response
