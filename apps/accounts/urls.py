from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("gui/login/", views.login_view, name="login"),
    path("gui/logout/", views.logout_view, name="logout"),
    path("gui/users/", views.account_list, {"kind": "user"}, name="users"),
    path("gui/resellers/", views.account_list, {"kind": "reseller"}, name="resellers"),
    path("gui/accounts/new/", views.account_edit, name="create"),
    path("gui/accounts/<str:username>/", views.account_edit, name="edit"),
    path("gui/accounts/<str:username>/suspend/", views.account_suspend, name="suspend"),
    path("gui/accounts/<str:username>/delete/", views.account_delete, name="delete"),
    path("gui/language/", views.language_view, name="language"),
    path("gui/settings/", views.settings_view, name="settings"),
    path("gui/branding/", views.branding_edit, name="branding"),
    path("gui/brand/<int:pk>.css", views.brand_css, name="brand_css"),
    path("gui/brand/<int:pk>/logo", views.brand_logo, name="brand_logo"),
]
