"""API v2's renames of reply members and enum values, in one place.

Every command builds its data with the v1 member names the integration guide shows;
replies to v2 calls pass through these functions, driven by the tables of the v2
adoption guide ("API v2 Response Data Changes"). So no command renames on its own and
v1 and v2 can never describe the same object differently.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone

# /installs, /backups and /templates: v1 member -> v2 member (the guide's table, in order).
# An application's fields, ``cf-<name>`` in v1 (cf-login, cf-sitetitle, a wiki's
# cf-acl_policy), are ``<name>`` in v2 (the guide's cf-login -> login): see ``v2_name``.
INSTALL_RENAMES: dict[str, str] = {
    "list-files": "files",
    "list-exclude-files": "exclude_files",
    "list-tables": "tables",
    "url-domain": "url_domain",
    "installer": "application",
    "autoup-backup": "autoup_backup",
    "autoup-plugins": "autoup_plugins",
    "autoup-themes": "autoup_themes",
    "autobk-daily": "autobk_daily",
    "autobk-weekly": "autobk_weekly",
    "autobk-monthly": "autobk_monthly",
    "list-plugins": "plugins",
    "list-themes": "themes",
    "list-notification": "notification",
    "path-created": "path_created",
    "db-host": "db_host",
    "db-type": "db_type",
    "db-name": "db_name",
    "db-user": "db_user",
    "db-pass": "db_pass",
    "db-prefix": "db_prefix",
    "version-updates-available": "version_updates_available",
    "cache-tables": "cache_tables",
    "cache-files": "cache_files",
    "cache-time": "cache_time",
    "cache-numbackups": "cache_numbackups",
    "cache-preview": "cache_preview",
    "link-admin": "link_admin",
    "time": "time_created",
    "time-updated": "time_updated",
    "version-autouped": "version_autouped",
    "version-autouped-attempts": "version_autouped_attempts",
    "version-available": "version_available",
    "stage-of": "stage_of",  # ours: the live install of a stage clone
}

# Backup members the guide's table does not list. Renamed the same way (hyphen to
# underscore) so that a v2 record never mixes the two styles; ours, not the guide's.
BACKUP_RENAMES: dict[str, str] = {
    "backup-install": "backup_install",
    "backup-location": "backup_location",
    "backup-time": "backup_time",
    "backup-filename": "backup_filename",
    "backup-schedule": "backup_schedule",
    "cache-archive": "cache_archive",
    "version-available-minor": "version_available_minor",
    "version-notified": "version_notified",
    # The view's members beside 002's table (001 3.7's example), renamed the same way.
    "plugin-updates-available": "plugin_updates_available",
    "plugin-updates-notified": "plugin_updates_notified",
    "theme-updates-available": "theme_updates_available",
    "theme-updates-notified": "theme_updates_notified",
}

# The guide's modified return values: v1 integer (as the v1 replies spell it) -> v2 enum.
AUTOUP = {"0": "none", "1": "custom", "2": "all"}
AUTOUP_ADDONS = {"0": "none", "1": "all", "2": "custom"}  # autoup_plugins, autoup_themes
AUTOUP_BACKUP = {"0": "none", "1": "all"}

# Not in the guide's list of changed values, but v2 replies are typed JSON (its booleans and
# UNIX time stamps): these v1 strings become numbers or booleans.
V2_INTEGERS = {
    "time_created", "time_updated", "cache_tables", "cache_files", "cache_time",
    "cache_numbackups", "cache_preview", "autobk_daily", "autobk_weekly", "autobk_monthly",
    "version_autouped_attempts", "backup_time", "cache_archive", "expiry",
}  # fmt: skip
V2_BOOLEANS = {"path_created"}

# /browser: v1 member -> v2 member; link_* members (the guide names changelog, site, demo,
# showcase, support and docs; faq and installersupport go the same way) move into
# ``links``. link_admin stays: it is the install's admin path, not a web link.
BROWSER_RENAMES = {"appid": "id"}


def _enum(value, table: dict[str, str]):
    key = str(int(value)) if isinstance(value, bool) else str(value)
    return table.get(key, value)


def _typed(name: str, value):
    if name in V2_BOOLEANS:
        return str(value).strip().lower() in {"1", "true", "yes"}
    if name in V2_INTEGERS and isinstance(value, str):
        if value == "":
            return None
        try:
            return int(value)
        except ValueError:
            return value
    return value


RENAMED = {*INSTALL_RENAMES.values(), *BACKUP_RENAMES.values()}


def v2_name(name: str) -> str:
    """A record member's v2 name (``cf-<field>`` -> ``<field>``)."""
    if name.startswith("cf-"):
        return name[3:]
    return INSTALL_RENAMES.get(name) or BACKUP_RENAMES.get(name, name)


