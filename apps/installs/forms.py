"""The install form: the application's own fields, where it goes, and its database.

The form only gathers input and turns it into the install API's parameters; what is
allowed is decided by ``plan.check_install``, so the GUI and the API cannot disagree.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext, gettext_lazy as _

from apps.accounts.models import Account, SiteSettings, Website
from apps.catalog.models import Package
from apps.catalog.services import default_version
from apps.recipes import fields as app_fields
from apps.recipes.fields import random_login, random_password

from .editing import edit_problems
from .models import BackupSchedule
from .plan import input_problems
from .plan import NOTIFICATIONS

DB_AUTO, DB_LISTED, DB_MANUAL = "auto", "listed", "manual"
# What the install form offers to email about first: the install itself and updates.
INSTALL_NOTIFICATIONS = ["install", "update_available", "update_error"]
FOLDER_PART_RE = re.compile(r"^[\w.~-]{1,255}$", re.ASCII)


def vhost_choices(websites: list[Website]) -> list:
    """Every vhost URL of every website, grouped by website when there are several."""
    groups = []
    for website in websites:
        urls = [(url.rstrip("/"), url.rstrip("/")) for url in (website.vhosts or {})]
        if urls:
            groups.append((str(website), urls))
    if len(groups) == 1:
        return groups[0][1]
    return groups


def listed_databases(websites: list[Website]) -> dict[str, tuple[Website, dict]]:
    """The databases the panel listed for websites in manual database mode, by choice key."""
    found = {}
    for website in websites:
        if website.db_mode != Website.DbMode.MANUAL:
            continue
        for index, database in enumerate(website.databases or []):
            if isinstance(database, dict) and database.get("name"):
                found[f"{website.pk}:{index}"] = (website, database)
    return found


def folder_path(value: str) -> str:
    """A folder below a website address, as typed into a form: folder names of letters,
    digits, ``-``, ``_``, ``.`` and ``~``, separated by ``/``. A web address or a space is
    refused at once, before anything is created."""
    folder = value.strip().strip("/")
    if not folder:
        return folder
    if "://" in folder or folder.lower().startswith(("www.", "http:", "https:")):
        raise forms.ValidationError(_(
            "Type only the folder, such as blog, not a web address: the address is "
            "chosen in the website address list."))
    if any(ch.isspace() for ch in folder):
        raise forms.ValidationError(_("A folder name cannot contain spaces: use - or _ "
                                      "instead, such as my-blog."))
    parts = folder.split("/")
    if any(part in {"", ".", ".."} or not FOLDER_PART_RE.match(part) for part in parts):
        raise forms.ValidationError(_(
            "Type a folder name such as blog or blog/2024: letters, digits, - _ . and ~ "
            "only, without .. or empty names."))
    return folder


class AutomationForm(forms.Form):
    """Automatic updates, automatic backups and where backups go: asked when installing
    and on the Edit page alike."""

    def mark_problems(self, problems) -> None:
        """Each of ``problems`` (InstallatronErrors) beside its field (``field_for``), all
        placed before any is added; a field the form's own checks marked keeps its one
        message."""
        placed = [(self.field_for(exc), exc.message) for exc in problems]
        for name, message in placed:
            if (name or NON_FIELD_ERRORS) not in self.errors:
                self.add_error(name, message)

    autoup = forms.ChoiceField(label=_("Automatic updates"), choices=[
        ("0", _("Off")), ("1", _("Minor versions only")), ("2", _("Any version"))])
    autoup_backup = forms.BooleanField(label=_("Back up before an automatic update and restore "
                                               "it if the update fails"), required=False)
    autobk = forms.ChoiceField(label=_("Automatic backups"), choices=[
        ("0", _("Off")), ("custom", _("Keep this many backups"))])
    autobk_daily = forms.IntegerField(label=_("Daily"), min_value=0, max_value=99)
    autobk_weekly = forms.IntegerField(label=_("Weekly"), min_value=0, max_value=99)
    autobk_monthly = forms.IntegerField(label=_("Monthly"), min_value=0, max_value=99)
    bkloc = forms.ChoiceField(label=_("Backups are kept"), required=False, help_text=_(
        "Always on this server; a backup location also gets a copy of each backup."))
    notification = forms.MultipleChoiceField(label=_("Email me about"), required=False,
                                             widget=forms.CheckboxSelectMultiple)

    AUTOMATION = ("autoup", "autoup_backup", "autobk", "autobk_daily", "autobk_weekly",
                  "autobk_monthly", "bkloc", "notification")

    def automation_choices(self, account: Account) -> None:
        """The account's saved backup locations (by id) and the administrator's schedules."""
        self.locations = {str(loc.pk): loc
                          for loc in account.backup_locations.filter(pending=False)}
        self.fields["bkloc"].choices = [("local", _("On this server only"))] + [
            (pk, _("Here and at %(name)s") % {"name": loc.name})
            for pk, loc in self.locations.items()]
        self.fields["autobk"].choices = [*self.fields["autobk"].choices, *[
            (s.name, _("Schedule: %(name)s") % {"name": s.description or s.name})
            for s in BackupSchedule.objects.all()]]
        self.fields["notification"].choices = [
            (n, NOTIFICATION_LABELS.get(n, n.replace("_", " "))) for n in sorted(NOTIFICATIONS)]

    def bkloc_uri(self, value: str) -> str:
        """The backup location URI the API takes for the form's choice (ids are shown)."""
        return self.locations[value].uri if value in self.locations else "local"


