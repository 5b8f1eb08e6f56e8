"""The OpenAPI 3.1 description of the v2 API, built from ``dispatch.V2_ROUTES``.

Each command's parameters and reply data are described here, once; the routes come from
the dispatcher, so the document cannot list a route the server does not have. Routes
whose command has not landed yet are listed with their 501 ``unsupported_cmd`` answer.
"""

from __future__ import annotations

import re
from copy import deepcopy

from apps.recipes import all_recipes
from apps.recipes import fields as app_fields

from . import dispatch

STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
STR_LIST = {"type": "array", "items": STR}
NULLABLE_STR = {"type": ["string", "null"]}


def field_members(*, given: bool) -> dict:
    """Every application's own fields (their manifests'): the parameters install and edit
    take (``given``), or the members an install shows (gettable, no secrets)."""
    found = {}
    for recipe in all_recipes():
        for name, spec in app_fields.app_fields(recipe).items():
            if given and spec["type"] != "generated":
                found[name] = STR
            elif not given and spec.get("gettable", True) and not app_fields.is_secret(spec):
                found[name] = STR
    return found


SHOWN, TAKEN = field_members(given=False), field_members(given=True)


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


SCHEMAS: dict[str, dict] = {
    "Error": {
        "type": "object",
        "required": ["result", "message", "errcode", "status"],
        "properties": {
            "result": {"const": False},
            "message": STR,
            "errcode": STR,
            "status": INT,
            "data": {"description": "The field the error is about, if any.", **NULLABLE_STR},
        },
        "additionalProperties": False,
    },
    "Task": {
        "type": "object",
        "required": ["id", "status", "cmd"],
        "properties": {
            "id": STR, "user": STR, "ws_label": STR, "url": STR, "title": STR, "label": STR,
            "status": {"enum": ["queued", "processing", "completed", "failed"]},
            "rate": INT, "percentMin": INT, "percentMax": INT,
            "message": {"type": "string", "description": "A message key "
                        "(_tasks_shared_copyingfiles, ...); the sentence is in text."},
            "text": STR, "errcode": NULLABLE_STR,
            "cmd": STR, "install": STR, "time": INT,
        },
    },
    "Install": {
        "description": "An installed application, with API v2's member names and values.",
        "type": "object",
        "required": ["id", "application", "version", "url", "owner"],
        "properties": {
            "id": STR, "application": STR, "version": STR, "language": STR,
            "time_created": INT, "owner": STR, "status": STR, "path": STR,
            "path_created": BOOL, "url": STR, "url_domain": STR, "db_host": STR,
            "db_type": STR, "db_name": STR, "db_user": STR,
            "db_pass": {"const": "", "description": "Never sent: always empty."},
            "db_prefix": STR, "title": STR, "files": STR_LIST, "tables": STR_LIST,
            "autoup": {"enum": ["none", "all", "custom"]},
            "autoup_backup": {"enum": ["none", "all"]},
            "bkloc": STR,
            "autobk": {"enum": ["none", "custom", "schedule"]},
            "autobk_schedule": NULLABLE_STR,
            "autobk_daily": INT, "autobk_weekly": INT, "autobk_monthly": INT,
            "notification": STR_LIST, **SHOWN, "cache_tables": INT, "cache_files": INT, "cache_time": INT,
            "cache_numbackups": INT, "link_admin": STR, "task": NULLABLE_STR,
            "stage_of": {**STR, "description": "A stage clone: the id of its live install."},
            "agent": {**STR, "description": "The version of this server."},
            "autoup_plugins": {"enum": ["none", "all", "custom"]},
            "autoup_themes": {"enum": ["none", "all", "custom"]},
        },
    },
    "Backup": {
        "description": "A backup of an installed application, with API v2's names.",
        "type": "object",
        "required": ["id", "application", "version", "url", "owner"],
        "properties": {
            "id": STR, "file": STR, "application": STR, "version": STR, "language": STR,
            "time_created": {"type": ["integer", "null"]}, "owner": STR, "path": STR,
            "url": STR, "url_domain": STR, "db_host": STR, "db_type": STR, "db_name": STR,
            "db_user": STR, "db_pass": {"const": ""}, "db_prefix": STR, "files": STR_LIST,
            "tables": STR_LIST, "title": STR, "bkloc": STR, "backup_install": STR,
            "backup_location": STR, "backup_time": INT, "backup_filename": STR,
            "cache_time": {"type": ["integer", "null"]}, "cache_archive": INT,
            "checksum": STR, "expiry": {"type": ["integer", "null"]}, "agent": STR,
            "path_created": BOOL, "backup_schedule": STR,
            "autoup": {"enum": ["none", "all", "custom", ""]},
            "autobk": {"enum": ["none", "custom", "schedule"]},
            "autobk_schedule": NULLABLE_STR,
        },
    },
    "InstallPlan": {
        "description": "What a dryrun install would do (nothing was changed).",
        "type": "object",
        "required": ["application", "version", "url"],
        "properties": {
            "application": STR, "version": STR, "language": STR, "url": STR,
            "url_domain": STR, "path": STR, "db_host": STR, "db_name": STR, "db_user": STR,
            "db_prefix": STR, **SHOWN,
        },
    },
    "Release": {
        "description": "One application release as the browser API v2 shows it.",
        "type": "object",
        "required": ["id", "version", "name"],
        "properties": {
            "id": STR, "version": STR, "branch": STR, "name": STR, "category": STR,
            "type": STR, "time": {"type": ["integer", "null"]}, "license": STR,
            "description": STR, "authordescription": STR, "changelog": STR,
            "update": BOOL, "install": BOOL,
            "links": {"type": "object", "additionalProperties": STR},
            "link_admin": STR, "requirements": {"type": "object"},
            "requirements_unmet": {
                "description": "What this server lacks to run the release (PHP version, "
                               "PHP extensions); an install is refused with "
                               "invalid_argument_version_unmetrequirements.",
                **STR_LIST},
            "languages": STR_LIST,
            "fields": {"type": "object"}, "images": STR_LIST, "upgrade_from": STR,
            "tags": STR_LIST,
        },
    },
    "Website": {
        "type": "object",
        "required": ["id", "path", "vhosts"],
        "properties": {
            "id": STR, "label": STR,
            "path": {"type": "string", "description": "Credentials are masked."},
            "vhosts": {"type": "object", "additionalProperties": STR},
            "email": STR, "uid": {"type": ["integer", "null"]},
            "gid": {"type": ["integer", "null"]}, "db_mode": STR, "vhost_ip": STR,
            "databases": {"type": "array", "items": {"type": "object"}},
        },
    },
    "User": {
        "type": "object",
        "required": ["id", "user", "type", "suspended", "websites"],
        "properties": {
            "id": STR, "user": STR, "type": {"enum": ["admin", "reseller", "user"]},
            "reseller": STR, "language": STR, "email": STR, "package": STR,
            "suspended": BOOL, "websites": {"type": "array", "items": ref("Website")},
        },
    },
    "LogEntry": {
        "type": "object",
        "required": ["id", "time", "cmd", "result", "status"],
        "properties": {
            "id": INT, "time": INT, "cmd": STR, "user": STR, "result": BOOL,
            "errcode": NULLABLE_STR, "status": INT, "version": STR, "via": STR,
            "address": NULLABLE_STR, "install": STR, "task": STR,
        },
    },
    "WebsiteInput": {
        "type": "object",
        "description": "A website of the request header (see the integration guide, 3.1).",
        "properties": {
            "id": STR, "label": STR, "path": STR,
            "vhosts": {"type": "object", "additionalProperties": STR},
            "email": STR, "uid": INT, "gid": INT, "db_mode": STR,
            "databases": {"type": "array", "items": {"type": "object"}},
            "vhost_ip": {**STR, "description": "The IP address the vhosts answer on when "
                                               "DNS does not point there."},
        },
    },
}

