"""Fixtures of the API tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def install(user):
    from apps.installs.models import Install

    return Install.objects.create(
        account=user, website=user.websites.get(), installer="wordpress", version="6.4.2",
        path="public_html/blog", path_created=["public_html/blog"], url="http://alice.test/blog",
        url_domain="alice.test", db_host="localhost", db_name="alice_wp", db_user="alice_wp",
        db_pass="s3cret-db", db_prefix="wp_", title="Blog", list_files=["index.php"],
        list_tables=["wp_posts"], autoup=2, autobk="custom", autobk_daily=3,
        notification=["update"], fields={"login": "admin", "email": "a@example.com"},
        status=Install.Status.INSTALLED)
