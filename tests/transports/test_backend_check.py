"""The system check that every configured panel and transport backend imports."""

from __future__ import annotations

from apps.panels.checks import check_backends


def test_the_shipped_backend_settings_pass_the_check():
    assert check_backends() == []


def test_an_unimportable_transport_or_panel_is_reported(settings):
    settings.TRANSPORT_BACKENDS = {**settings.TRANSPORT_BACKENDS,
                                   "ftp": "apps.transports.nowhere.FtpTransport"}
    settings.PANEL = {"BACKEND": "apps.panels.nowhere.Panel", "OPTIONS": {}}

    errors = check_backends()

    assert sorted(e.id for e in errors) == ["panels.E001", "panels.E002"]
    assert any("TRANSPORT_BACKENDS['ftp']" in e.msg for e in errors)
