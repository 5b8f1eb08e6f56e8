"""The console's forms: they gather input, the services decide."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import SiteSettings
from apps.installs.models import BackupSchedule


class DefaultsForm(forms.Form):
    default_autoup = forms.TypedChoiceField(label=_("Automatic updates"), coerce=int, choices=[
        (0, _("Off")), (1, _("Minor versions only")), (2, _("Any version"))])
    default_autoup_backup = forms.BooleanField(
        label=_("Back up before an automatic update and restore it if the update fails"),
        required=False)
    default_autobk = forms.ChoiceField(label=_("Automatic backups"), required=False)
    default_autobk_daily = forms.IntegerField(label=_("Daily"), min_value=0, max_value=99)
    default_autobk_weekly = forms.IntegerField(label=_("Weekly"), min_value=0, max_value=99)
    default_autobk_monthly = forms.IntegerField(label=_("Monthly"), min_value=0, max_value=99)

    FIELDS = ("default_autoup", "default_autoup_backup", "default_autobk",
              "default_autobk_daily", "default_autobk_weekly", "default_autobk_monthly")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["default_autobk"].choices = [
            ("", _("Off")), ("custom", _("Keep this many backups")), *[
                (s.name, _("Schedule: %(name)s") % {"name": s.description or s.name})
                for s in BackupSchedule.objects.all()]]

    def clean(self):
        data = super().clean()
        counts = [data.get(f"default_autobk_{p}") or 0 for p in ("daily", "weekly", "monthly")]
        if data.get("default_autobk") == "custom" and not any(counts):
            self.add_error("default_autobk_daily", _(
                "Keep at least one daily, weekly or monthly backup, or switch them off."))
        return data


class LanguagesForm(forms.Form):
    languages = forms.MultipleChoiceField(
        label=_("Languages offered"), widget=forms.CheckboxSelectMultiple,
        choices=settings.LANGUAGES,
        help_text=_("The languages people may choose; a language switched off here is not "
                    "used even when a panel or a browser asks for it."))
    default_language = forms.ChoiceField(
        label=_("Default language"), choices=settings.LANGUAGES,
        help_text=_("For people who chose none and whose browser asks for none of the "
                    "languages offered."))

    FIELDS = ("languages", "default_language")

    def clean(self):
        data = super().clean()
        if data.get("languages") and data.get("default_language") not in data["languages"]:
            self.add_error("default_language", _("The default language must be one of the "
                                                 "languages offered."))
        return data


class EmailForm(forms.Form):
    smtp_host = forms.CharField(label=_("Mail server"), max_length=255, required=False,
                                help_text=_("Leave empty to send no email."))
    smtp_port = forms.IntegerField(label=_("Port"), min_value=1, max_value=65535, initial=25)
    smtp_security = forms.ChoiceField(label=_("Encryption"), required=False,
                                      choices=SiteSettings.Security.choices)
    smtp_user = forms.CharField(label=_("User name"), max_length=255, required=False)
    smtp_password = forms.CharField(
        label=_("Password"), max_length=255, required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the current password."))
    clear_password = forms.BooleanField(label=_("Remove the stored password"), required=False)
    smtp_from = forms.EmailField(label=_("Sender address"), required=False,
                                 help_text=_("The From: of every email the installer sends."))

    FIELDS = ("smtp_host", "smtp_port", "smtp_security", "smtp_user", "smtp_from")

    def clean_smtp_host(self) -> str:
        host = self.cleaned_data["smtp_host"].strip()
        if host and not all(c.isalnum() or c in ".-:[]" for c in host):
            raise forms.ValidationError(_("Type a host name or an IP address."))
        return host


class TestMessageForm(forms.Form):
    to = forms.EmailField(label=_("Send a test message to"))


class AuditFilterForm(forms.Form):
    user = forms.CharField(label=_("Account"), max_length=64, required=False)
    action = forms.CharField(label=_("Action"), max_length=48, required=False)
    since = forms.DateField(label=_("From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Until"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))


class ScheduleForm(forms.Form):
    """An automatic backup schedule (installs choose it as ``autobk=<name>``)."""

    name = forms.CharField(label=_("Name"), max_length=64, help_text=_(
        "Lowercase letters, digits, _ and -: what the API's autobk names."))
    description = forms.CharField(label=_("Description"), max_length=255, required=False)
    daily = forms.IntegerField(label=_("Daily"), min_value=0, max_value=99, initial=0)
    weekly = forms.IntegerField(label=_("Weekly"), min_value=0, max_value=99, initial=0)
    monthly = forms.IntegerField(label=_("Monthly"), min_value=0, max_value=99, initial=0)
