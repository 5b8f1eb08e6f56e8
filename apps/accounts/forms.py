from __future__ import annotations

from django import forms
from django.conf import settings
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
    language = forms.ChoiceField(label=_("Language"), required=False,
                                 help_text=_("The installer's language for this account."))
    package = forms.ChoiceField(label=_("Package"), required=False, help_text=_(
        "The set of applications the account may install; none means every application."))
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
        choices = [("", _("The browser's language")), *settings.LANGUAGES]
        current = account.language if account is not None else ""
        if current and current not in dict(choices):
            # Set by a panel through the API in a language the GUI does not have (yet).
            choices.append((current, current))
        self.fields["language"].choices = choices
        owner = account.owner if account is not None else (
            None if principal.is_admin else principal)
        packages = [("", _("None: every application")), *services.package_choices(owner)]
        current = account.package if account is not None else ""
        if current and current not in dict(packages):
            packages.append((current, current))  # a set removed since: kept as it is
        self.fields["package"].choices = packages
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


class BrandingForm(forms.Form):
    """An admin's or reseller's branding: what their customers' installer is called and how
    it looks (checked again, with the reasons, by branding.save_branding)."""

    name = forms.CharField(label=_("Product name"), required=False, max_length=60,
                           help_text=_("Shown instead of “App Installer” in the top bar and "
                                       "the window title."))
    accent = forms.CharField(label=_("Button and link colour"), max_length=7,
                             widget=forms.TextInput(attrs={"type": "color"}))
    bar = forms.CharField(label=_("Top bar colour"), max_length=7,
                          widget=forms.TextInput(attrs={"type": "color"}))
    logo = forms.FileField(label=_("Logo"), required=False,
                           help_text=_("PNG or JPEG, at most 200 KB; shown 32 pixels high."))
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
