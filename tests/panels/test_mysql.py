"""MysqlPanel against the real MariaDB on 127.0.0.1:3306 (settings.MYSQL_ADMIN).

Every database and user a test makes starts with a per-run ``itrpnl<hex>`` prefix and is
dropped afterwards, so parallel runs by other developers never collide.
"""

from __future__ import annotations

import re
import secrets

import MySQLdb
import pytest

from apps.panels.base import DatabaseSpec, PanelError, get_panel
from apps.panels.mysql import MysqlPanel, _scrub
from tests.fixtures.services import free_port


@pytest.fixture
def owner(mysql_query):
    """A website (as_session) whose generated names share a unique prefix; cleans up."""
    name = f"itrpnl{secrets.token_hex(3)}"
    yield {"user": name, "id": "ws1", "path": "/tmp/nowhere"}
    like = name.replace("_", r"\_") + "%"
    for (db,) in mysql_query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA "
                             "WHERE SCHEMA_NAME LIKE %s", (like,)):
        mysql_query(f"DROP DATABASE IF EXISTS `{db}`")
    for user, host in mysql_query("SELECT User, Host FROM mysql.user WHERE User LIKE %s",
                                  (like,)):
        mysql_query("DROP USER IF EXISTS %s@%s", (user, host))


def connect_as(spec: DatabaseSpec, db: str | None = None):
    kwargs = {"db": db} if db else {}
    return MySQLdb.connect(host=spec.host, port=3306, user=spec.user, passwd=spec.password,
                           **kwargs)


def test_get_panel_returns_the_configured_mysql_panel():
    assert isinstance(get_panel(), MysqlPanel)


def test_generated_names_are_prefixed_short_and_the_password_strong(owner, mysql_admin):
    spec = MysqlPanel().generate_db("mysql", owner)

    assert spec.name.startswith(owner["user"] + "_")
    assert re.fullmatch(r"[a-z0-9_]{1,32}", spec.name)
    assert spec.user == spec.name
    assert re.fullmatch(r"[A-Za-z0-9]{24,}", spec.password)
    assert spec.host == mysql_admin["client_host"]
    assert spec.prefix is None and spec.type == "mysql"
    assert MysqlPanel().generate_db("mysql", owner).name != spec.name


def test_generated_name_of_an_odd_long_user_name_stays_within_limits(owner):
    website = {"user": owner["user"].upper() + "-Ünï.cøde user_with_a_really_long_tail_name"}
    spec = MysqlPanel().generate_db("mysql", website)

    assert re.fullmatch(r"[a-z0-9_]{1,32}", spec.name)
    assert spec.name.startswith(owner["user"])


def test_generated_user_can_create_a_table_in_its_database_and_not_read_another(
        owner, mysql_query):
    panel = MysqlPanel()
    spec = panel.generate_db("mysql", owner)
    panel.create_db(spec, owner)
    other = f"{owner['user']}_other"
    mysql_query(f"CREATE DATABASE `{other}`")
    mysql_query(f"CREATE TABLE `{other}`.secrets (v TEXT)")

    conn = connect_as(spec, spec.name)
    try:
        cur = conn.cursor()
        cur.execute("CREATE TABLE wp_options (k VARCHAR(64), v TEXT)")
        cur.execute("INSERT INTO wp_options VALUES (%s, %s)", ("siteurl", "http://a.test"))
        conn.commit()
        cur.execute("SELECT v FROM wp_options")
        assert cur.fetchall() == (("http://a.test",),)
        cur.execute("SHOW DATABASES")
        assert {row[0] for row in cur.fetchall()} == {spec.name, "information_schema"}
        with pytest.raises(MySQLdb.OperationalError) as denied:
            cur.execute(f"SELECT * FROM `{other}`.secrets")
        assert denied.value.args[0] in (1044, 1142)
    finally:
        conn.close()
    charset = mysql_query("SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA "
                          "WHERE SCHEMA_NAME = %s", (spec.name,))
    assert charset == (("utf8mb4",),)


def test_remove_db_drops_the_database_and_its_user(owner, mysql_query):
    panel = MysqlPanel()
    spec = panel.generate_db("mysql", owner)
    panel.create_db(spec, owner)

    panel.remove_db(spec.name, "mysql", owner)

    assert mysql_query("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
                       (spec.name,)) == ()
    assert mysql_query("SELECT 1 FROM mysql.user WHERE User = %s", (spec.name,)) == ()
    with pytest.raises(MySQLdb.OperationalError):
        connect_as(spec)
    panel.remove_db(spec.name, "mysql", owner)  # already gone: fine


