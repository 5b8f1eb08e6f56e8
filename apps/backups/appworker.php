<?php
/*
Plugin Name: Installatron GUI migration worker
Description: A one-time worker of a migration; it removes itself when called, and answers nothing after its expiry.
Version: 1
*/
// Never activated: WordPress loading this file (plugin listing) gets nothing from it.
if (defined('ABSPATH')) {
    return;
}
// The token check, the one-time rules and the tar packer are webtar.php's
// (apps/transports), shipped next to this file; it calls itron_migrate() below.
$ITRON_SQL = '';
require __DIR__ . '/webtar.php';
exit;

function itron_migrate($here)
{
    $root = dirname($here);
    for ($i = 0; $i < 4 && !is_file($root . '/wp-load.php'); $i++) {
        $root = dirname($root);
    }
    if (!is_file($root . '/wp-load.php')) {
        pack_fail('the WordPress folder was not found');
    }
    // Links are stored as links, never followed; this plugin's folder is left out.
    pack_folder($root, substr($here, strlen($root) + 1), array());
    itron_dump($root);
    frame('Z', '');
}

function itron_sql($text, $last = false)
{
    global $ITRON_SQL;
    $ITRON_SQL .= $text;
    if (strlen($ITRON_SQL) >= 262144 || ($last && $ITRON_SQL !== '')) {
        frame('Q', $ITRON_SQL);
        $ITRON_SQL = '';
    }
}

function itron_value($link, $value, $field)
{
    if ($value === null) {
        return 'NULL';
    }
    $binary = array(MYSQLI_TYPE_TINY_BLOB, MYSQLI_TYPE_MEDIUM_BLOB, MYSQLI_TYPE_LONG_BLOB,
                    MYSQLI_TYPE_BLOB, MYSQLI_TYPE_STRING, MYSQLI_TYPE_VAR_STRING,
                    MYSQLI_TYPE_BIT, MYSQLI_TYPE_GEOMETRY);
    if ($field->charsetnr === 63 && in_array($field->type, $binary, true)) {
        return $value === '' ? "''" : '0x' . bin2hex($value);  // like mysqldump --hex-blob
    }
    // Escapes newlines too: one statement per line, as the restore's prefix rename reads it.
    return "'" . mysqli_real_escape_string($link, $value) . "'";
}

function itron_dump($root)
{
    $config = is_file($root . '/wp-config.php') ? $root . '/wp-config.php'
        : dirname($root) . '/wp-config.php';
    // WordPress's own configuration, read by PHP: it ends by loading
    // ABSPATH/wp-settings.php, here an empty file of ours, so nothing else runs.
    define('ABSPATH', __DIR__ . '/stub/');
    ob_start();
    include $config;
    include $root . '/wp-includes/version.php';
    ob_end_clean();
    if (!defined('DB_NAME') || !isset($table_prefix) || !is_string($table_prefix)) {
        pack_fail('wp-config.php does not define the database');
    }
    $host = DB_HOST;
    $port = null;
    $socket = null;
    if (preg_match('/^(.*?):(\/.*)$/', $host, $m)) {
        list(, $host, $socket) = $m;
    } elseif (preg_match('/^(.*):(\d+)$/', $host, $m)) {
        $host = $m[1];
        $port = (int)$m[2];
    }
    mysqli_report(MYSQLI_REPORT_OFF);
    $link = @mysqli_connect($host === '' ? 'localhost' : trim($host, '[]'), DB_USER,
                            DB_PASSWORD, DB_NAME, $port, $socket);
    if (!$link || !mysqli_set_charset($link, 'utf8mb4')) {
        pack_fail('cannot connect to the database');
    }
    mysqli_query($link, 'START TRANSACTION WITH CONSISTENT SNAPSHOT');
    $tables = array();
    $res = mysqli_query($link, "SHOW FULL TABLES WHERE Table_type = 'BASE TABLE'");
    while ($res && ($row = mysqli_fetch_row($res))) {
        if (strpos($row[0], $table_prefix) === 0 && preg_match('/^[A-Za-z0-9_$]{1,64}$/', $row[0])) {
            $tables[] = $row[0];
        }
    }
    itron_sql("SET NAMES utf8mb4;\nSET FOREIGN_KEY_CHECKS=0;\n");
    foreach ($tables as $table) {
        $res = mysqli_query($link, 'SHOW CREATE TABLE `' . $table . '`');
        $row = $res ? mysqli_fetch_row($res) : null;
        if (!$row) {
            pack_fail('cannot read the table ' . $table);
        }
        itron_sql("DROP TABLE IF EXISTS `$table`;\n" . $row[1] . ";\n");
        $res = mysqli_query($link, 'SELECT * FROM `' . $table . '`', MYSQLI_USE_RESULT);
        if (!$res) {
            pack_fail('cannot read the table ' . $table);
        }
        $fields = mysqli_fetch_fields($res);
        $line = '';
        while ($row = mysqli_fetch_row($res)) {
            $values = array();
            foreach ($row as $i => $value) {
                $values[] = itron_value($link, $value, $fields[$i]);
            }
            $line .= ($line === '' ? "INSERT INTO `$table` VALUES " : ',')
                . '(' . implode(',', $values) . ')';
            if (strlen($line) >= 524288) {
                itron_sql($line . ";\n");
                $line = '';
            }
        }
        if (mysqli_errno($link)) {
            pack_fail('cannot read the table ' . $table);
        }
        if ($line !== '') {
            itron_sql($line . ";\n");
        }
        mysqli_free_result($res);
    }
    itron_sql("SET FOREIGN_KEY_CHECKS=1;\n", true);
    frame('T', json_encode(array('prefix' => $table_prefix, 'tables' => $tables,
                                 'version' => isset($wp_version) ? $wp_version : '')));
}
