from django.urls import include, path

from apps.accounts import views as account_views

urlpatterns = [
    path("", account_views.index, name="index"),
    path("favicon.ico", account_views.favicon, name="favicon"),
    path("gui/", account_views.home, name="home"),
    path("", include("apps.accounts.urls")),
    path("gui/apps/", include("apps.catalog.urls")),
    path("gui/installs/", include("apps.installs.urls")),
    path("gui/backups/", include("apps.backups.urls")),
    path("gui/tasks/", include("apps.tasks.urls")),
    path("gui/hostkeys/", include("apps.transports.urls")),
    path("gui/console/", include("apps.console.urls")),
    path("", include("apps.api.urls")),
]
