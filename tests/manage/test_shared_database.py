"""db_mode=manual (001 3.17.1's guixfer header with ``databases``): installs share the
website's databases, and when a table prefix is in use there another free one is taken
(3.17.3: "let Installatron manage table prefixes") instead of the install being refused."""

from __future__ import annotations

import secrets

import pytest

from .conftest import fetch, run_install

pytestmark = pytest.mark.slow


@pytest.fixture
def listed_database(site, mysql_query, mysql_admin):
    """One database the website lists, with its own user (as a panel pre-creates it)."""
    name = f"{site.account.username}_shared"
    password = secrets.token_urlsafe(12)
    mysql_query(f"CREATE DATABASE `{name}`")
    mysql_query("CREATE USER %s@'127.0.0.1' IDENTIFIED BY %s", (name, password))
    mysql_query(f"GRANT ALL ON `{name}`.* TO %s@'127.0.0.1'", (name,))
    port = mysql_admin["port"]
    host = "127.0.0.1" if port in (None, 3306) else f"127.0.0.1:{port}"
    site.website.db_mode = "manual"
    site.website.databases = [{"type": "mysql", "host": host, "name": name, "user": name,
                               "pass": password}]
    site.website.save()
    return name


def test_installs_share_the_listed_database_under_free_prefixes(site, wordpress_package,
                                                                listed_database, mysql_query):
    from apps.installs import services

    one = run_install(site, f"{site.url}/one", title="First Shared")
    # A table under the next candidate (made by hand) is not taken either.
    mysql_query(f"CREATE TABLE `{listed_database}`.`wp2_notes` (id INT)")
    two = run_install(site, f"{site.url}/two", title="Second Shared")
    assert one.db_name == two.db_name == listed_database
    assert (one.db_prefix, two.db_prefix) == ("wp_", "wp3_")
    assert "wp3_options" in two.list_tables and "wp_options" not in two.list_tables
    assert "wp2_notes" not in two.list_tables
    for url, title in ((f"{site.url}/one/", "First Shared"), (f"{site.url}/two/", "Second Shared")):
        status, page = fetch(url)
        assert status == 200 and title in page
    assert "'wp3_'" in (site.docroot / "two" / "wp-config.php").read_text()

    # A prefix the caller chose is theirs: in use, it is refused as before.
    with pytest.raises(services.InstallError) as exc:
        services.check_install(site.account, {"application": "wordpress",
                                              "url": f"{site.url}/three", "db_prefix": "wp_"},
                               dryrun=2)
    assert exc.value.errcode == "invalid_argument_db_prefix"
    # Uninstalling the second leaves the first's tables (and the hand-made one) alone.
    task = services.start_uninstall(two)
    from apps.installs import tasks

    tasks.uninstall_app(task.id, False)
    left = {r[0] for r in mysql_query(f"SHOW TABLES FROM `{listed_database}`")}
    assert "wp_options" in left and "wp2_notes" in left
    assert not any(t.startswith("wp3_") for t in left)