class InstallForm(AutomationForm):
    """Built per application from ``recipe.fields`` (already in ``sort_order``)."""

    vhost = forms.ChoiceField(label=_("Website address"))
    folder = forms.CharField(
        label=_("Folder"), required=False, max_length=255,
        help_text=_("Leave empty to install at the address itself, or type a folder such as "
                    "blog."),
    )
    version = forms.ChoiceField(label=_("Version"))
    db_mode = forms.ChoiceField(label=_("Database"), widget=forms.RadioSelect)
    database = forms.ChoiceField(label=_("Your database"), required=False)
    database_pass = forms.CharField(
        label=_("Password of that database's user"), required=False, max_length=255,
        widget=forms.PasswordInput(render_value=True),
        help_text=_("Only needed if your hosting panel did not give it to the installer."),
    )
    db_host = forms.CharField(label=_("Database server"), required=False, max_length=255,
                              initial="localhost")
    db_name = forms.CharField(label=_("Database name"), required=False, max_length=128)
    db_user = forms.CharField(label=_("Database user"), required=False, max_length=128)
    db_pass = forms.CharField(label=_("Database password"), required=False, max_length=255,
                              widget=forms.PasswordInput(render_value=True))
    db_prefix = forms.CharField(
        label=_("Table prefix"), required=False, max_length=64,
        help_text=_("Leave empty for the application's usual prefix."),
    )

    def __init__(self, *args, account: Account, recipe, versions: list[str],
                 websites: list[Website], **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        self.recipe = recipe
        self.websites = websites
        self.databases = listed_databases(websites)

        self.fields["vhost"].choices = vhost_choices(websites)
        self.automation_choices(account)
        self._automation_defaults()
        self.fields["vhost"].initial = next(
            (u.rstrip("/") for w in websites for u in (w.vhosts or {})), None)
        # Newest first: the one most people want.
        self.fields["version"].choices = [(v, v) for v in reversed(versions)]
        package = None
        if versions:  # the administrator's default version, else the newest
            chosen = default_version(recipe.id)
            self.fields["version"].initial = chosen if chosen in versions else versions[-1]
            package = Package.objects.of(recipe.id).filter(
                version=self.fields["version"].initial).first()

        # Automatic means a new database from the panel class, or for websites whose panel
        # lists databases instead, the first free one of those (check_install decides).
        manual = [w.db_mode == Website.DbMode.MANUAL for w in websites]
        if not any(manual):
            auto = _("Create a new database automatically (recommended)")
        elif all(manual):
            auto = _("Use a free database from my hosting panel's list (recommended)")
        else:
            auto = _("Automatic (recommended): a new database, or a free one from my hosting "
                     "panel's list")
        modes = [(DB_AUTO, auto)]
        if self.databases:
            modes.append((DB_LISTED, _("Use one of my databases")))
        modes.append((DB_MANUAL, _("Enter the database details myself")))
        self.fields["db_mode"].choices = modes
        self.fields["db_mode"].initial = modes[0][0]
        self.fields["database"].choices = [
            (key, f"{db['name']} ({website}) · {db.get('host') or 'localhost'}")
            for key, (website, db) in self.databases.items()
        ]
        if not recipe.needs_database:
            for name in ("db_mode", "database", "database_pass", "db_host", "db_name",
                         "db_user", "db_pass", "db_prefix"):
                del self.fields[name]

        # The language, then the application's own fields (generated ones are not asked).
        self.app_fields = []
        for name, spec in recipe.fields.items():
            if name == "language" and spec.get("type"):
                # Only the languages whose files the package holds (all when not known).
                options = {code: label for code, label in (spec.get("options") or {}).items()
                           if package is None or package.has_language(code)}
                spec = {**spec, "options": options}
                self.fields[name] = app_form_field(name, spec, initial=self._language(
                    options, spec.get("default")))
            elif name in app_fields.asked_fields(recipe):
                self.fields[name] = app_form_field(name, spec, initial=self._initial(spec))
            else:
                continue
            self.app_fields.append(name)

    def _automation_defaults(self) -> None:
        """The administrator's default install options (the console's) as the choices
        shown: what an install that does not choose gets."""
        site = SiteSettings.load()
        autobk = site.default_autobk or "0"
        if autobk not in dict(self.fields["autobk"].choices):
            autobk = "0"  # a schedule removed since
        for name, value in {
                "autoup": str(site.default_autoup), "autoup_backup": site.default_autoup_backup,
                "autobk": autobk, "autobk_daily": site.default_autobk_daily,
                "autobk_weekly": site.default_autobk_weekly,
                "autobk_monthly": site.default_autobk_monthly, "bkloc": "local",
                "notification": INSTALL_NOTIFICATIONS}.items():
            self.fields[name].initial = value

    @property
    def automation_fields(self):
        return [self[name] for name in self.AUTOMATION]

    def _initial(self, spec: dict):
        kind = spec["type"]
        if kind == "password":
            return random_password()
        if spec.get("generate") == "login":
            return random_login()
        if kind == "email" and spec.get("from_account"):
            return self.account.email or next((w.email for w in self.websites if w.email), "")
        return spec.get("default", spec.get("value"))

    def _language(self, options: dict, default: str | None) -> str | None:
        for code in (self.account.language, default, "en"):
            if code and code in options:
                return code
        return next(iter(options), None)

    @property
    def location_fields(self):
        return [self["vhost"], self["folder"]]

    @property
    def application_fields(self):
        return [self[name] for name in self.app_fields]

    @property
    def advanced_fields(self):
        return [self[name] for name in ("db_host", "db_name", "db_user", "db_pass")
                if name in self.fields]

    def website(self) -> Website | None:
        """The website whose vhost was chosen."""
        vhost = self.cleaned_data.get("vhost", "")
        for website in self.websites:
            if vhost in {u.rstrip("/") for u in (website.vhosts or {})}:
                return website
        return None

    def clean_folder(self) -> str:
        return folder_path(self.cleaned_data["folder"])

    def clean(self):
        data = super().clean()
        mode = data.get("db_mode")
        if mode == DB_LISTED:
            choice = self.databases.get(data.get("database") or "")
            if choice is None:
                self.add_error("database", _("Choose one of your databases."))
            elif choice[0] != self.website():
                self.add_error("database", _("That database belongs to another website. "
                                             "Choose one of this website's databases."))
        # What the install itself would refuse in the input, every problem at once.
        self.mark_problems(input_problems(self.account, self.to_params()))
        return data

    def url(self) -> str:
        base = self.cleaned_data.get("vhost")
        if not base:
            return ""
        folder = self.cleaned_data.get("folder", "")
        return f"{base}/{folder}" if folder else base

    def to_params(self) -> dict:
        """The install API's parameters (section 3.3 of the reference)."""
        data = self.cleaned_data
        # While the form is checked, fields with an error of their own are missing: their
        # parameters are left out (the install's defaults apply to them).
        params = {"application": self.recipe.id, "version": data.get("version"),
                  "url": self.url()}
        mode = data.get("db_mode")
        if mode == DB_LISTED and data.get("database") in self.databases:
            _website, database = self.databases[data["database"]]
            params.update(db_host=database.get("host") or "localhost", db_name=database["name"],
                          db_user=database.get("user") or database["name"],
                          db_pass=database.get("pass") or data.get("database_pass", ""))
        elif mode == DB_MANUAL:
            params.update({name: data.get(name) or "" for name in ("db_host", "db_name",
                                                                    "db_user", "db_pass")})
        if data.get("db_prefix"):
            params["db_prefix"] = data["db_prefix"]
        for name in ("autoup", "autobk", "autobk_daily", "autobk_weekly", "autobk_monthly"):
            if data.get(name) is not None:
                params[name] = str(data[name])
        params["autoup_backup"] = "1" if data.get("autoup_backup") else "0"
        params["bkloc"] = self.bkloc_uri(data.get("bkloc") or "local")
        params["notification"] = ",".join(data.get("notification") or [])
        for name in self.app_fields:
            if name in data:
                value = data[name]
                params[name] = ("1" if value else "0") if isinstance(value, bool) else value
        return params

    def field_for(self, exc) -> str | None:
        """The form field that shows ``exc`` (an InstallatronError): the parameter it names,
        or else the one its errcode names (``invalid_argument_email``)."""
        param = exc.field
        if not param:
            code = exc.errcode or ""
            for lead in ("invalid_argument_", "empty_argument_"):
                if code.startswith(lead):
                    param = code[len(lead):]
        if param in {"url", "url_ip"}:
            return "folder" if self.cleaned_data.get("folder") else "vhost"
        if param in {"db_host", "db_name", "db_user", "db_pass"}:
            mode = self.cleaned_data.get("db_mode")
            if mode == DB_LISTED:
                return "database_pass" if param == "db_pass" else "database"
            if mode == DB_AUTO:
                return "db_mode"
        if param in self.fields:
            return param
        return None


def app_form_field(name: str, spec: dict, *, initial=None, editing: bool = False) -> forms.Field:
    """The form field of one manifest field (fields.py types). Shapes and emptiness are
    check_install's and check_edit's to judge; the form stays a thin layer. When
    ``editing``, an empty password keeps the current one."""
    kind = spec["type"]
    # The manifest's words, translated (apps/recipes/manifest_strings.py lists them).
    label = gettext(spec["label"]) if spec.get("label") else name
    help_text = gettext(spec["text"]) if spec.get("text") else ""
    help_text = help_text[:1].upper() + help_text[1:]
    if kind in {"select", "radio"}:
        widget = forms.RadioSelect if kind == "radio" else forms.Select
        choices = [(value, gettext(text) if text else value)
                   for value, text in (spec.get("options") or {}).items()]
        return forms.ChoiceField(label=label, help_text=help_text, initial=initial,
                                 choices=choices, widget=widget)
    if kind == "checkbox":
        return forms.BooleanField(label=label, help_text=help_text, required=False,
                                  initial=bool(initial))
    if kind == "password":
        if editing:
            return forms.CharField(
                label=label, required=False, max_length=app_fields.PASSWD_MAX,
                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                help_text=_("Leave empty to keep the current password."))
        return forms.CharField(
            label=label, help_text=help_text, max_length=255, initial=initial,
            widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "new-password"}),
        )
    widget = forms.EmailInput if kind == "email" else forms.TextInput
    # Editing: a field that cannot be emptied must be filled in (empty would keep it).
    required = editing and not (kind == "text" and not spec.get("required")
                                and not spec.get("generate"))
    return forms.CharField(label=label, help_text=help_text, required=required,
                           max_length=int(spec.get("max_length", app_fields.TEXT_MAX)),
                           initial=initial, widget=widget)


