"""Editing an installed application (the reference's ``edit``, section 3.8).

``check_edit`` validates every parameter with the install's own rules (the helpers of
``check_install``) and returns an ``EditPlan``; ``apply_edit`` carries it out. Settings
that only live in our record (autoup, backups, notifications) are stored at once; those
that live in the site (its URL, database settings, the admin account, title, tagline,
language) are changed inside the application by a task, as undoable steps: a snapshot of
the tables, the config file, the files moved, the URLs rewritten, the settings written,
the site checked. A failure puts files, config and tables back as they were.
"""

from __future__ import annotations

import logging
import posixpath
import tempfile
import time
import types
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from apps.catalog.errors import CatalogError
from apps.recipes import fields as app_fields
from apps.recipes.base import get_recipe
from apps.recipes.fields import text_value
from apps.sites.database import Database
from apps.sites.urlrewrite import UrlRewriter
from apps.tasks.models import Task
from apps.tasks.services import enqueue
from apps.transports.base import TransportError

from . import services
from .errors import InstallError
from .holds import busy_error, hold_install, release_install
from .models import Install
from .plan import (
    ADDON_AUTOUP,
    SHADOWING,
    DbPlan,
    check_addon_autoup,
    check_backup_options,
    check_database,
    check_language,
    check_url,
    flag_param,
)
from .reach import connect_db, open_website, remove_empty_dirs, tables_with_prefix
from .signals import forget_backups
from .steps import Report, Step, run_steps

log = logging.getLogger(__name__)

STORED = ("autoup", "autoup_backup", "notification", "autobk", "autobk_daily", "autobk_weekly",
          "autobk_monthly", "bkloc", *ADDON_AUTOUP)
DB_FIELDS = ("db_host", "db_name", "db_user", "db_pass", "db_prefix")
# Every parameter edit understands (plus the request header's, which the API strips), and
# the application's own fields, which its manifest names (fields.py; checked there).
KNOWN = {"url", "url_ip", *STORED, "language", *DB_FIELDS, "delete", "delete-backups"}
TEXT = {"url", "url_ip", "notification", "autobk", "bkloc", "language", *DB_FIELDS}
# How long the changed site may take to answer as it should (see verify below).
VERIFY_SECONDS = 8


@dataclass
class Move:
    website: object
    url: str
    url_domain: str
    url_ip: str
    target: str


@dataclass
class EditPlan:
    """What an edit will change. ``params`` (secrets included) travel to the worker
    encrypted on the install row, never in a Celery message; ``repr`` leaves them out."""

    install: Install
    recipe: object
    params: dict = field(repr=False)
    stored: dict = field(default_factory=dict)
    app: dict = field(default_factory=dict, repr=False)
    db: DbPlan | None = None
    move: Move | None = None
    delete: bool = False
    delete_backups: bool = False

    @property
    def touches_site(self) -> bool:
        """True when the site itself changes: the work then runs as a task."""
        return bool(self.app or self.db or self.move) and not self.delete


def _given(params: dict, name: str) -> bool:
    return params.get(name) is not None


def check_edit(install: Install, params: dict, *, held: bool = False) -> EditPlan:
    """Validate an edit of ``install``. Raises InstallError with the reference's errcode.

    ``held``: the caller's task already holds the install (the worker re-checks).
    Database credentials are tried, the new URL's folder is looked at, and a new
    language must have its files in the site, before anything is changed.
    """

    if not held and install.busy:
        raise busy_error(install)
    params = {k: v for k, v in params.items()
              if k in KNOWN or app_fields.NAME_RE.match(str(k))}
    # Text parameters as install reads them: null/false are not given, numbers are text.
    for name in TEXT.intersection(params):
        value = text_value(params[name], name)
        if value is None:
            del params[name]
        else:
            params[name] = value
    plan = EditPlan(install=install, recipe=None, params=params,
                    delete=flag_param(params, "delete", False),
                    delete_backups=flag_param(params, "delete-backups", False))
    if plan.delete:
        return plan  # the record goes; nothing else matters
    if install.status != Install.Status.INSTALLED and not plan.delete_backups:
        raise InstallError(f"The install is {install.get_status_display().lower()}, not "
                           "installed; only delete and delete-backups apply.",
                           errcode="invalid_argument_id", field="id")
    try:
        plan.recipe = get_recipe(install.installer)
    except CatalogError as exc:
        raise InstallError(exc.message, errcode="invalid_argument_id", field="id") from None
    plan.stored = _check_stored(install, params)
    plan.app = _check_app_fields(plan, params)
    plan.db = _check_db(plan, params)
    plan.move = _check_move(plan, params)
    if plan.touches_site:
        _check_on_site(plan)
    return plan