def test_remove_db_refuses_a_database_of_another_website(owner, mysql_query):
    panel = MysqlPanel()
    spec = panel.generate_db("mysql", owner)
    panel.create_db(spec, owner)

    with pytest.raises(PanelError):
        panel.remove_db(spec.name, "mysql", {"user": "someoneelse"})
    with pytest.raises(PanelError):
        panel.remove_db("mysql", "mysql", {"user": "mysql"})

    assert mysql_query("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
                       (spec.name,)) == ((1,),)


def test_create_db_on_an_existing_database_fails_cleanly_and_keeps_it(owner, mysql_query):
    panel = MysqlPanel()
    spec = panel.generate_db("mysql", owner)
    panel.create_db(spec, owner)
    conn = connect_as(spec, spec.name)
    conn.cursor().execute("CREATE TABLE kept (i INT)")
    conn.close()

    again = DatabaseSpec(name=spec.name, user=spec.name, password="An0ther-password-123456",
                         host=spec.host)
    with pytest.raises(PanelError) as err:
        panel.create_db(again, owner)

    assert err.value.errcode == "failed_database_create"
    assert "already exists" in err.value.message
    conn = connect_as(spec, spec.name)  # the old password still works
    cur = conn.cursor()
    cur.execute("SHOW TABLES")
    assert cur.fetchall() == (("kept",),)
    conn.close()


def test_create_db_refuses_an_existing_user_and_creates_no_database(owner, mysql_query):
    panel = MysqlPanel()
    name = f"{owner['user']}_taken"
    mysql_query("CREATE USER %s@'127.0.0.1' IDENTIFIED BY 'x-Pass-1234567'", (name,))

    with pytest.raises(PanelError) as err:
        panel.create_db(DatabaseSpec(name=name, user=name, password="Pw-123456789012345678",
                                     host="127.0.0.1"), owner)

    assert err.value.errcode == "failed_database_create"
    assert mysql_query("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
                       (name,)) == ()


@pytest.mark.parametrize("bad", ["a`b", "x; DROP DATABASE mysql", "UPPER", "a" * 33, "", "mysql"])
def test_create_db_refuses_unsafe_identifiers_before_any_sql(owner, bad, mysql_query):
    with pytest.raises(PanelError) as err:
        MysqlPanel().create_db(DatabaseSpec(name=bad, user="u_x", password="p" * 24,
                                            host="127.0.0.1"), owner)
    assert err.value.status == 400


def test_create_db_undoes_the_database_when_the_user_cannot_be_created(owner, mysql_query):
    # An admin account that may create databases but not users: CREATE USER fails midway.
    admin, admin_pw = f"{owner['user']}_adm", "Adm-" + secrets.token_hex(12)
    mysql_query("CREATE USER %s@'127.0.0.1' IDENTIFIED BY %s", (admin, admin_pw))
    mysql_query("GRANT CREATE, DROP, SELECT ON *.* TO %s@'127.0.0.1'", (admin,))
    panel = MysqlPanel(user=admin, password=admin_pw)
    spec = panel.generate_db("mysql", owner)

    with pytest.raises(PanelError) as err:
        panel.create_db(spec, owner)

    assert spec.password not in err.value.message and admin_pw not in err.value.message
    assert mysql_query("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
                       (spec.name,)) == ()
    assert mysql_query("SELECT 1 FROM mysql.user WHERE User = %s", (spec.name,)) == ()


def test_wrong_admin_password_raises_panel_error_without_the_password(owner, caplog):
    password = "Wr0ng-admin-" + secrets.token_hex(8)
    panel = MysqlPanel(password=password)

    with pytest.raises(PanelError) as err:
        panel.generate_db("mysql", owner)
    with pytest.raises(PanelError) as err2:
        panel.remove_db(f"{owner['user']}_x", "mysql", owner)

    for exc in (err.value, err2.value):
        assert "Access denied" in exc.message
        assert password not in exc.message and password not in repr(exc)
    assert password not in caplog.text


def test_a_server_that_refuses_connections_raises_panel_error(owner):
    panel = MysqlPanel(port=free_port(), connect_timeout=3)
    spec = DatabaseSpec(name=f"{owner['user']}_x", user=f"{owner['user']}_x",
                        password="P" * 24, host="127.0.0.1")

    with pytest.raises(PanelError) as err:
        panel.create_db(spec, owner)

    assert err.value.errcode == "failed_database_create"
    assert "P" * 24 not in err.value.message


def test_scrub_removes_a_secret_in_plain_and_escaped_form():
    text = "near 'IDENTIFIED BY 'it\\'s-secret'' at line 1; it's-secret"
    assert "secret" not in _scrub(text, ["it's-secret"])
