from __future__ import annotations

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from . import services
from .errors import AccountError
from .models import Account
from .validation import check_username


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Name"), max_length=64)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, max_length=4096)


class AccountForm(forms.Form):
    """Create or edit an account owned by ``principal`` (the admin or a reseller)."""

    username = forms.CharField(label=_("Name"), max_length=64,
                               help_text=_("Letters, digits, '_' and '-'. It cannot change later."))
    kind = forms.ChoiceField(label=_("Type"), choices=[("user", _("User")), ("reseller", _("Reseller"))])
    email = forms.EmailField(label=_("Email"), required=False)
    language = forms.CharField(label=_("Language"), required=False, max_length=16,
                               help_text=_("For example en, nl or zh_tw."))
    package = forms.CharField(label=_("Package"), required=False, max_length=64,
                              help_text=_("A named set of applications, such as wordpress_only."))
    password = forms.CharField(label=_("Password"), required=False, widget=forms.PasswordInput,
                               help_text=_("Resellers only: lets them sign in on the login page."))
    suspended = forms.BooleanField(label=_("Suspended"), required=False)

    def __init__(self, *args, principal: Account, account: Account | None = None, **kwargs):
        initial = kwargs.pop("initial", {})
        if account is not None:
            initial.update(username=account.username, kind=account.kind, email=account.email,
                           language=account.language, package=account.package,
                           suspended=account.suspended)
        super().__init__(*args, initial=initial, **kwargs)
        self.principal = principal
        self.account = account
        if account is not None:
            self.fields["username"].disabled = True

    def clean_username(self):
        if self.account is not None:
            return self.account.username
        try:
            name = check_username(self.cleaned_data["username"])
        except AccountError as exc:
            raise forms.ValidationError(exc.message) from None
        if Account.objects.filter(username=name).exists():
            raise forms.ValidationError(_("That name is taken."))
        return name

    def clean_password(self):
        password = self.cleaned_data.get("password")
        if password:
            validate_password(password)
        return password

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("kind") != "reseller":
            self.add_error("password", _("Only resellers sign in with a password."))
        return data

    def save(self) -> Account:
        data = self.cleaned_data
        params = {
            "user": data["username"],
            "type": data["kind"],
            "email": data["email"],
            "language": data["language"],
            "package": data["package"],
            "suspended": "yes" if data["suspended"] else "no",
        }
        if self.account is None and not self.principal.is_admin:
            params["reseller"] = self.principal.username
        header = services.parse_header(params)
        account = services.apply_header(header, acting=self.principal)
        if data.get("password"):
            account.set_password(data["password"])
            account.save(update_fields=["password"])
        return account
