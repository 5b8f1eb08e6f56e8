"""WordPress, after it is installed: settings inside the site, its version, its add-ons
and the one-time admin sign-in file (its configuration file is config.py's).

Everything goes through the install's own database account and the website's transport,
so it works the same for local and remote websites. Changes to WordPress's tables are
made in one transaction: either all of them land or none does.
"""

from __future__ import annotations

import hashlib
import html
import re
import secrets

from apps.recipes.base import InstallError, TransportError
from installatron_gui.lib.php import php_quote

VERSION_FILE = "wp-includes/version.php"
# phpass's alphabet and WordPress's cost: PasswordHash(8, true) -> "$P$B" (2**13 rounds).
ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
PHPASS_LOG2 = 13
PLUGIN_HEADERS = {
    "Name": "Plugin Name", "PluginURI": "Plugin URI", "Version": "Version",
    "Description": "Description", "Author": "Author", "AuthorURI": "Author URI",
    "TextDomain": "Text Domain", "DomainPath": "Domain Path", "Network": "Network",
    "RequiresWP": "Requires at least", "RequiresPHP": "Requires PHP",
}
THEME_HEADERS = {
    "Name": "Theme Name", "ThemeURI": "Theme URI", "Description": "Description",
    "Author": "Author", "AuthorURI": "Author URI", "Version": "Version",
    "Template": "Template", "Status": "Status", "Tags": "Tags", "TextDomain": "Text Domain",
    "DomainPath": "Domain Path",
}
# get_file_data() reads this much of a file for its headers.
HEADER_BYTES = 8192


# --------------------------------------------------------------------------- passwords


def _encode64(data: bytes, count: int) -> str:
    out = []
    i = 0
    while True:
        value = data[i]
        i += 1
        out.append(ITOA64[value & 0x3F])
        if i < count:
            value |= data[i] << 8
        out.append(ITOA64[(value >> 6) & 0x3F])
        if i >= count:
            break
        i += 1
        if i < count:
            value |= data[i] << 16
        out.append(ITOA64[(value >> 12) & 0x3F])
        if i >= count:
            break
        i += 1
        out.append(ITOA64[(value >> 18) & 0x3F])
        if i >= count:
            break
    return "".join(out)


def phpass_crypt(password: str, setting: str) -> str:
    """phpass's crypt_private: the portable ``$P$`` hash of ``password`` for ``setting``."""
    if setting[:3] not in ("$P$", "$H$") or len(setting) < 12:
        return "*0"
    count_log2 = ITOA64.find(setting[3])
    if count_log2 < 7 or count_log2 > 30:
        return "*0"
    salt = setting[4:12].encode()
    secret = password.encode("utf-8")
    digest = hashlib.md5(salt + secret).digest()  # noqa: S324 (phpass: WordPress's own format)
    for _ in range(1 << count_log2):
        digest = hashlib.md5(digest + secret).digest()  # noqa: S324 (phpass: WordPress's own format)
    return setting[:12] + _encode64(digest, 16)


def wp_login_form_password(password: str) -> str:
    """The string WordPress really hashes and checks for a password typed in a form.

    $_POST is magic-quoted (wp_magic_quotes: addslashes) and wp_authenticate() trims it;
    the installer and the profile page hash that same slashed form, so we must too."""
    slashed = (password.replace("\\", "\\\\").replace("'", "\\'").replace('"', '\\"')
               .replace("\0", "\\0"))
    return slashed.strip(" \t\n\r\0\x0b")


def phpass_hash(password: str) -> str:
    """The hash WordPress 6.1 stores (wp_hash_password): phpass portable, ``$P$B...``.

    Later WordPress versions still accept it (and rehash on the next login)."""
    setting = "$P$" + ITOA64[PHPASS_LOG2] + _encode64(secrets.token_bytes(6), 6)
    return phpass_crypt(password, setting)


# --------------------------------------------------------------------------- reading files


def read_version(transport, path) -> str:
    """``$wp_version`` from wp-includes/version.php (read as text, never executed)."""
    src = transport.read(path(VERSION_FILE)).decode("utf-8", "replace")
    match = re.search(r"^\s*\$wp_version\s*=\s*'([0-9A-Za-z.\-+]{1,32})'\s*;", src, re.M)
    if not match:
        raise InstallError(f"{VERSION_FILE} does not say which WordPress version this is.",
                           errcode="failed_sync", status=500)
    return match.group(1)