def edit_problems(install: Install, params: dict) -> list[InstallError]:
    """Every problem ``check_edit`` finds in the input alone, not only the first: the
    Edit form shows them all at once, each beside its field. The automation options,
    each of the application's fields, the database and the address are checked apart;
    an empty list means ``check_edit`` is next (it also looks at the site)."""
    try:
        recipe = get_recipe(install.installer)
    except CatalogError:
        return []  # check_edit says so
    plan = EditPlan(install=install, recipe=recipe, params=params, delete=False,
                    delete_backups=False)
    problems: list[InstallError] = []

    def attempt(check, *args):
        try:
            check(*args)
        except InstallError as exc:
            if not any((p.field, p.message) == (exc.field, exc.message) for p in problems):
                problems.append(exc)

    attempt(_check_stored, install, params)
    for name in ("language", *app_fields.asked_fields(recipe)):
        if _given(params, name):
            attempt(_check_app_fields, plan, {name: params[name]})
    attempt(_check_db, plan, params)
    attempt(_check_move, plan, params)
    return problems


def _check_stored(install: Install, params: dict) -> dict:
    """autoup, autoup_backup, notification, autobk*, bkloc: install's rules, current
    values for whatever is not given."""
    if not any(_given(params, n) for n in STORED):
        return {}
    merged = {
        "autoup": str(install.autoup), "autoup_backup": "1" if install.autoup_backup else "0",
        "autobk": install.autobk or "0", "autobk_daily": install.autobk_daily,
        "autobk_weekly": install.autobk_weekly, "autobk_monthly": install.autobk_monthly,
        "bkloc": install.bkloc or "local", "notification": ",".join(install.notification),
    }
    merged.update({n: params[n] for n in STORED if _given(params, n)})
    addon_autoup = check_addon_autoup({n: getattr(install, n) for n in ADDON_AUTOUP}
                                      | {n: params[n] for n in ADDON_AUTOUP if _given(params, n)})
    return {**check_backup_options(merged), **addon_autoup}


def _check_app_fields(plan: EditPlan, params: dict) -> dict:
    """The language and the application's settable fields, each by its manifest type;
    returns only what changes. An empty value leaves a field as it is, except for a text
    the application does not require (a tagline may be cleared)."""
    install, recipe = plan.install, plan.recipe
    specs = app_fields.settable_fields(recipe)
    _refuse_fixed(install, recipe, params, specs)
    given = {n: params[n] for n in ("language", *specs) if _given(params, n)
             and (params[n] != "" or _clearable(specs.get(n)))}
    if not given:
        return {}
    if not recipe.supports("apply_settings"):
        raise InstallError(f"{recipe.name}'s own settings cannot be changed here.",
                           errcode=f"invalid_argument_{next(iter(given))}",
                           field=next(iter(given)))
    current = dict(install.fields or {})
    changes = {}
    if "language" in given:
        language = check_language(recipe, given)
        if language != install.language:
            changes["language"] = language
    owner_email = (install.website.email if install.website else "") or install.account.email
    for name in given.keys() - {"language"}:
        value = app_fields.check_value(name, specs[name], given[name], owner_email=owner_email)
        if app_fields.is_secret(specs[name]) or value != current.get(name):
            changes[name] = value
    # The application's own rules, on the values the site will have.
    recipe.check_fields({"language": install.language, "content": install.content,
                         **current, **changes})
    if "language" in changes:
        changes["locale"] = recipe.locale_for(changes["language"])
    return changes


def _refuse_fixed(install: Install, recipe, params: dict, settable: dict) -> None:
    """A field the application sets once, at install (``settable`` false: an admin
    account it cannot change afterwards), is refused when an edit gives it a new value
    (``invalid_argument_<field>``) instead of being ignored; its current value (as the
    view shows it) may be sent back unchanged."""
    current = install.fields or {}
    for name, spec in app_fields.asked_fields(recipe).items():
        if name in settable or name == "language" or not _given(params, name) \
                or str(params[name]) == "":
            continue
        if not app_fields.is_secret(spec) and str(params[name]) == str(current.get(name, "")):
            continue
        label = spec.get("label") or name
        raise InstallError(f"{recipe.name}'s {label} is set at install and cannot be changed "
                           "here; change it in the application itself.",
                           errcode=f"invalid_argument_{name}", field=name)