PAGING = {"limit": {**INT, "minimum": 0}, "offset": {**INT, "minimum": 0},
          "page": {**INT, "minimum": 1}}
HEADER = {"user": STR, "reseller": STR,
          "websites": {"type": "array", "items": ref("WebsiteInput")}}
SCOPE = {"user": STR, "filter-ownedaccounts": STR}

# Per command: query parameters (GET) or body members (POST/DELETE), and reply data.
COMMAND_DOCS: dict[str, dict] = {
    "browser": {
        "summary": "List applications and their releases",
        "params": {"application": STR, "version": STR, "from-version": STR,
                   "versions-available-from": STR, "language": STR, "user": STR, **PAGING},
        "data": {"anyOf": [{"type": "array", "items": ref("Release")}, {"type": "object"}]},
        "list": True,
    },
    "install": {
        "summary": "Install an application",
        "params": {**HEADER, "version": STR, "url": STR, "url_ip": STR, "autoup": STR,
                   "autoup_backup": STR, "db_host": STR, "db_name": STR, "db_user": STR,
                   "db_pass": STR, "db_prefix": STR, "db_host_ip": STR, "notification": STR,
                   "background": STR, "dryrun": {"enum": ["0", "1", "2"]}, "autobk": STR,
                   "autobk_daily": STR, "autobk_weekly": STR, "autobk_monthly": STR,
                   "bkloc": STR, "language": STR, **TAKEN, "content": STR},
        "data": {"anyOf": [ref("Install"), ref("InstallPlan"), {"type": "null"}]},
        "task": True,
        "extra_status": ["202"],
    },
    "installs": {
        "summary": "List installed applications",
        "params": {**SCOPE, "q": STR, "id": STR, "filter-version-available": STR,
                   "filter-version-available-minor": STR, **PAGING},
        "data": {"type": "array", "items": ref("Install")},
        "list": True,
    },
    "uninstall": {
        "summary": "Uninstall an application",
        "params": {**HEADER, "force": STR, "background": STR},
        "data": {"anyOf": [{"type": "object", "properties": {"id": STR}}, {"type": "null"}]},
        "task": True,
        "extra_status": ["202"],
    },
    "detach": {
        "summary": "Stop following automatic updates",
        "params": SCOPE,
        "data": ref("Install"),
    },
    "backups": {
        "summary": "List backups",
        "params": {**SCOPE, "q": STR, "pid": STR, "id": STR, **PAGING},
        "data": {"type": "array", "items": ref("Backup")},
        "list": True,
    },
    "backup": {
        "summary": "Back up an installed application",
        "params": {**HEADER, "expiry": STR, "background": STR},
        "data": {"anyOf": [ref("Backup"), {"type": "null"}]},
        "task": True,
        "extra_status": ["202"],
    },
    "editbackup": {
        "summary": "Edit a backup",
        "params": {**SCOPE, "expiry": STR, "title": STR},
        "data": ref("Backup"),
    },
    "delete": {
        "summary": "Delete a backup",
        "params": {**SCOPE, "force": STR, "background": STR},
        "data": {"type": "object", "properties": {"id": STR}},
    },
    "restore": {
        "summary": "Restore a backup",
        "params": {**HEADER, "db": STR, "background": STR, "dryrun": {"enum": ["0", "1", "2"]}},
        "data": {"anyOf": [ref("Install"), {"type": "object"}, {"type": "null"}]},
        "task": True,
        "extra_status": ["202"],
    },
    "restoreto": {
        "summary": "Restore a backup to another location",
        "params": {**HEADER, "url": STR, "url_ip": STR, "db_host": STR, "db_name": STR,
                   "db_user": STR, "db_pass": STR, "db_prefix": STR, "background": STR,
                   "stage": STR, "dryrun": {"enum": ["0", "1", "2"]}},
        "data": {"anyOf": [ref("Install"), ref("InstallPlan"), {"type": "object"},
                           {"type": "null"}]},
        "task": True,
        "extra_status": ["202"],
    },
    "clone": {
        "summary": "Clone an installed application",
        "params": {**HEADER, "url": STR, "url_ip": STR, "db_host": STR, "db_name": STR,
                   "db_user": STR, "db_pass": STR, "db_prefix": STR, "background": STR,
                   "stage": STR, "dryrun": {"enum": ["0", "1", "2"]}},
        "data": {"anyOf": [ref("Install"), ref("InstallPlan"), {"type": "object"},
                           {"type": "null"}]},
        "task": True,
        "extra_status": ["202"],
    },
    "tasks": {
        "summary": "Running and recently finished tasks",
        "params": {**SCOPE, **PAGING},
        "data": {"type": "array", "items": ref("Task")},
        "list": True,
    },
    "users": {
        "summary": "List users, resellers and their websites",
        "params": {"filter-ownedaccounts": STR, "q": STR,
                   "type": {"enum": ["user", "reseller"]}, **PAGING},
        "data": {"type": "array", "items": ref("User")},
        "list": True,
    },
    "edituser": {
        "summary": "Create or edit a user",
        "params": {"user": STR, "id": STR, "type": {"enum": ["user", "reseller"]}, "reseller": STR,
                   "websites": HEADER["websites"], "language": STR, "email": STR,
                   "package": STR, "suspended": {"enum": ["yes", "no"]}},
        "data": ref("User"),
    },
    "guixfer": {
        "summary": "A one-time GUI session for a user",
        "params": {"reseller": STR, "websites": HEADER["websites"], "language": STR,
                   "email": STR, "package": STR, "type": {"enum": ["user", "reseller"]}},
        "data": {"type": "string", "description": "The GUI address with the session id."},
        "session": True,
    },
    "deleteuser": {
        "summary": "Delete a user and its websites",
        "params": {},
        "data": STR_LIST,
    },
    "logs": {
        "summary": "The audit log of API calls",
        "params": {"user": STR, "filter-ownedaccounts": STR, "cmd": STR, "errcode": STR,
                   "result": STR, "since": STR, "until": STR, **PAGING},
        "data": {"type": "array", "items": ref("LogEntry")},
        "list": True,
    },
}

