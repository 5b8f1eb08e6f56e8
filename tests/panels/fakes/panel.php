<?php
// A hosting company's panel class written the way 001's samples are (section 4), for the
// php panel backend's tests. Databases and users are real, on the MariaDB the tests use
// (root on 127.0.0.1, empty password unless ITRON_TEST_MYSQL_PASS says otherwise).
// The website's custom member "_fail" makes createDB (after creating) or removeDB
// (without removing) return false; "_path" is what enablePathByWebsite answers.
class i_custom extends i_panel
{
    private function db()
    {
        mysqli_report(MYSQLI_REPORT_OFF);
        $db = mysqli_connect("127.0.0.1", "root", (string)getenv("ITRON_TEST_MYSQL_PASS"), "", 3306);
        return $db ?: false;
    }

    public function generateDB($type)
    {
        // itron::$session is the selected website; "_some_prefix" came with guixfer.
        $prefix = itron::$session["_some_prefix"]."_";
        // Maximum database name length, including prefix (MySQL user names: 32).
        $len_max = 32;
        $len_less_prefix = $len_max-strlen($prefix);
        $db_name = $prefix.substr(uniqid(), 0, $len_less_prefix);
        $db_host = "127.0.0.1";
        $db_user = $db_name;//same as the db name
        $db_pass = null;//let Installatron create a randomized value.
        $db_table_prefix = null;//let Installatron manage table prefixes
        return array($db_name, $db_user, $db_pass, $db_host, $db_table_prefix);
    }

    public function createDB($name, $user, $pass, $type, $host)
    {
        switch($type)
        {
        case "mysql":
            $db = $this->db();
            if (!$db) {
                return false;
            }
            $n = mysqli_real_escape_string($db, $name);
            $u = mysqli_real_escape_string($db, $user);
            $p = mysqli_real_escape_string($db, $pass);
            $ok = mysqli_query($db, "CREATE DATABASE `$n`")
                && mysqli_query($db, "CREATE USER '$u'@'127.0.0.1' IDENTIFIED BY '$p'")
                && mysqli_query($db, "GRANT ALL PRIVILEGES ON `$n`.* TO '$u'@'127.0.0.1'");
            mysqli_close($db);
            if (isset(itron::$session["_fail"]) && itron::$session["_fail"] === "createDB") {
                return false;
            }
            return (bool)$ok;
        }
        return false;
    }

    public function removeDB($name, $type)
    {
        switch($type)
        {
        case "mysql":
            if (isset(itron::$session["_fail"]) && itron::$session["_fail"] === "removeDB") {
                return false;
            }
            $db = $this->db();
            if (!$db) {
                return false;
            }
            $n = mysqli_real_escape_string($db, $name);
            mysqli_query($db, "DROP DATABASE IF EXISTS `$n`");
            mysqli_query($db, "DROP USER IF EXISTS '$n'@'127.0.0.1'");
            mysqli_close($db);
            return true;
        }
        return false;
    }

    public function enablePathByWebsite($websiteInfo)
    {
        return isset($websiteInfo["_path"]) ? $websiteInfo["_path"] : null;
    }

    public function disablePathByWebsite($websiteInfo)
    {
        return !isset($websiteInfo["_fail"]) || $websiteInfo["_fail"] !== "disablePath";
    }

    public function enableSecondaryPathByWebsite($websiteInfo)
    {
        return "ssh://".urlencode($websiteInfo["id"]).":".urlencode("s3cret pass")."@127.0.0.1/domains";
    }

    public function disableSecondaryPathByWebsite($websiteInfo)
    {
        return true;
    }
}