# What each notification kind of the reference is about, for the Edit form's checkboxes.
NOTIFICATION_LABELS = {
    "autobk": _("An automatic backup was made"),
    "autobk_error": _("An automatic backup failed"),
    "backup": _("A backup was made"),
    "backup_error": _("A backup failed"),
    "clone": _("The site was cloned"),
    "clone_error": _("A clone failed"),
    "install": _("The install is done"),
    "restore": _("A backup was restored"),
    "restore_error": _("A restore failed"),
    "uninstall": _("The site was uninstalled"),
    "update": _("The site was updated"),
    "update_available": _("An update is available"),
    "update_error": _("An update failed"),
}


class EditForm(AutomationForm):
    """The install's settings page. Like InstallForm it only gathers input: ``to_params``
    gives the edit API's parameters for what changed, and ``editing.check_edit`` decides."""

    url = forms.CharField(label=_("Address"), max_length=2048,
                          help_text=_("Another address of your website moves the files there."))
    language = forms.ChoiceField(label=_("Language"))
    db_host = forms.CharField(label=_("Database server"), max_length=255, required=False)
    db_name = forms.CharField(label=_("Database name"), max_length=128, required=False)
    db_user = forms.CharField(label=_("Database user"), max_length=128, required=False)
    db_pass = forms.CharField(
        label=_("Database password"), required=False, max_length=255,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the current password."))
    db_prefix = forms.CharField(label=_("Table prefix"), max_length=64, required=False)

    DATABASE = ("db_host", "db_name", "db_user", "db_pass", "db_prefix")

    @staticmethod
    def _bkloc_location(install):
        """The saved location the install's bkloc names, or None."""
        if not install.bkloc:
            return None

        def saved():
            return next((loc for loc in install.account.backup_locations.all()
                         if loc.uri == install.bkloc.strip()), None)

        if saved() is None:
            install.save(update_fields=["bkloc"])
        return saved()

    def __init__(self, *args, install, recipe, **kwargs):
        self.install = install
        # The application's settable fields (its manifest's), then the language.
        specs = app_fields.settable_fields(recipe) if recipe else {}
        self.app = [*specs, "language"]
        self.current = {
            name: "" if app_fields.is_secret(spec) else (install.fields or {}).get(
                name, False if spec["type"] == "checkbox" else "")
            for name, spec in specs.items()}
        self.current.update({
            "url": install.url, "language": install.language,
            "autoup": str(install.autoup), "autoup_backup": install.autoup_backup,
            "notification": sorted(install.notification), "autobk": install.autobk or "0",
            "autobk_daily": install.autobk_daily, "autobk_weekly": install.autobk_weekly,
            "autobk_monthly": install.autobk_monthly, "db_host": install.db_host,
            "db_name": install.db_name, "db_user": install.db_user,
            "db_prefix": install.db_prefix, "db_pass": "",
        })
        # Saved locations by id. An install's bkloc is one of them (saving it saves the
        # location too: backups/receivers.py); a row older than that is saved again here.
        current = self._bkloc_location(install)
        self.current["bkloc"] = str(current.pk) if current is not None else "local"
        super().__init__(*args, initial=self.current, **kwargs)
        self.automation_choices(install.account)
        for name, spec in specs.items():
            self.fields[name] = app_form_field(name, spec, editing=True)
        names = recipe.manifest.get("language_names", {}) if recipe else {}
        languages = recipe.languages if recipe else [install.language]
        self.fields["language"].choices = [(c, names.get(c, c)) for c in languages]

        if not install.db_name:
            for name in self.DATABASE:
                del self.fields[name]

    @property
    def application_fields(self):
        return [self[n] for n in self.app]

    @property
    def automation_fields(self):
        return [self[n] for n in ("autoup", "autoup_backup", "notification", "autobk",
                                  "autobk_daily", "autobk_weekly", "autobk_monthly", "bkloc")]

    @property
    def database_fields(self):
        return [self[n] for n in self.DATABASE if n in self.fields]

    def to_params(self) -> dict:
        """The edit API's parameters for the fields whose value changed."""
        params = {}
        for name, value in self.cleaned_data.items():
            if name == "db_pass" or self._secret(name):
                if value:
                    params[name] = value
                continue
            if name == "notification":
                if sorted(value) != self.current["notification"]:
                    params[name] = ",".join(value)
                continue
            if name == "bkloc":  # the edit API takes the URI, the form only shows ids
                if value and value != self.current["bkloc"]:
                    params[name] = self.bkloc_uri(value)
                continue
            if value != self.current.get(name):
                params[name] = ("1" if value else "0") if isinstance(value, bool) else value
        return params

    def _secret(self, name: str) -> bool:
        return isinstance(self.fields[name].widget, forms.PasswordInput)

    def field_for(self, exc) -> str | None:
        param = exc.field
        if not param:
            for lead in ("invalid_argument_", "empty_argument_"):
                if (exc.errcode or "").startswith(lead):
                    param = exc.errcode[len(lead):]
        return param if param in self.fields else None

    def clean(self):
        data = super().clean()
        # What the edit would refuse in the input, every problem at once.
        self.mark_problems(edit_problems(self.install, self.to_params()))
        return data
