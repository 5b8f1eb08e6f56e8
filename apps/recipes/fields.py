"""An application's fields as data: the manifest's typed ``fields``, checked in one place.

Every application names the fields it asks for in its manifest (``fields``: name ->
spec). Install, edit, the GUI forms, the API's ``cf-<name>`` members and the recipe's
``AppContext.fields`` all come from these specs, so an application's own fields (a
wiki's ACL policy, a webmail's IMAP host) reach its installer without engine changes.

A spec has ``type`` and optionally ``label``, ``text`` (help), ``sort_order``,
``gettable`` (shown by the API, default true), ``settable`` (editable, default true),
``default``, ``required`` and ``invalid`` (the sentence shown for a refused value).
Per type:

- ``text``: ``max_length`` (255), ``pattern`` (a regular expression the whole value must
  match, no surrounding spaces), ``generate: "login"`` (empty -> ``admin_xxxxxx``),
  ``role: "title"`` (the install's title, shown in lists; else the application's name).
- ``password``: ``min_length`` (8), max 128; empty -> a random one unless
  ``generate`` is false. Secret: never stored on the install nor shown by the API.
- ``email``: an address; ``from_account: true`` -> empty means the owner's address.
- ``select`` / ``radio``: ``options`` (value -> label); the value must be one of them.
- ``checkbox``: yes/no (``1``/``0``, ``yes``/``no``, ``true``/``false``); stored as a boolean.
- ``generated``: never asked for; a random secret of ``length`` (32) characters made at
  install time for the installer (a salt, a secret key). Secret like a password.

A spec without ``type`` only describes (``version``). ``language`` is the engine's own
(the install's language column, options from the manifest's ``languages``).

By convention (Installatron's names) ``login``, ``passwd`` and ``email`` are the admin
account's username, password and address, whatever the application.
"""

from __future__ import annotations

import re
import secrets
import string

from apps.accounts.validation import check_email
from installatron_gui.lib.errors import InstallatronError, InstallError
from installatron_gui.lib.flags import yes_no

FIELD_TYPES = {"text", "password", "email", "select", "radio", "checkbox", "generated"}
# Values the installer is given but that are never stored on the install or shown.
SECRET_TYPES = {"password", "generated"}
# Manifest fields the engine keeps in columns of its own.
ENGINE_FIELDS = {"language", "version"}
# Parameter names install, edit and the forms use themselves: no field may take them.
# (v2 drops the ``cf-`` prefix; a field named like one of the record's own members, such
# as ``title``, is shown under that name only in v1: the record's member wins in v2.)
RESERVED = {
    "id", "application", "installer", "url", "url_ip", "url_domain", "path",
    "owner", "status", "time", "task", "content", "dryrun", "background", "user", "reseller",
    "db_type", "db_host", "db_host_ip", "db_name", "db_user", "db_pass", "db_prefix",
    "autoup", "autoup_backup", "autobk", "autobk_daily", "autobk_weekly", "autobk_monthly",
    "bkloc", "notification", "delete", "delete-backups", "files", "tables", "vhost",
    "folder", "db_mode", "database", "database_pass", "stage_of", "link_admin",
}  # fmt: skip
# What the browser API shows of a field spec (the reference's members).
PUBLIC_KEYS = ("label", "text", "type", "default", "value", "options", "gettable", "settable",
               "sort_order")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
TEXT_MAX = 255
PASSWD_MIN = 8
PASSWD_MAX = 128
_ALNUM = string.ascii_letters + string.digits


def random_password(length: int = 16) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def random_login() -> str:
    """The reference installs with a random admin name when none is given."""
    return "admin_" + "".join(secrets.choice(string.ascii_lowercase + string.digits)
                              for _ in range(6))