ERROR_STATUSES = ["400", "403", "404", "405", "409", "413", "500"]


def _reply_schema(doc: dict) -> dict:
    properties = {"result": {"const": True}, "message": STR, "status": INT,
                  "data": doc.get("data", {})}
    required = ["result", "message", "status", "data"]
    if doc.get("list"):
        properties.update(total_count={**INT, "minimum": 0}, has_more=BOOL)
        required += ["total_count", "has_more"]
    if doc.get("task"):
        properties["task"] = ref("Task")
    if doc.get("session"):
        properties["session_id"] = STR
        required.append("session_id")
    return {"type": "object", "required": required, "properties": properties,
            "additionalProperties": False}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _operation(method: str, pattern: str, cmd: str, fixed: dict) -> dict:
    path_names = re.findall(r"\{(\w+)\}", pattern)
    op: dict = {
        "operationId": f"{method.lower()}_{re.sub(r'[^a-z0-9]+', '_', pattern.lower())}",
        "tags": [pattern.split("/")[0]],
        "x-installatron-cmd": cmd,
        "parameters": [{"name": name, "in": "path", "required": True, "schema": STR}
                       for name in path_names],
    }
    error = _json(ref("Error"))
    if cmd not in dispatch.COMMANDS:
        op["summary"] = f"cmd={cmd} (not available on this server yet)"
        op["responses"] = {"501": {"description": "unsupported_cmd", **error},
                           "403": {"description": "invalid_api_key", **error}}
        return op
    doc = COMMAND_DOCS.get(cmd, {})
    op["summary"] = doc.get("summary", f"cmd={cmd}")
    params = {k: v for k, v in doc.get("params", {}).items() if k not in path_names}
    if method == "GET":
        op["parameters"] += [{"name": name, "in": "query", "required": False,
                              "schema": deepcopy(schema)} for name, schema in params.items()]
    else:
        op["requestBody"] = {"required": False, **_json(
            {"type": "object", "properties": deepcopy(params)})}
    responses = {"200": {"description": "Success", **_json(_reply_schema(doc))}}
    for status in doc.get("extra_status", []):
        responses[status] = {"description": "Still running: poll the tasks API",
                             **_json(_reply_schema({**doc, "data": {"type": "null"}}))}
    for status in ERROR_STATUSES:
        responses[status] = {"description": "Error (see errcode)", **error}
    op["responses"] = responses
    return op


