<?php
// Installatron GUI: a one-time unpacker and packer (apps/transports/web.py puts it here).
// It answers one request carrying its token, deletes itself first, and works only on the
// folder that holds its own private folder. It never follows or writes through a link.
$EXPECT = '%TOKEN_SHA256%';
$EXPIRES = %EXPIRES%;
$ARCHIVE = '%ARCHIVE%';

$token = isset($_POST['token']) && is_string($_POST['token']) ? $_POST['token'] : '';
if (!hash_equals($EXPECT, hash('sha256', $token)) || time() > $EXPIRES) {
    http_response_code(404);
    exit;
}
@unlink(__FILE__);  // one time: whatever happens next, this script is gone
if (function_exists('itron_migrate')) {
    // Shipped in a migration's worker plugin (apps/backups/appworker.php): the plugin's
    // whole folder goes when this request ends, whatever happens.
    register_shutdown_function('remove_tree', __DIR__);
}
@set_time_limit(0);
ignore_user_abort(false);  // a client that went away stops the work at the next output
while (ob_get_level()) {
    ob_end_clean();
}
header('Content-Type: application/octet-stream');
header('Cache-Control: no-store');
header('X-Accel-Buffering: no');

$HERE = __DIR__;
$PACK_BUFFER = '';
$PARENT = dirname($HERE);

function proof($what)
{
    global $token;
    return hash_hmac('sha256', $what, $token);
}

function say($line)
{
    echo $line, "\n";
    flush();
}

function remove_tree($path)
{
    if (is_link($path) || !is_dir($path)) {
        @unlink($path);
        return;
    }
    foreach (scandir($path) ?: array() as $name) {
        if ($name !== '.' && $name !== '..') {
            remove_tree($path . '/' . $name);
        }
    }
    @rmdir($path);
}

// Files made here must belong to the website's own user (who uploaded this script):
// otherwise they could not be changed or removed later over FTP/SFTP.
$probe = $HERE . '/probe-' . bin2hex(random_bytes(8));
$same = @touch($probe) && @fileowner($probe) === @fileowner($HERE);
@unlink($probe);
$action = isset($_POST['action']) ? $_POST['action'] : '';
if (!$same) {
    say('ITRON-NO ' . proof('no') . ' this PHP runs as another user');
    exit;
}
if ($action === 'unpack' && !function_exists('gzopen')) {
    say('ITRON-NO ' . proof('no') . ' no zlib');
    exit;
}
if ($action !== 'unpack' && $action !== 'pack'
    && !($action === 'migrate' && function_exists('itron_migrate'))) {
    say('ITRON-NO ' . proof('no') . ' unknown action');
    exit;
}
say('ITRON-GO ' . proof('go'));

if ($action === 'unpack') {
    unpack_archive($HERE, $PARENT, $HERE . '/' . $ARCHIVE);
} elseif ($action === 'migrate') {
    itron_migrate($HERE);
} else {
    $exclude = json_decode(isset($_POST['exclude']) ? $_POST['exclude'] : '[]', true);
    pack_folder($PARENT, basename($HERE), is_array($exclude) ? $exclude : array());
    frame('Z', '');
}
exit;

// ------------------------------------------------------------------------ unpack

function fail($message)
{
    global $HERE;
    remove_tree($HERE . '/out');
    say('ERR ' . $message);
    exit;
}

function read_exactly($in, $n)
{
    $buf = '';
    while (strlen($buf) < $n) {
        $chunk = gzread($in, min(65536, $n - strlen($buf)));
        if ($chunk === false || $chunk === '') {
            break;
        }
        $buf .= $chunk;
    }
    return $buf;
}

function octal($field)
{
    $field = trim($field, " \0");
    if ($field !== '' && !preg_match('/^[0-7]+$/', $field)) {
        fail('the archive has a damaged header');
    }
    return $field === '' ? 0 : octdec($field);
}

function pax_records($data)
{
    $found = array();
    while ($data !== '' && preg_match('/^(\d+) /', $data, $m)) {
        $len = (int)$m[1];
        if ($len <= strlen($m[0]) || $len > strlen($data)) {
            fail('the archive has a damaged header');
        }
        $record = substr($data, strlen($m[0]), $len - strlen($m[0]) - 1);
        $data = substr($data, $len);
        $eq = strpos($record, '=');
        if ($eq !== false) {
            $found[substr($record, 0, $eq)] = substr($record, $eq + 1);
        }
    }
    return $found;
}