def _headers(data: bytes, names: dict[str, str]) -> dict[str, str]:
    """WordPress's get_file_data(): ``Name: value`` lines in the first 8 kB."""
    text = data[:HEADER_BYTES].decode("utf-8", "replace").replace("\r", "\n")
    found = {}
    for key, label in names.items():
        match = re.search(r"^[ \t/*#@]*" + re.escape(label) + r":(.*)$", text, re.M | re.I)
        value = match.group(1) if match else ""
        found[key] = re.sub(r"\s*(?:\*/|\?>).*", "", value).strip()
    return found


def list_plugins(transport, path) -> dict[str, dict]:
    """Installed plugins as the view API lists them: ``dir/file.php`` -> headers."""
    base = path("wp-content/plugins")
    plugins: dict[str, dict] = {}
    if not transport.is_dir(base):
        return plugins
    candidates = []
    for name in sorted(transport.listdir(base)):
        if name.startswith("."):
            continue
        if name.endswith(".php"):
            candidates.append(name)
        elif transport.is_dir(f"{base}/{name}"):
            candidates += [f"{name}/{inner}" for inner in sorted(transport.listdir(f"{base}/{name}"))
                           if inner.endswith(".php")]
    for rel in candidates:
        try:
            headers = _headers(transport.read(f"{base}/{rel}"), PLUGIN_HEADERS)
        except TransportError:
            continue  # unreadable: not listed, as WordPress would not load it either
        if not headers["Name"]:
            continue
        headers["Network"] = headers["Network"].lower() == "true"
        headers["Title"] = headers["Name"]
        headers["AuthorName"] = headers["Author"]
        plugins[rel] = headers
    return plugins


def list_themes(transport, path) -> dict[str, dict]:
    """Installed themes: folder name -> style.css headers (plus Template, Stylesheet)."""
    base = path("wp-content/themes")
    themes: dict[str, dict] = {}
    if not transport.is_dir(base):
        return themes
    for name in sorted(transport.listdir(base)):
        style = f"{base}/{name}/style.css"
        if name.startswith(".") or not transport.exists(style):
            continue
        headers = _headers(transport.read(style), THEME_HEADERS)
        if not headers["Name"]:
            continue
        headers["Title"] = headers["Name"]
        headers["Template"] = headers["Template"] or name
        headers["Stylesheet"] = name
        themes[name] = headers
    return themes


# --------------------------------------------------------------------------- the database


def _admin_id(cur, prefix: str, login: str) -> int:
    cur.execute(f"SELECT ID FROM `{prefix}users` WHERE user_login = %s", (login,))
    row = cur.fetchone()
    if row is None:
        raise InstallError(f"WordPress has no user '{login}' any more; the installer cannot "
                           "change the administrator's account.", errcode="invalid_argument_login",
                           field="login")
    return int(row[0])


def _set_option(cur, prefix: str, name: str, value: str) -> None:
    cur.execute(f"UPDATE `{prefix}options` SET option_value = %s WHERE option_name = %s",
                (value, name))
    cur.execute(f"SELECT COUNT(*) FROM `{prefix}options` WHERE option_name = %s", (name,))
    if not cur.fetchone()[0]:
        cur.execute(f"INSERT INTO `{prefix}options` (option_name, option_value, autoload) "
                    "VALUES (%s, %s, 'yes')", (name, value))


def apply_settings(conn, prefix: str, admin_login: str, changes: dict) -> None:
    """Change the site's settings in WordPress's own tables, in one transaction.

    ``changes``: any of sitetitle, sitetagline, email, login, passwd, locale. A new
    password is stored as WordPress 6.1 hashes it and ends the admin's open sessions.
    """
    import MySQLdb

    try:
        cur = conn.cursor()
        cur.execute("START TRANSACTION")
        user_id = _admin_id(cur, prefix, admin_login)
        if "sitetitle" in changes:
            _set_option(cur, prefix, "blogname", changes["sitetitle"])
        if "sitetagline" in changes:
            _set_option(cur, prefix, "blogdescription", changes["sitetagline"])
        if "locale" in changes:
            _set_option(cur, prefix, "WPLANG", changes["locale"])
        if "email" in changes:
            cur.execute(f"UPDATE `{prefix}users` SET user_email = %s WHERE ID = %s",
                        (changes["email"], user_id))
            _set_option(cur, prefix, "admin_email", changes["email"])
        if "login" in changes and changes["login"] != admin_login:
            cur.execute(f"SELECT ID FROM `{prefix}users` WHERE user_login = %s AND ID <> %s",
                        (changes["login"], user_id))
            if cur.fetchone():
                raise InstallError(f"WordPress already has another user named "
                                   f"'{changes['login']}'.", errcode="invalid_argument_login",
                                   field="login")
            cur.execute(f"UPDATE `{prefix}users` SET user_login = %s WHERE ID = %s",
                        (changes["login"], user_id))
        if "passwd" in changes:
            hashed = phpass_hash(wp_login_form_password(changes["passwd"]))
            cur.execute(f"UPDATE `{prefix}users` SET user_pass = %s, user_activation_key = '' "
                        "WHERE ID = %s", (hashed, user_id))
            cur.execute(f"DELETE FROM `{prefix}usermeta` WHERE user_id = %s "
                        "AND meta_key = 'session_tokens'", (user_id,))
        conn.commit()
    except MySQLdb.Error as exc:
        conn.rollback()
        raise InstallError(f"WordPress's settings could not be changed: {exc.args[-1]}",
                           errcode="failed_database", status=500) from None
    except BaseException:
        conn.rollback()
        raise