def spec_problems(name: str, spec: dict) -> list[str]:
    """What is wrong with one manifest field (for the manifest check at load time)."""
    kind = spec.get("type")
    if kind is None:
        return []
    problems = []
    if kind not in FIELD_TYPES:
        problems.append(f"field {name}: unknown type {kind!r}")
    if name not in ENGINE_FIELDS and (not NAME_RE.match(name) or name in RESERVED):
        problems.append(f"field {name}: the name is reserved or not a-z0-9_")
    if kind in {"select", "radio"} and name != "language" and not spec.get("options"):
        problems.append(f"field {name}: {kind} needs options")
    if spec.get("pattern"):
        try:
            re.compile(spec["pattern"])
        except re.error:
            problems.append(f"field {name}: pattern is not a regular expression")
    return problems


def app_fields(recipe) -> dict[str, dict]:
    """The application's own typed fields, in ``sort_order`` (language and version left
    to the engine)."""
    return {name: spec for name, spec in recipe.fields.items()
            if spec.get("type") and name not in ENGINE_FIELDS}


def asked_fields(recipe) -> dict[str, dict]:
    """The fields an install asks for: every one but generated secrets, whether or not an
    edit may change it later (``settable``: an admin account is set once, at install)."""
    return {name: spec for name, spec in app_fields(recipe).items()
            if spec["type"] != "generated"}


def settable_fields(recipe) -> dict[str, dict]:
    """The fields an edit may change (generated secrets never are)."""
    return {name: spec for name, spec in app_fields(recipe).items()
            if spec.get("settable", True) and spec["type"] != "generated"}


def title_field(recipe) -> str | None:
    """The field whose value is the install's title (``role: "title"``), if any."""
    return next((n for n, s in app_fields(recipe).items() if s.get("role") == "title"), None)


def is_secret(spec: dict) -> bool:
    return spec.get("type") in SECRET_TYPES


def stored(recipe, values: dict) -> dict:
    """The values kept on the install (``Install.fields``): every field but secrets."""
    specs = app_fields(recipe)
    return {n: v for n, v in values.items() if n in specs and not is_secret(specs[n])}


def secret_values(recipe, values: dict) -> dict:
    """The secret values (passwords, generated secrets): for the worker only."""
    specs = app_fields(recipe)
    return {n: v for n, v in values.items() if n in specs and is_secret(specs[n])}


def api_members(recipe, values: dict) -> dict:
    """The ``cf-<name>`` members of an install's API record: every gettable, non-secret
    field of the manifest in its order (empty if it has no value yet). Without the
    recipe (its folder is gone), the stored values as they are."""
    if recipe is None:
        names = sorted(values)
    else:
        names = [n for n, s in app_fields(recipe).items()
                 if s.get("gettable", True) and not is_secret(s)]
    return {f"cf-{n}": _wire(values.get(n, "")) for n in names}


