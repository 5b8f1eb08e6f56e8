"""The form for a saved backup location; it only gathers input and builds the URI."""

from __future__ import annotations

from urllib.parse import quote

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.installs.forms import folder_path
from apps.installs.plan import PREFIX_RE

SCHEMES = [("sftp", _("SFTP")), ("ssh", _("SSH (SFTP and a shell)")),
           ("ftps", _("FTPS (FTP over TLS)")), ("ftp", _("FTP (unencrypted)")),
           ("s3", _("S3 or a compatible store (HTTPS)"))]


class LocationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80,
                           help_text=_("How this location is shown in your lists."))
    scheme = forms.ChoiceField(label=_("Protocol"), choices=SCHEMES)
    host = forms.CharField(label=_("Server"), max_length=253, help_text=_(
        "For S3: the endpoint, e.g. s3.eu-west-1.amazonaws.com."))
    port = forms.IntegerField(label=_("Port"), min_value=1, max_value=65535, required=False,
                              help_text=_("Leave empty for the protocol's usual port."))
    username = forms.CharField(label=_("Username"), max_length=128,
                               help_text=_("For S3: the access key id."))
    password = forms.CharField(label=_("Password"), max_length=255, required=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               help_text=_("For SFTP and SSH: leave it empty to log in with "
                                           "your own key (shown below). For S3: the secret "
                                           "key."))
    folder = forms.CharField(label=_("Folder"), max_length=1024, initial="/",
                             help_text=_("An existing folder on that server, e.g. /backups; "
                                         "for S3 the bucket and a prefix, e.g. /bucket/site1."))

    def __init__(self, *args, account, **kwargs):
        self.account = account
        super().__init__(*args, **kwargs)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if self.account.backup_locations.filter(name=name).exists():
            raise forms.ValidationError(_("You already have a location with this name."))
        return name

    def clean_host(self) -> str:
        host = self.cleaned_data["host"].strip()
        bracketed = host.startswith("[") and host.endswith("]")  # an IPv6 address
        if not host or any(c in host for c in "/@?#\\ ") or (":" in host and not bracketed):
            raise forms.ValidationError(_("Give a host name or an IP address only."))
        return host

    def clean_folder(self) -> str:
        folder = "/" + self.cleaned_data["folder"].strip().strip("/")
        if any(part == ".." for part in folder.split("/")) or "\x00" in folder:
            raise forms.ValidationError(_("Give a plain folder path."))
        return folder

    def uri(self) -> str:
        data = self.cleaned_data
        cred = quote(data["username"], safe="")
        if data.get("password"):
            cred += ":" + quote(data["password"], safe="")
        port = f":{data['port']}" if data.get("port") else ""
        return f"{data['scheme']}://{cred}@{data['host']}{port}{quote(data['folder'])}"


class CopyTargetForm(forms.Form):
    """Where a restore-to or a clone goes: one of the owner's website addresses, a
    folder below it and optionally a table prefix. Errors show beside their fields."""

    base = forms.ChoiceField(label=_("Website address"))
    folder = forms.CharField(label=_("Folder (optional)"), required=False, max_length=255,
                             widget=forms.TextInput(attrs={"placeholder": "blog"}))
    db_prefix = forms.CharField(label=_("Table prefix (optional)"), required=False,
                                max_length=32, widget=forms.TextInput(
                                    attrs={"placeholder": "wp_"}))

    def __init__(self, *args, urls: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["base"].choices = [(url, url) for url in urls]
        self.fields["base"].initial = urls[0] if urls else None

    def clean_folder(self) -> str:
        return folder_path(self.cleaned_data["folder"])

    def clean_db_prefix(self) -> str:
        prefix = self.cleaned_data["db_prefix"].strip()
        if prefix and not PREFIX_RE.match(prefix):
            raise forms.ValidationError(_("The table prefix may have letters, digits and _ "
                                          "only."))
        return prefix

    def params(self) -> dict:
        """check_clone's and check_restore_to's parameters."""
        data = self.cleaned_data
        url = data["base"].rstrip("/") + (f"/{data['folder']}" if data["folder"] else "")
        return {"url": url, **({"db_prefix": data["db_prefix"]} if data["db_prefix"] else {})}

    def field_for(self, exc) -> str | None:
        """The field that shows an error of the copy's checks (None: above the form)."""
        if exc.field in {"url", "url_ip"}:
            return "folder" if self.cleaned_data.get("folder") else "base"
        return "db_prefix" if exc.field == "db_prefix" else None
