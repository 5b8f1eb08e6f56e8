from django.urls import path, re_path

from . import dispatch, pages, views

app_name = "api"

_roots = "|".join(dispatch.V2_ROOTS)

# [\s\S], not '.': a path holding a newline (%0A) is still ours to answer, in JSON.
urlpatterns = [
    path("index.php", views.index, name="index_php"),
    path("gui/activity/", pages.activity, name="activity"),
    path("server/v1", views.v1, name="v1"),
    path("server/v1/", views.v1),
    path("api/v2/openapi.json", views.openapi, name="openapi"),
    re_path(r"^api/v2/(?P<path>[\s\S]+)$", views.v2, name="v2-prefixed"),
    re_path(rf"^(?P<path>(?:{_roots})(?:/[\s\S]*)?)$", views.v2, name="v2"),
]
