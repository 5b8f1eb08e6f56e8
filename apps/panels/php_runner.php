<?php
/*
 * Runs one method of a hosting company's Installatron panel class (panel.php) for
 * apps/panels/php.py.
 *
 *   php php_runner.php /usr/local/installatron/etc/panel.php  < request.json
 *
 * The request (stdin, so that passwords never reach argv or the process list):
 *   {"method": "createDB", "args": [...], "session": {... the website ...}}
 * The reply is the last stdout line, "ITRON-REPLY " followed by JSON:
 *   {"ok": true, "defined": true, "result": <what the method returned>}
 *   {"ok": false, "error": "fatal|exception|no_class|exit|bad_request", "message": "..."}
 * Whatever panel.php prints itself is buffered and thrown away: it is not the reply.
 */

// The scaffolding Installatron gives panel.php (001, section 4): itron::$session is the
// selected website of the request header, custom "_" members included.
class itron
{
    public static $session = array();
}

// Defaults of the hooks a panel class may leave out; a panel.php may call parent::.
class i_panel
{
    public function enablePathByWebsite($websiteInfo)
    {
        return null;
    }

    public function disablePathByWebsite($websiteInfo)
    {
        return true;
    }

    public function enableSecondaryPathByWebsite($websiteInfo)
    {
        return null;
    }

    public function disableSecondaryPathByWebsite($websiteInfo)
    {
        return true;
    }
}

const ITRON_METHODS = array(
    "generateDB" => 1, "createDB" => 5, "removeDB" => 2,
    "enablePathByWebsite" => 1, "disablePathByWebsite" => 1,
    "enableSecondaryPathByWebsite" => 1, "disableSecondaryPathByWebsite" => 1,
);

$itron_replied = false;

function itron_reply(array $reply)
{
    global $itron_replied;
    if ($itron_replied) {
        return;
    }
    $itron_replied = true;
    while (ob_get_level() > 0) {
        ob_end_clean();
    }
    $json = json_encode($reply, JSON_INVALID_UTF8_SUBSTITUTE | JSON_PARTIAL_OUTPUT_ON_ERROR);
    fwrite(STDOUT, "\nITRON-REPLY " . $json . "\n");
}

function itron_fail($error, $message)
{
    itron_reply(array("ok" => false, "error" => $error, "message" => (string)$message));
    exit(1);
}

// A fatal error (or exit() inside panel.php) ends the script here: answer anyway.
register_shutdown_function(function () {
    global $itron_replied;
    if ($itron_replied) {
        return;
    }
    $last = error_get_last();
    $fatal = E_ERROR | E_PARSE | E_CORE_ERROR | E_COMPILE_ERROR | E_USER_ERROR;
    if ($last !== null && ($last["type"] & $fatal)) {
        itron_fail("fatal", $last["message"] . " in " . basename($last["file"]) . " line " . $last["line"]);
    }
    itron_fail("exit", "panel.php ended PHP without returning from the method");
});

ob_start();
$panel = isset($argv[1]) ? $argv[1] : "";
$request = json_decode(stream_get_contents(STDIN), true);
if (!is_array($request) || !isset($request["method"]) || !is_string($request["method"])
    || !array_key_exists($request["method"], ITRON_METHODS)) {
    itron_fail("bad_request", "the request is not a known panel class method call");
}
$method = $request["method"];
$args = isset($request["args"]) && is_array($request["args"]) ? array_values($request["args"]) : array();
if (count($args) !== ITRON_METHODS[$method]) {
    itron_fail("bad_request", "$method takes " . ITRON_METHODS[$method] . " arguments");
}
itron::$session = isset($request["session"]) && is_array($request["session"]) ? $request["session"] : array();
if ($panel === "" || !is_file($panel) || !is_readable($panel)) {
    itron_fail("no_class", "the panel class file cannot be read");
}

try {
    require_once $panel;
    if (!class_exists("i_custom", false) || !is_subclass_of("i_custom", "i_panel")) {
        itron_fail("no_class", "panel.php does not define class i_custom extends i_panel");
    }
    $object = new i_custom();
    $defined = method_exists($object, $method);
    if (!$defined) {
        itron_reply(array("ok" => true, "defined" => false, "result" => null));
        exit(0);
    }
    $declared = (new ReflectionMethod($object, $method))->getDeclaringClass()->getName();
    $result = call_user_func_array(array($object, $method), $args);
    itron_reply(array("ok" => true, "defined" => $declared !== "i_panel", "result" => $result));
} catch (Throwable $e) {
    // Class and message only: a trace would show the arguments, and one is a password.
    // An Error (parse error, undefined function, type error) is PHP's fatal error.
    itron_fail($e instanceof Error ? "fatal" : "exception", get_class($e) . ": " . $e->getMessage()
        . ($e instanceof Error ? " in " . basename($e->getFile()) . " line " . $e->getLine() : ""));
}
exit(0);
