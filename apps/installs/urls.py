from django.urls import path

from . import views

app_name = "installs"

urlpatterns = [
    path("", views.install_list, name="list"),
    path("new/<str:application>/", views.new, name="new"),
    path("import/", views.import_existing, name="import"),
    path("updates-notice/", views.updates_notice, name="updates_notice"),
    path("<str:pk>/", views.detail, name="detail"),
    path("<str:pk>/uninstall/", views.uninstall, name="uninstall"),
]
urlpatterns += [
    path("<str:pk>/addons/", views.addons_page, name="addons"),
    path("<str:pk>/addons/action/", views.addon_action, name="addon_action"),
]
urlpatterns += [
    path("<str:pk>/edit/", views.edit, name="edit"),
    path("<str:pk>/sync/", views.sync, name="sync"),
    path("<str:pk>/admin-sso/", views.admin_sso, name="admin_sso"),
]
