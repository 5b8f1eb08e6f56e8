"""The form for a saved backup location; it only gathers input and builds the URI."""

from __future__ import annotations

from urllib.parse import quote

from django import forms
from django.utils.translation import gettext_lazy as _

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