def install_to_v2(data: dict) -> dict:
    """An install, backup or template record with v1 names -> the same record in v2 terms."""
    out: dict = {}
    for name, value in data.items():
        new = v2_name(name)
        if name.startswith("cf-") and (new in data or new in RENAMED):
            continue  # an application field named like a record member (title): the member
        out[new] = _typed(new, value)
    if "autoup" in out:
        out["autoup"] = _enum(out["autoup"], AUTOUP)
    for name in ("autoup_plugins", "autoup_themes"):
        if name in out:
            out[name] = _enum(out[name], AUTOUP_ADDONS)
    if "autoup_backup" in out:
        out["autoup_backup"] = _enum(out["autoup_backup"], AUTOUP_BACKUP)
    if "autobk" in out:
        autobk = str(out["autobk"] or "")
        if autobk in ("", "0", "none"):
            out["autobk"], out["autobk_schedule"] = "none", None
        elif autobk == "custom":
            out["autobk"], out["autobk_schedule"] = "custom", None
        else:  # a schedule id
            out["autobk"], out["autobk_schedule"] = "schedule", autobk
    if "suspended" in out:
        out["suspended"] = suspended_to_v2(out["suspended"])
    return out


def suspended_to_v2(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"yes", "1", "true"}


def account_to_v2(data: dict) -> dict:
    """A users API record: ``suspended`` yes/no -> boolean."""
    out = dict(data)
    if "suspended" in out:
        out["suspended"] = suspended_to_v2(out["suspended"])
    return out


def _unix(value) -> int | None:
    if isinstance(value, int):
        return value
    if not value:
        return None
    try:
        day = date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
    return int(datetime.combine(day, time(0), tzinfo=timezone.utc).timestamp())


def browser_to_v2(data: dict) -> dict:
    """A browser release: appid -> id, link_* -> links{}, date -> time, booleans."""
    out: dict = {}
    links: dict = {}
    for name, value in data.items():
        if name == "id":
            continue  # v1's release id ("<application>_<version>") gives way to the application id
        if name.startswith("link_") and name != "link_admin":
            links[name[5:]] = value
            continue
        if name == "date":
            out["time"] = _unix(value)
            continue
        if name == "upgrade":
            out["update"] = value not in ("none", "", None, False)
            continue
        if name == "install":
            out["install"] = value in ("auto", True)
            continue
        out[BROWSER_RENAMES.get(name, name)] = value
    out["links"] = links
    return out


# Inputs: the enum values v2 replies show, accepted back as the v1 values they stand for.
ENUM_INPUTS = {
    "autoup": AUTOUP, "autoup_backup": AUTOUP_BACKUP,
    "autoup_plugins": AUTOUP_ADDONS, "autoup_themes": AUTOUP_ADDONS,
}  # fmt: skip


def enum_inputs(params: dict) -> None:
    """Turn the v2 enum values a caller sends back (``autoup=all``, ``autobk=schedule``
    with ``autobk_schedule``, ...) into the v1 values the commands check, in place."""
    for name, table in ENUM_INPUTS.items():
        value = params.get(name)
        if isinstance(value, bool) and name == "autoup_backup":
            params[name] = "1" if value else "0"
            continue
        if isinstance(value, str):
            back = {enum: v1 for v1, enum in table.items()}
            params[name] = back.get(value.strip().lower(), value)
    autobk = params.get("autobk")
    if isinstance(autobk, str) and autobk.strip().lower() == "schedule":
        params["autobk"] = params.get("autobk_schedule") or autobk
    elif autobk in (None, "") and params.get("autobk_schedule") not in (None, ""):
        params["autobk"] = params["autobk_schedule"]


SHAPES = {"install": install_to_v2, "backup": install_to_v2, "template": install_to_v2,
          "browser": browser_to_v2, "account": account_to_v2}


def for_version(data, v2: bool, kind: str = "install"):
    """``data`` (a record or a list of records, v1 names) as a v1 or v2 reply shows it."""
    if not v2 or data is None:
        return data
    convert = SHAPES[kind]
    if isinstance(data, list):
        return [convert(item) if isinstance(item, dict) else item for item in data]
    return convert(data) if isinstance(data, dict) else data