function unpack_archive($here, $parent, $archive)
{
    $out = $here . '/out';
    if (!@mkdir($out, 0700)) {
        fail('cannot create the unpack folder');
    }
    $in = @gzopen($archive, 'rb');
    if (!$in) {
        fail('cannot open the archive');
    }
    $pax = array();
    $long = null;
    $modes = array();
    $count = 0;
    while (true) {
        $h = read_exactly($in, 512);
        if (strlen($h) < 512) {
            fail('the archive is truncated');
        }
        if ($h === str_repeat("\0", 512)) {
            break;
        }
        $sum = array_sum(unpack('C*', substr($h, 0, 148) . '        ' . substr($h, 156)));
        if ($sum !== octal(substr($h, 148, 8))) {
            fail('the archive has a damaged header');
        }
        $type = $h[156];
        $name = rtrim(substr($h, 0, 100), "\0");
        if (substr($h, 257, 5) === 'ustar' && rtrim(substr($h, 345, 155), "\0") !== '') {
            $name = rtrim(substr($h, 345, 155), "\0") . '/' . $name;
        }
        if (ord($h[124]) & 0x80) {
            fail('the archive has a damaged header');
        }
        $mode = octal(substr($h, 100, 8));
        $size = octal(substr($h, 124, 12));
        $mtime = octal(substr($h, 136, 12));
        if ($type === 'x' || $type === 'g' || $type === 'L') {
            if ($size > 1048576) {
                fail('the archive has a damaged header');
            }
            $data = read_exactly($in, $size);
            read_exactly($in, (512 - $size % 512) % 512);
            if ($type === 'x') {
                $pax = pax_records($data);
            } elseif ($type === 'L') {
                $long = rtrim($data, "\0");
            }
            continue;
        }
        if ($long !== null) {
            $name = $long;
        }
        if (isset($pax['path'])) {
            $name = $pax['path'];
        }
        if (isset($pax['size'])) {
            $size = (int)$pax['size'];
        }
        $long = null;
        $pax = array();
        $parts = array();
        foreach (explode('/', $name) as $p) {
            if ($p !== '' && $p !== '.') {
                $parts[] = $p;
            }
        }
        $safe = $name !== '' && $name[0] !== '/' && strpos($name, "\0") === false
            && strpos($name, '\\') === false && !in_array('..', $parts, true)
            && ($mode & 07000) === 0;
        if (!$safe || !($type === '0' || $type === "\0" || $type === '5')) {
            fail('the archive holds an unsafe entry: ' . substr($name, 0, 200));
        }
        $pad = (512 - $size % 512) % 512;
        if (!$parts) {
            read_exactly($in, $size + $pad);
            continue;
        }
        $path = $out;
        foreach (array_slice($parts, 0, -1) as $p) {
            $path .= '/' . $p;
            if (is_link($path) || (file_exists($path) && !is_dir($path))) {
                fail('the archive holds an unsafe entry: ' . substr($name, 0, 200));
            }
            if (!is_dir($path) && !@mkdir($path, 0755)) {
                fail('cannot create a folder');
            }
        }
        $path .= '/' . $parts[count($parts) - 1];
        if ($type === '5') {
            if (is_link($path) || (file_exists($path) && !is_dir($path))) {
                fail('the archive holds an unsafe entry: ' . substr($name, 0, 200));
            }
            if (!is_dir($path) && !@mkdir($path, 0700)) {
                fail('cannot create a folder');
            }
            $modes[$path] = $mode & 0777;
            read_exactly($in, $size + $pad);
            continue;
        }
        $fh = @fopen($path, 'xb');  // O_EXCL: never an existing file, never through a link
        if (!$fh) {
            fail('cannot create a file (or the archive holds it twice)');
        }
        $left = $size;
        while ($left > 0) {
            $chunk = read_exactly($in, min($left, 1048576));
            if ($chunk === '') {
                fail('the archive is truncated');
            }
            if (fwrite($fh, $chunk) !== strlen($chunk)) {
                fail('cannot write a file (the disk may be full)');
            }
            $left -= strlen($chunk);
            if ($size > 8388608) {
                say('.');
            }
        }
        fclose($fh);
        @chmod($path, $mode & 0777);
        @touch($path, $mtime);
        read_exactly($in, $pad);
        if (++$count % 200 === 0) {
            say('.');  // keeps the connection alive, and stops us if the client left
        }
    }
    gzclose($in);
    @unlink($archive);
    foreach (array_reverse($modes, true) as $path => $mode) {
        @chmod($path, $mode);
    }
    $tops = array();
    foreach (scandir($out) as $top) {
        if ($top === '.' || $top === '..') {
            continue;
        }
        $dst = $parent . '/' . $top;
        if (file_exists($dst) || is_link($dst)) {
            fail('the target folder already holds ' . $top);
        }
        if (!@rename($out . '/' . $top, $dst)) {
            fail('cannot move ' . $top . ' into place');
        }
        $tops[] = $top;
        say('M ' . $top);
    }
    @rmdir($out);
    @unlink($here . '/index.html');
    @rmdir($here);
    say('OK ' . json_encode($tops));
}

// ------------------------------------------------------------------------ pack

function frame($kind, $data)
{
    echo $kind, sprintf('%08x', strlen($data)), $data;
    flush();
}