def _clearable(spec: dict | None) -> bool:
    return bool(spec) and spec["type"] == "text" and not spec.get("required") \
        and not spec.get("generate")


def _check_db(plan: EditPlan, params: dict) -> DbPlan | None:
    install = plan.install
    if not any(_given(params, n) for n in DB_FIELDS):
        return None
    if not install.db_name:
        raise InstallError("This install has no database.", errcode="invalid_argument_db_name",
                           field="db_name")
    if not plan.recipe.supports("repoint"):
        raise InstallError(f"{plan.recipe.name}'s database settings cannot be changed here.",
                           errcode="invalid_argument_db_name", field="db_name")
    merged = {"db_host": install.db_host, "db_name": install.db_name,
              "db_user": install.db_user, "db_pass": install.db_pass,
              "db_prefix": install.db_prefix}
    merged.update({n: str(params[n]) for n in DB_FIELDS if _given(params, n)})
    db = check_database(plan.recipe, merged, install.website)
    same = (db.host, db.name, db.user, db.password, db.prefix) == (
        install.db_host, install.db_name, install.db_user, install.db_pass, install.db_prefix)
    return None if same else db


def _check_move(plan: EditPlan, params: dict) -> Move | None:
    install = plan.install
    if not _given(params, "url") or str(params["url"]).strip() == "":
        return None
    website, url, domain, target = check_url(install.account, params, plan.recipe)
    if url == install.url:
        return None
    if website.pk != install.website_id:
        raise InstallError("The new url belongs to another website; an install can only move "
                           "within its website (clone it to copy it elsewhere).",
                           errcode="invalid_argument_url", field="url")
    if Install.objects.occupying(url, website, target).exclude(pk=install.pk).exists():
        raise InstallError(f"Another application is already installed at {url}.",
                           errcode="invalid_argument_url_alreadyexists", field="url")
    own = [posixpath.join(install.path, n) if install.path else n for n in install.list_files]
    if target == install.path or any(target == p or target.startswith(p + "/") for p in own):
        raise InstallError(f"{url} is inside the install's own files; choose another address.",
                           errcode="invalid_argument_url", field="url")
    url_ip = str(params.get("url_ip") or install.url_ip or "").strip()
    return Move(website=website, url=url, url_domain=domain, url_ip=url_ip, target=target)


def _join(base: str, name: str) -> str:
    return posixpath.join(base, name) if base else name


def _check_on_site(plan: EditPlan) -> None:
    """What only the site and the database server can tell, before anything changes."""

    install = plan.install
    try:
        with open_website(install.website) as t:
            if plan.app.get("locale"):
                plan.recipe.check_language(t, lambda n: _join(install.path, n),
                                           plan.app["locale"])
            if plan.move and t.exists(plan.move.target):
                if not t.is_dir(plan.move.target):
                    raise InstallError(f"{plan.move.url} points to a file, not a folder.",
                                       errcode="invalid_argument_url_alreadyexists", field="url")
                there = set(t.listdir(plan.move.target))
                clash = sorted(there & (set(install.list_files) | set(SHADOWING)))
                if clash:
                    raise InstallError(
                        f"The folder for {plan.move.url} already holds {', '.join(clash[:5])}; "
                        "remove them or choose another address.",
                        errcode="invalid_argument_url_alreadyexists", field="url")
    except TransportError as exc:
        raise InstallError(exc.message, errcode=exc.errcode, status=exc.status) from None
    if plan.db:
        db = plan.db
        conn = connect_db(db.host, db.user, db.password, db.name,
                                   errcode="invalid_argument_db_user", status=400)
        try:
            present = set(tables_with_prefix(conn, db.prefix))
        finally:
            conn.close()
        wanted = {db.prefix + t[len(install.db_prefix):] for t in install.list_tables}
        missing = sorted(wanted - present)
        if missing:
            raise InstallError(f"The database {db.name} does not have the install's tables "
                               f"({', '.join(missing[:3])}...); copy them there first.",
                               errcode="invalid_argument_db_name", field="db_name")


