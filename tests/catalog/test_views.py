from __future__ import annotations

from django.urls import reverse

from apps.catalog.models import AppSet


def test_the_browser_tells_how_to_add_packages_when_the_store_is_empty(client, user):
    client.force_login(user)
    response = client.get(reverse("catalog:browser"))
    assert response.status_code == 200
    assert b"build_package wordpress" in response.content


def test_the_browser_shows_wordpress_with_its_icon_and_version(client, user, wordpress_package):
    client.force_login(user)
    page = client.get(reverse("catalog:browser")).content.decode()
    assert "WordPress" in page and "6.1.9" in page
    assert "catalog/wordpress/icon.svg" in page
    assert reverse("catalog:detail", args=["wordpress"]) in page
    assert 'hx-get="/gui/apps/"' in page


def test_the_browser_search_filters_and_htmx_gets_only_the_list(client, user, wordpress_package):
    client.force_login(user)
    url = reverse("catalog:browser")
    response = client.get(url, {"q": "drupal"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="apps">') and "<html" not in html
    assert "Nothing matches" in html
    html = client.get(url, {"q": "blog"}, HTTP_HX_REQUEST="true").content.decode()
    assert "WordPress" in html
    html = client.get(url, {"category": "Forums"}).content.decode()
    assert "Nothing matches" in html


def test_the_detail_page_shows_versions_requirements_and_an_install_link(client, user,
                                                                          wordpress_package):
    client.force_login(user)
    page = client.get(reverse("catalog:detail", args=["wordpress"])).content.decode()
    assert reverse("installs:new", args=["wordpress"]) in page
    assert "6.1.9" in page and "5.6.20" in page and "wp_" in page
    assert "https://wordpress.org" in page


def test_an_app_outside_the_users_app_set_is_a_404(client, user, wordpress_package):
    AppSet.objects.create(name="none_here", applications=[])
    user.package = "none_here"
    user.save()
    client.force_login(user)
    assert client.get(reverse("catalog:detail", args=["wordpress"])).status_code == 404
    assert client.get(reverse("catalog:detail", args=["nosuchapp"])).status_code == 404
    page = client.get(reverse("catalog:browser")).content.decode()
    assert "No applications are available to your account" in page


def test_the_pages_need_a_signed_in_user(client, wordpress_package):
    response = client.get(reverse("catalog:detail", args=["wordpress"]))
    assert response.status_code == 302