def _wire(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return "" if value is None else str(value)


def public_fields(recipe) -> dict[str, dict]:
    """The ``fields`` member of the browser API: the reference's keys and types only
    (an email is a ``text``, a checkbox a yes/no ``radio``); generated fields are not
    asked for, so not shown."""
    shown = {}
    for name, spec in recipe.fields.items():
        kind = spec.get("type")
        if kind == "generated":
            continue
        public = {k: v for k, v in spec.items() if k in PUBLIC_KEYS}
        if kind == "email":
            public["type"] = "text"
        elif kind == "checkbox":
            public.update(type="radio", options={"1": "Yes", "0": "No"})
            if "default" in public:
                public["default"] = "1" if public["default"] else "0"
        shown[name] = public
    return shown


def check_values(recipe, params: dict, *, owner_email: str = "") -> dict:
    """Every field of ``recipe`` from install parameters, checked by its type; defaults
    and generated values filled in. ``owner_email`` is used by ``from_account`` emails.
    Raises ``InstallError`` (``invalid_argument_<name>``, ``field=<name>``)."""
    return {name: check_value(name, spec, params.get(name), owner_email=owner_email)
            for name, spec in app_fields(recipe).items()}


def check_value(name: str, spec: dict, raw, *, owner_email: str = ""):
    """One field's value (``raw`` as the API or a form gave it; None is "not given")."""
    kind = spec["type"]
    if kind == "checkbox":
        return _check_checkbox(name, spec, raw)
    if kind == "generated":
        if raw not in (None, ""):
            _refuse(name, spec, f"{_label(name, spec)} is set by the installer, not given.")
        return random_password(int(spec.get("length", 32)))
    value = text_value(raw, name)
    if kind == "password":
        return _check_password(name, spec, value)
    if kind == "email":
        return _check_email(name, spec, value, owner_email)
    if kind in {"select", "radio"}:
        return _check_choice(name, spec, value)
    return _check_text(name, spec, value)


def _label(name: str, spec: dict) -> str:
    return spec.get("label") or name


def _refuse(name: str, spec: dict, message: str):
    raise InstallError(spec.get("invalid") or message, errcode=f"invalid_argument_{name}",
                       field=name)


def text_value(raw, name: str) -> str | None:
    """A text parameter as Installatron's PHP reads it: null and false are "not given",
    a number is its decimal text; true, lists and objects are refused."""
    if raw is None or raw is False:
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() else repr(raw)
    if not isinstance(raw, str):
        raise InstallError(f"{name} must be a text value.", errcode=f"invalid_argument_{name}",
                           field=name)
    return raw


def _has_control(value: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in value)


def _check_text(name: str, spec: dict, value: str | None) -> str:
    if value in (None, "") and spec.get("generate") == "login":
        return random_login()  # before the default: that one is only shown
    if value is None:
        value = str(spec.get("default", ""))
    limit = int(spec.get("max_length", TEXT_MAX))
    if spec.get("pattern"):
        if value.strip() != value or not re.fullmatch(spec["pattern"], value):
            _refuse(name, spec, f"{_label(name, spec)} has characters it may not have.")
        return value
    if len(value) > limit or _has_control(value):
        _refuse(name, spec, f"{_label(name, spec)} must be at most {limit} characters of text.")
    value = value.strip()
    if not value and spec.get("required"):
        _refuse(name, spec, f"{_label(name, spec)} must not be empty.")
    return value


def _check_password(name: str, spec: dict, value: str | None) -> str:
    low = int(spec.get("min_length", PASSWD_MIN))
    if value in (None, ""):
        if spec.get("generate", True):
            return random_password(max(16, low))
        _refuse(name, spec, f"{_label(name, spec)} is required.")
    if len(value) < low or len(value) > PASSWD_MAX or _has_control(value):
        _refuse(name, spec, f"{_label(name, spec)} must have at least {low} characters (and "
                            "no control characters).")
    return value


def _check_email(name: str, spec: dict, value: str | None, owner_email: str) -> str:
    if value in (None, ""):
        value = owner_email if spec.get("from_account") else str(spec.get("default", ""))
        if not value:
            if spec.get("required"):
                raise InstallError(f"{_label(name, spec)} is required (an email address).",
                                   errcode=f"invalid_argument_{name}", field=name)
            return ""
    try:
        return check_email(value.strip(), f"invalid_argument_{name}")
    except InstallatronError as exc:
        raise InstallError(exc.message, errcode=exc.errcode, field=name) from None


def _check_choice(name: str, spec: dict, value: str | None) -> str:
    options = spec.get("options") or {}
    if value in (None, ""):
        value = str(spec.get("default", spec.get("value", "")))
        if not value:
            if spec.get("required"):
                _refuse(name, spec, f"{_label(name, spec)}: choose one of "
                                    f"{', '.join(map(str, options))}.")
            return ""
    if value not in options:
        _refuse(name, spec, f"{_label(name, spec)} must be one of "
                            f"{', '.join(map(str, options))}.")
    return value


def _check_checkbox(name: str, spec: dict, raw) -> bool:
    if raw is None:
        raw = spec.get("default", False)
    value = yes_no(raw)
    if value is None:
        _refuse(name, spec, f"{_label(name, spec)} must be 1 or 0.")
    return value