def _unescaped(value: str | None) -> str | None:
    return html.unescape(value) if value is not None else None


def read_settings(conn, prefix: str, admin_login: str) -> dict:
    """Title, tagline, the admin's email and the locale as WordPress has them now."""
    cur = conn.cursor()
    cur.execute(f"SELECT option_name, option_value FROM `{prefix}options` "
                "WHERE option_name IN ('blogname', 'blogdescription', 'WPLANG')")
    options = dict(cur.fetchall())
    # WordPress keeps the title and tagline HTML-escaped (sanitize_option runs esc_html):
    # "Tom &amp; Jerry" is the title "Tom & Jerry".
    found = {"sitetitle": _unescaped(options.get("blogname")),
             "sitetagline": _unescaped(options.get("blogdescription")),
             "locale": options.get("WPLANG")}
    cur.execute(f"SELECT user_email FROM `{prefix}users` WHERE user_login = %s", (admin_login,))
    row = cur.fetchone()
    if row:
        found["email"] = row[0]
    return {k: v for k, v in found.items() if v is not None}


# A role in wp_<prefix>capabilities, as WordPress serializes it: a:1:{s:13:"administrator";b:1;}
ADMIN_ROLE_LIKE = '%"administrator";b:1;%'


def detect_settings(conn, prefix: str) -> dict:
    """An imported site's settings: title, tagline and locale (``read_settings``), the
    first administrator (lowest user id whose ``<prefix>capabilities`` has the
    administrator role) as ``login``, and its address as ``email`` (the site's
    ``admin_email`` when it has none)."""
    found = read_settings(conn, prefix, "")
    cur = conn.cursor()
    cur.execute(f"SELECT u.user_login, u.user_email FROM `{prefix}users` u "
                f"JOIN `{prefix}usermeta` m ON m.user_id = u.ID "
                "WHERE m.meta_key = %s AND m.meta_value LIKE %s ORDER BY u.ID LIMIT 1",
                (f"{prefix}capabilities", ADMIN_ROLE_LIKE))
    admin = cur.fetchone()
    if admin:
        found["login"] = admin[0]
    cur.execute(f"SELECT option_value FROM `{prefix}options` WHERE option_name = 'admin_email'")
    option = cur.fetchone()
    email = (admin[1] if admin else "") or (option[0] if option else "")
    if email:
        found["email"] = email
    return found


# --------------------------------------------------------------------------- admin sign-in

SSO_PHP = """<?php
// A one-time sign-in link made by the installer. It works once, until the time below,
// and removes itself when used or expired. Only a hash of the link's token is here.
$expected = '{digest}';
$expires = {expires};
$login = '{login}';
$token = isset($_GET['t']) ? (string) $_GET['t'] : '';
header('Cache-Control: no-store');
if (time() > $expires) {{
    @unlink(__FILE__);
    http_response_code(410);
    exit('This sign-in link has expired.');
}}
if (!hash_equals($expected, hash('sha256', $token))) {{
    http_response_code(403);
    exit('This sign-in link is not valid.');
}}
// Whoever removes the file is the one use; a second request finds nothing to remove.
if (!@unlink(__FILE__)) {{
    http_response_code(410);
    exit('This sign-in link was already used.');
}}
require __DIR__ . '/wp-load.php';
$user = get_user_by('login', $login);
if (!$user) {{
    http_response_code(404);
    exit('The administrator account does not exist any more.');
}}
wp_set_current_user($user->ID);
wp_set_auth_cookie($user->ID, false, is_ssl());
wp_safe_redirect(admin_url());
exit;
"""


def sso_file(token: str, expires: int, login: str) -> bytes:
    """The PHP file behind a one-time admin link: it holds sha256(token), not the token."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    return SSO_PHP.format(digest=digest, expires=int(expires),
                          login=php_quote(login)).encode("utf-8")
