<?php
require __DIR__ . '/admin.php'; // the admin account, written by the installer
header('Content-Type: text/plain');
$login = isset($_POST['login']) ? (string) $_POST['login'] : '';
$password = isset($_POST['password']) ? (string) $_POST['password'] : '';
if ($login === NB_ADMIN_LOGIN
        && hash_equals(NB_ADMIN_HASH, hash('sha256', NB_ADMIN_SALT . $password))) {
    echo 'Welcome, ' . $login;
} else {
    http_response_code(403);
    echo 'Wrong login or password';
}
