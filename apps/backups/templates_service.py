"""Templates: an install saved as a starting point for new installs (``content=<id>``).

A template is a backup-format archive (this app writes and checks it) kept in
``BACKUP_DIR/<user>/templates/``; its record, ``Template``, is still in apps.installs. Installing from one deploys its files and tables the
way a restore to a new location does (new database account, new prefix, the template's
URL replaced by the new one), then gives the new site its own admin account, password,
email, title and tagline.
"""

from __future__ import annotations

import logging
import os

from django.db import transaction
from django.utils import timezone

from apps.installs.errors import InstallError
from apps.installs.holds import hold_install
from apps.installs import services
from apps.installs.models import Install, Template
from apps.installs.reach import connect_db, drop_tables, open_website, remove_empty_dirs
from apps.installs.steps import Report
from apps.panels.base import get_panel
from apps.recipes import fields as app_fields
from apps.recipes.base import get_recipe
from apps.tasks.models import Task
from apps.tasks.services import enqueue
from installatron_gui.lib.archives import HashingWriter, part_name, private_part, publish

from . import archive, copies
from .errors import BackupError

log = logging.getLogger(__name__)


def _folder(account):
    folder = archive.user_dir(account) / "templates"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


@transaction.atomic
def start_template(install: Install, *, title=None) -> Task:
    """Queue saving ``install`` as a template; refused with ``busy`` while a task holds it."""
    from . import tasks  # tasks imports this module

    title = _check_title(title if title is not None else install.title)
    task = enqueue(tasks.create_template, title, cmd="template", label="_tasks_templating",
                   install=install)
    hold_install(install, task)
    return task


def _check_title(title) -> str:
    title = str(title or "").strip()
    if len(title) > 255 or any(ord(c) < 32 for c in title):
        raise InstallError("The title must be at most 255 characters of text.",
                           errcode="invalid_argument_title", field="title")
    return title


def create_template(install: Install, *, report: Report, title: str = "") -> Template:
    """Write the template archive (files and tables of ``install``) and its record.

    Written under a temporary name, fsynced and renamed: a template cut short is never
    listed."""
    folder = _folder(install.account)
    template_id = Template._meta.get_field("id").default()
    final = folder / archive.archive_name(template_id)
    tmp = part_name(final)
    try:
        with private_part(tmp) as fh, archive.workdir(install.account) as work:
            writer = HashingWriter(fh)
            meta = archive.write_archive(install, writer, work, report=report)
        publish(tmp, final)
    except OSError as exc:
        raise BackupError(f"The template could not be written: {os.strerror(exc.errno or 0)}.",
                          errcode="failed_template", status=500) from None
    finally:
        tmp.unlink(missing_ok=True)
    report(97, 100, "Recording the template")
    return Template.objects.create(
        id=template_id, account=install.account, install_ref=install.id,
        installer=install.installer, version=install.version, language=install.language,
        title=title or install.title, url=install.url, db_prefix=install.db_prefix,
        file=f"{install.account.username}/templates/{final.name}",
        list_files=meta["list-files"], list_tables=meta["list-tables"], size=writer.size,
        checksum=writer.sha.hexdigest(), time=timezone.now())


def edit_template(template: Template, params: dict) -> Template:
    """edittemplate: ``title``."""
    if "title" in params:
        template.title = _check_title(params["title"])
        template.save(update_fields=["title"])
    return template


def delete_template(template: Template) -> None:
    """Remove the archive and the record."""
    try:
        template.archive_path.unlink(missing_ok=True)
    except OSError as exc:
        raise InstallError(f"The template archive could not be removed: "
                           f"{os.strerror(exc.errno or 0)}.", errcode="failed_template",
                           status=500) from None
    template.delete()


# --------------------------------------------------------------------------- installing


def install_from_template(install: Install, *, report: Report) -> Install:
    """Install from the template ``install.content`` names (registered with
    ``apps.installs.services.install_app`` by BackupsConfig.ready()).

    The template's files and tables are deployed as a restore to a new location does;
    then the new site gets its own field values (an application's admin login, password,
    email, title and tagline). If that last part fails, what was deployed is removed and the install marked failed."""
    template = Template.objects.filter(pk=install.content).first()
    hidden = install.pending_fields()
    if template is None:
        install.mark_failed()
        raise InstallError("The template this install was to use no longer exists.",
                           errcode="invalid_argument_content")
    info = archive.verify_archive(template.archive_path, template.checksum)
    source_login = str(info.meta.get("install", {}).get("cf-login") or "")
    install = copies.deploy_archive(install, template.archive_path, template.checksum,
                                    report=lambda lo, hi, m: report(lo * 9 // 10, hi * 9 // 10, m),
                                    old_url=template.url)
    recipe = get_recipe(install.installer)
    report(90, 100, "Setting up the administrator account")
    try:
        if recipe.supports("apply_settings"):
            settable = app_fields.settable_fields(recipe)
            changes = {name: value for name, value in install.fields.items()
                       if name in settable}
            changes.update({name: value for name, value in hidden.items()
                            if name in settable and value})
            changes["locale"] = recipe.locale_for(install.language)
            conn = connect_db(install.db_host, install.db_user, install.db_pass,
                              install.db_name) if install.db_name else None
            try:
                with open_website(install.website) as t:
                    recipe.apply_settings(conn, install.db_prefix, source_login, changes,
                                          app=services.app_context(install, recipe,
                                                                   transport=t))
            finally:
                if conn is not None:
                    conn.close()
        title = app_fields.title_field(recipe)
        install.title = (install.fields.get(title) if title else "") or template.title
        install.save(update_fields=["title"])
    except BaseException:
        _remove_deployed(install)
        raise
    return install


def _remove_deployed(install: Install) -> None:
    """Undo a template deploy whose last step failed: its files and tables go."""

    try:
        with open_website(install.website) as t:
            for name in install.list_files:
                t.remove(f"{install.path}/{name}" if install.path else name)
            remove_empty_dirs(t, list(install.path_created or []))
        if install.db_created_by_panel:
            get_panel().remove_db(install.db_name, "mysql", install.website.as_session())
        elif install.list_tables:
            conn = connect_db(install.db_host, install.db_user, install.db_pass,
                                       install.db_name)
            try:
                drop_tables(conn, list(install.list_tables))
            finally:
                conn.close()
    except Exception:
        log.exception("could not remove the template deploy of install %s", install.id)
    install.mark_failed()
