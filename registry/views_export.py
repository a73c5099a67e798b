"""The artist's catalogue as a CSV download, in the columns the import reads back.

`consent.exporting` writes the lines; this view streams them with a filename that says whose
catalogue it is and when it was taken.
"""

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from consent.exporting import export_lines
from registry.decorators import CreatorRequest, creator_required


@creator_required
@require_GET
def catalogue_export(request: CreatorRequest) -> HttpResponse:
    creator = request.creator
    filename = f"catalogue-{creator.handle}-{timezone.localdate():%Y-%m-%d}.csv"
    response = StreamingHttpResponse(
        (line.encode() for line in export_lines(creator)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
