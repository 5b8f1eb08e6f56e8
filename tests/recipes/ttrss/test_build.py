"""The standalone tree build_package makes from Debian's tt-rss."""

from __future__ import annotations

import tarfile

import pytest


def test_the_tree_is_standalone_with_the_upstream_layout(ttrss_archive):
    with tarfile.open(ttrss_archive.store / ttrss_archive.archive) as tar:
        members = {m.name: m for m in tar.getmembers()}
        dist = tar.extractfile("config.php-dist").read().decode()
    assert ttrss_archive.version == "21~git20210204.b4cbc79"
    # Debian's links are gone: every member is a plain file or folder.
    assert all(m.isfile() or m.isdir() for m in members.values())
    assert "config.php" not in members  # the recipe writes it
    for folder in ("cache/images", "cache/upload", "cache/export", "cache/feeds", "lock",
                   "feed-icons"):
        assert members[folder].isdir(), folder
    # What Debian pulls from other packages is inside the tree.
    for name in ("lib/dojo/dojo.js", "lib/dijit/dijit.js", "lib/gettext/gettext.inc",
                 "lib/phpqrcode/phpqrcode.php", "vendor/Psr/Log/LoggerInterface.php",
                 "lib/iconfont/MaterialIcons-Regular.woff2", "schema/ttrss_schema_mysql.sql"):
        assert members[name].isfile() and members[name].size > 0, name
    # The config names no Debian folder and asks for MySQL with upstream's folders.
    assert "/etc/" not in dist and "/var/" not in dist and "database.php" not in dist
    assert "define('DB_TYPE', 'mysql');" in dist
    assert "define('LOCK_DIRECTORY', 'lock');" in dist
    assert "define('CACHE_DIR', 'cache');" in dist


def test_config_defines_are_set_and_read_back_with_quotes_and_backslashes():
    from apps.recipes.ttrss import config

    src = "define('DB_PASS', 'old');\ndefine('SINGLE_USER_MODE', false);\n"
    out = config.set_defines(src, {"DB_PASS": "a'b\\c", "SINGLE_USER_MODE": True})
    assert config.read_defines(out) == {"DB_PASS": "a'b\\c", "SINGLE_USER_MODE": "true"}
    from apps.recipes.base import InstallError

    with pytest.raises(InstallError):
        config.set_defines(src, {"DB_HOST": "x"})


def test_the_password_hash_is_the_one_ttrss_computes(ttrss_archive):
    """Same bytes as the package's own encrypt_password($pass, $salt, true), run by PHP."""
    import re
    import subprocess

    from apps.recipes.ttrss.recipe import password_hash

    with tarfile.open(ttrss_archive.store / ttrss_archive.archive) as tar:
        functions = tar.extractfile("include/functions.php").read().decode()
    body = re.search(r"function encrypt_password.*?// function encrypt_password", functions,
                     re.S).group(0)
    php = body + "\necho encrypt_password($argv[1], $argv[2], true);"
    out = subprocess.run(["php", "-r", php, "--", "pässwörd'x", "s4lt"], capture_output=True,
                         check=True).stdout.decode()
    assert out == password_hash("pässwörd'x", "s4lt")