function emit($bytes)
{
    global $PACK_BUFFER;
    $PACK_BUFFER .= $bytes;
    if (strlen($PACK_BUFFER) >= 262144) {
        frame('D', $PACK_BUFFER);
        $PACK_BUFFER = '';
    }
}

function pack_fail($message)
{
    global $PACK_BUFFER;
    $PACK_BUFFER = '';
    frame('E', $message);
    exit;
}

function pax_record($key, $value)
{
    $body = ' ' . $key . '=' . $value . "\n";
    $len = strlen($body) + 1;
    while (strlen((string)$len) + strlen($body) !== $len) {
        $len = strlen((string)$len) + strlen($body);
    }
    return $len . $body;
}

function tar_header($name, $mode, $uid, $gid, $size, $mtime, $type, $link)
{
    $pax = '';
    if (strlen($name) > 100) {
        $pax .= pax_record('path', $name);
    }
    if (strlen($link) > 100) {
        $pax .= pax_record('linkpath', $link);
    }
    if ($size > 077777777777) {
        $pax .= pax_record('size', (string)$size);
        $size = 0;
    }
    $head = '';
    if ($pax !== '') {
        $head = tar_block('PaxHeader', 0644, 0, 0, strlen($pax), $mtime, 'x', '');
        $head .= $pax . str_repeat("\0", (512 - strlen($pax) % 512) % 512);
    }
    return $head . tar_block($name, $mode, $uid, $gid, $size, $mtime, $type, $link);
}

function tar_block($name, $mode, $uid, $gid, $size, $mtime, $type, $link)
{
    $h = str_pad(substr($name, 0, 100), 100, "\0")
        . sprintf('%07o', $mode & 07777) . "\0"
        . sprintf('%07o', $uid & 07777777) . "\0"
        . sprintf('%07o', $gid & 07777777) . "\0"
        . sprintf('%011o', $size) . "\0"
        . sprintf('%011o', max(0, min($mtime, 077777777777))) . "\0"
        . '        ' . $type
        . str_pad(substr($link, 0, 100), 100, "\0")
        . "ustar\0" . '00' . str_repeat("\0", 32 + 32 + 8 + 8 + 155 + 12);
    $sum = array_sum(unpack('C*', $h));
    return substr_replace($h, sprintf('%06o', $sum) . "\0 ", 148, 8);
}

function excluded($rel, $patterns)
{
    foreach ($patterns as $p) {
        if (is_string($p) && fnmatch($p, $rel)) {
            return true;
        }
    }
    return false;
}

function pack_tree($base, $rel, $skip, $patterns)
{
    $dir = $rel === '' ? $base : $base . '/' . $rel;
    $names = @scandir($dir);
    if ($names === false) {
        pack_fail('cannot read the folder ' . $rel);
    }
    foreach ($names as $name) {
        if ($name === '.' || $name === '..') {
            continue;
        }
        $sub = $rel === '' ? $name : $rel . '/' . $name;
        if ($sub === $skip) {  // this script's own folder (a path below $base)
            continue;
        }
        if (excluded($sub, $patterns)) {
            continue;
        }
        $path = $base . '/' . $sub;
        $st = @lstat($path);
        if ($st === false) {
            pack_fail('cannot read ' . $sub);
        }
        $kind = $st['mode'] & 0170000;
        if ($kind === 0040000) {
            emit(tar_header($sub . '/', $st['mode'], $st['uid'], $st['gid'], 0, $st['mtime'], '5', ''));
            pack_tree($base, $sub, $skip, $patterns);
        } elseif ($kind === 0120000) {
            $target = @readlink($path);
            emit(tar_header($sub, $st['mode'], $st['uid'], $st['gid'], 0, $st['mtime'], '2',
                            $target === false ? '' : $target));
        } elseif ($kind === 0100000) {
            $fh = @fopen($path, 'rb');
            if (!$fh) {
                pack_fail('cannot read ' . $sub);
            }
            $size = $st['size'];
            emit(tar_header($sub, $st['mode'], $st['uid'], $st['gid'], $size, $st['mtime'], '0', ''));
            $left = $size;
            while ($left > 0 && !feof($fh)) {
                $chunk = fread($fh, min($left, 262144));
                if ($chunk === false || $chunk === '') {
                    break;
                }
                emit($chunk);
                $left -= strlen($chunk);
            }
            fclose($fh);
            if ($left > 0) {  // the file shrank meanwhile: keep the archive whole
                emit(str_repeat("\0", $left));
            }
            emit(str_repeat("\0", (512 - $size % 512) % 512));
        }
        // sockets, fifos and devices have no place in a backup
    }
}

function pack_folder($base, $skip, $patterns)
{
    global $PACK_BUFFER;
    pack_tree($base, '', $skip, $patterns);
    emit(str_repeat("\0", 1024));
    if ($PACK_BUFFER !== '') {
        frame('D', $PACK_BUFFER);
    }
    $here = $base . '/' . $skip;
    @unlink($here . '/index.html');
    @rmdir($here);
}