def build() -> dict:
    paths: dict[str, dict] = {}
    for method, pattern, cmd, fixed in dispatch.V2_ROUTES:
        paths.setdefault(f"/{pattern}", {})[method.lower()] = _operation(
            method, pattern, cmd, fixed)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Installatron Server compatible API (v2)",
            "version": "2.0",
            "description": (
                "REST endpoints of the Installatron Server API v2. Every route is also "
                "served under /api/v2/. Send the key in X-API-Key (or key/key2), "
                "X-HTTP-Method-Override tunnels a method through POST, and "
                "X-API-Version: 1.0 (or api_version=1.0) answers with API v1 member "
                "names. v1 cmd= calls go to /, /index.php or /server/v1."),
        },
        "servers": [{"url": "/"}, {"url": "/api/v2"}],
        "security": [{"ApiKey": []}],
        "paths": paths,
        "components": {
            "schemas": deepcopy(SCHEMAS),
            "securitySchemes": {
                "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}},
        },
    }


# view, sync, edit, createadminsso and templates (apps/api/commands/manage.py). edit's
# data is an install, or the plugin/theme lists of the add-on routes that map onto it.
_EDIT_PARAMS = {name: STR for name in (
    "url", "url_ip", "autoup", "autoup_backup", "notification", "autobk", "autobk_daily",
    "autobk_weekly", "autobk_monthly", "bkloc", "db_host", "db_name", "db_user", "db_pass",
    "db_prefix", "language", *TAKEN, "delete", "delete-backups", "background")}
