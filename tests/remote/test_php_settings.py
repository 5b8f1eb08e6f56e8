"""wp-config.php and version.php are read as PHP tokens, never run."""

from __future__ import annotations

import pytest

from installatron_gui.lib.php import read_php_settings

CONFIG = r"""<?php
// define( 'DB_NAME', 'in a line comment' );
# define( 'DB_NAME', 'in a hash comment' );
/* define( 'DB_NAME', 'in a block comment' ); */
$note = 'define( "DB_NAME", "inside a string" );';
define( "DB_NAME", "real_db" );
define('DB_USER', 'it\'s \\ me');
define( 'DB_PASSWORD', "p\"w" );
define( 'DB_HOST', "db.$evil" );
define( 'WP_DEBUG', false );
$table_prefix  = 'abc_';
if ( ! defined( 'ABSPATH' ) ) { define( 'ABSPATH', __DIR__ . '/' ); }
"""


def test_it_reads_defines_and_the_prefix_and_ignores_comments_and_strings():
    found = read_php_settings(CONFIG)
    assert found.define("DB_NAME") == "real_db"
    assert found.define("DB_USER") == "it's \\ me"
    assert found.define("DB_PASSWORD") == 'p"w'
    assert found.define("WP_DEBUG") == "false"
    assert found.variable("table_prefix") == "abc_"
    assert found.variable("note") == 'define( "DB_NAME", "inside a string" );'


def test_values_php_would_compute_are_not_guessed():
    found = read_php_settings(CONFIG)
    assert found.define("DB_HOST") is None  # interpolation
    assert found.define("ABSPATH") is None  # an expression


def test_it_reads_the_version_of_debians_wordpress():
    text = open("/usr/share/wordpress/wp-includes/version.php").read()
    assert read_php_settings(text).variable("wp_version").startswith("6.")


def test_settings_are_rewritten_in_place_and_a_repeated_one_is_refused():
    from apps.recipes.wordpress import config
    from installatron_gui.lib.errors import InstallError

    new = config.rewrite(CONFIG.replace('"db.$evil"', "'h'"),
                         {"db_name": "n'ew", "db_prefix": "x_", "db_host": "db2"})
    assert "define( \"DB_NAME\", 'n\\'ew' );" in new
    assert "$table_prefix  = 'x_';" in new
    assert "// define( 'DB_NAME', 'in a line comment' );" in new  # comments untouched
    assert config.read(new) == {"db_name": "n'ew", "db_user": "it's \\ me",
                                "db_pass": 'p"w', "db_host": "db2", "db_prefix": "x_"}
    with pytest.raises(InstallError) as err:
        config.rewrite(new + "define('DB_NAME', 'twice');", {"db_name": "z"})
    assert err.value.errcode == "failed_config"
    with pytest.raises(InstallError):
        config.rewrite(CONFIG, {"db_host": "z"})  # "db.$evil" is not a plain value


def test_a_new_config_from_the_sample_has_fresh_salts_and_our_defines():
    from apps.recipes.wordpress import config

    sample = open("/usr/share/wordpress/wp-config-sample.php").read()
    src = config.from_sample(sample, {"db_name": "d", "db_user": "u", "db_pass": "p\\'",
                                      "db_host": "h", "db_prefix": "wp7_"})
    found = read_php_settings(src)
    assert config.read(src) == {"db_name": "d", "db_user": "u", "db_pass": "p\\'",
                                "db_host": "h", "db_prefix": "wp7_"}
    assert found.define("DB_CHARSET") == "utf8mb4"
    assert found.define("FS_METHOD") == "direct"
    salts = {found.define(n) for n in config.SALT_NAMES}
    assert len(salts) == 8 and config.SALT_PLACEHOLDER not in src
