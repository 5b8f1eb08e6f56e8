"""wp-config.php and version.php are read as PHP tokens, never run."""

from __future__ import annotations

from apps.installs.imports import read_php_settings

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