COMMAND_DOCS.update({
    "view": {"summary": "View an installed application, synced from its site",
             "params": {**SCOPE, "addons": STR}, "data": {"type": "object"}},
    "sync": {"summary": "Sync an installed application from its site; with push=1, copy a "
                        "stage clone onto its live install",
             "params": {**SCOPE, "addons": STR, "push": STR, "background": STR},
             "data": {"anyOf": [{"type": "object"}, {"type": "null"}]}, "task": True,
             "extra_status": ["202"]},
    "edit": {"summary": "Edit an installed application", "params": {**HEADER, **_EDIT_PARAMS},
             "data": {"anyOf": [{"type": "object"}, {"type": "null"}]}, "task": True,
             "extra_status": ["202"]},
    "createadminsso": {"summary": "A one-time link into the application's administration",
                       "params": SCOPE,
                       "data": {"type": "object", "properties": {"id": STR, "url": STR,
                                                                 "expires": INT}}},
    "template": {"summary": "Save an installed application as a template",
                 "params": {**HEADER, "title": STR, "background": STR},
                 "data": {"anyOf": [{"type": "object"}, {"type": "null"}]}, "task": True,
                 "extra_status": ["202"]},
    "templates": {"summary": "List templates", "params": {**SCOPE, "q": STR, "id": STR, **PAGING},
                  "data": {"type": "array", "items": {"type": "object"}}, "list": True},
    "edittemplate": {"summary": "Edit a template", "params": {**SCOPE, "title": STR},
                     "data": {"type": "object"}},
    "deletetemplate": {"summary": "Delete a template", "params": SCOPE,
                       "data": {"type": "object", "properties": {"id": STR}}},
})