# --------------------------------------------------------------------------- applying


def apply_edit(plan: EditPlan, *, report: Report) -> Install | None:
    """Carry out a checked edit. Returns the install, or None when ``delete`` forgot it.

    ``delete-backups`` forgets the install's backup records (archives stay on disk);
    ``delete`` forgets the install (its files and tables stay). Site changes run as
    undoable steps; the record is updated only once they all worked.
    """
    install = plan.install
    if plan.delete_backups:
        forget_backups.send(sender=Install, install=install)
    if plan.delete:
        install.delete()
        return None
    if plan.touches_site:
        _apply_on_site(plan, report)
    for name, value in plan.stored.items():
        setattr(install, name, value)
    if plan.db:
        db = plan.db
        if (db.host, db.name) != (install.db_host, install.db_name):
            # Not the database the panel made: uninstall drops its tables, never it.
            install.db_created_by_panel = False
        install.db_host, install.db_name, install.db_user = db.host, db.name, db.user
        install.db_pass, install.db_prefix = db.password, db.prefix
        install.list_tables = [db.prefix + t[len(plan.install.db_prefix):]
                               for t in install.list_tables]
    changed = app_fields.stored(plan.recipe, plan.app)
    if changed:
        install.fields = {**(install.fields or {}), **changed}
        title = app_fields.title_field(plan.recipe)
        if title in changed:
            install.title = changed[title]
    if "language" in plan.app:
        install.language = plan.app["language"]
    install.save()  # a new bkloc is saved as the user's location (backups/receivers.py)
    return install


def _scratch():
    """A private folder (0700) for the tables' snapshot, on the disk meant for dumps
    (beside the backups), removed afterwards."""
    base = Path(settings.BACKUP_DIR)
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix=".edit-", dir=base)


