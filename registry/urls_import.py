"""The catalogue import page and its downloadable example."""

from django.urls import path

from registry import views_import

urlpatterns = [
    path("import/", views_import.catalogue_import, name="catalogue_import"),
    path(
        "import/example.csv",
        views_import.catalogue_import_example,
        name="catalogue_import_example",
    ),
]