def _apply_on_site(plan: EditPlan, report: Report) -> None:
    install, recipe = plan.install, plan.recipe
    old_path = install.path
    db = plan.db or DbPlan(mode="manual", host=install.db_host, name=install.db_name,
                                    user=install.db_user, password=install.db_pass,
                                    prefix=install.db_prefix)
    access = Database(db.host, db.name, db.user, db.password, db.prefix)
    tables = [db.prefix + t[len(install.db_prefix):] for t in install.list_tables]
    config_names = list(recipe.extra_files)
    state: dict = {"moved": [], "dirs": [], "configs": {}, "rewritten": {}, "settings": {}}
    new_path = plan.move.target if plan.move else old_path
    url = plan.move.url if plan.move else install.url

    with _scratch() as work, open_website(install.website) as t:
        def snapshot():
            if not tables:
                return
            state["safety"] = Path(work) / "before-edit.sql"
            with open(state["safety"], "wb") as fh:
                access.dump(tables, fh)

        def restore_snapshot():
            if "safety" in state:
                access.load(state["safety"])

        def config():
            for name in config_names:
                state["configs"][name] = t.read(_join(old_path, name))
            # The same hook as a copy's, for the config only: the tables are already
            # under the new prefix (_check_on_site made sure of it).
            recipe.repoint(services.app_context(
                install, recipe, transport=t, target=old_path, db_host=db.host,
                db_name=db.name, db_user=db.user, db_pass=db.password, db_prefix=db.prefix),
                old_url=install.url, old_prefix=install.db_prefix, config=True)

        def restore_config():
            for name, data in state["configs"].items():
                t.write(_join(old_path, name), data, mode=0o640)

        def move_files():
            state["dirs"] = t.mkdir(new_path) if new_path else []
            for name in install.list_files:
                if t.exists(_join(old_path, name)):
                    t.rename(_join(old_path, name), _join(new_path, name))
                    state["moved"].append(name)

        def move_back():
            for name in reversed(state["moved"]):
                t.rename(_join(new_path, name), _join(old_path, name))
            remove_empty_dirs(t, state["dirs"])

        def rewrite():
            rewriter = UrlRewriter(install.url, url)
            for name in config_names:
                data = t.read(_join(new_path, name))
                if rewriter.touches(data):
                    state["rewritten"][name] = data
                    t.write(_join(new_path, name), rewriter.text(data), mode=0o640)
            conn = access.connect()
            try:
                rewriter.rewrite_tables(conn, tables)
            finally:
                conn.close()

        def unrewrite():
            for name, data in state["rewritten"].items():
                t.write(_join(new_path, name), data, mode=0o640)

        def site_app():
            return services.app_context(install, recipe, transport=t, target=new_path,
                                        url=url)

        def settings():
            # Settings may live in the application's files (its configuration) as well
            # as in its tables: the configuration files are kept to be put back.
            for name in config_names:
                if t.exists(_join(new_path, name)):
                    state["settings"][name] = t.read(_join(new_path, name))
            if not db.name:  # an application without a database keeps them in files
                recipe.apply_settings(None, "", install.admin_login, plan.app, app=site_app())
                return
            conn = access.connect()
            try:
                recipe.apply_settings(conn, db.prefix, install.admin_login, plan.app,
                                      app=site_app())
            finally:
                conn.close()

        def restore_settings():
            for name, data in state["settings"].items():
                t.write(_join(new_path, name), data, mode=0o640)

        def verify():
            values = {**(install.fields or {}), **app_fields.stored(recipe, plan.app)}
            login = plan.app.get("login", install.admin_login)
            if recipe.supports("read_settings") and not db.name:
                values.update(recipe.read_settings(None, "", login, app=site_app()))
            elif recipe.supports("read_settings"):
                conn = access.connect()
                try:
                    values.update(recipe.read_settings(conn, db.prefix, login, app=site_app()))
                finally:
                    conn.close()
            app = types.SimpleNamespace(
                url=url, url_ip=plan.move.url_ip if plan.move else install.url_ip,
                fields=values)
            # PHP's opcache re-reads a changed file only every revalidate_freq seconds
            # (2 by default): a rewritten config may take that long to be used.
            deadline = time.monotonic() + VERIFY_SECONDS
            while True:
                try:
                    recipe.verify(app)
                    return
                except InstallError:
                    if time.monotonic() >= deadline:
                        raise
                    time.sleep(1)

        steps = [Step("snapshot", snapshot, restore_snapshot, message="Saving the tables")]
        if plan.db:
            steps.append(Step("config", config, restore_config,
                              message="Writing the configuration"))
        if plan.move:
            steps += [Step("move", move_files, move_back, message="Moving the files", weight=2),
                      Step("urls", rewrite, unrewrite, message="Rewriting the address",
                           weight=2)]
        if plan.app:
            steps.append(Step("settings", settings, restore_settings,
                              message="Changing the settings"))
        steps.append(Step("verify", verify, message="Checking the website"))
        run_steps(steps, report=report, end=95)
        if plan.move:
            # The old folder goes if the installer made it and nothing else is left.
            remove_empty_dirs(t, list(install.path_created or []))
            install.path, install.url = new_path, url
            install.url_domain, install.url_ip = plan.move.url_domain, plan.move.url_ip
            install.path_created = state["dirs"]
            install.cache_files = sum(t.size(_join(new_path, n)) for n in install.list_files)
    report(95, 100, "Recording the changes")


# --------------------------------------------------------------------------- tasks


@transaction.atomic
def start_edit(plan: EditPlan) -> Task:
    """Queue an edit that changes the site. The parameters (passwords included) wait
    for the worker encrypted on the install row; the install is held (busy fence)."""
    from . import tasks  # tasks imports this module

    install = plan.install
    task = enqueue(tasks.edit_install, cmd="edit", label="_tasks_editing", install=install)
    hold_install(install, task)
    Install.objects.filter(pk=install.pk).update(pending_secrets={"edit": plan.params})
    return task


def edit_install(install: Install, task: Task, *, report: Report) -> Install:
    """The worker's side of ``start_edit``: re-check with the stored parameters, apply,
    and always wipe the stored parameters and release the install."""
    try:
        params = (install.pending_secrets or {}).get("edit") or {}
        plan = check_edit(install, params, held=True)
        result = apply_edit(plan, report=report)
    finally:
        Install.objects.filter(pk=install.pk).update(pending_secrets=None)
        release_install(install.id, task.id)
    return result or install


def edit(install: Install, params: dict, *, report: Report | None = None) -> tuple[Install | None, Task | None]:
    """Check and carry out an edit: a task when the site changes, else at once.

    Returns (install or None if deleted, the task or None)."""
    plan = check_edit(install, params)
    if plan.touches_site:
        return install, start_edit(plan)
    return apply_edit(plan, report=report or (lambda *_a: None)), None
