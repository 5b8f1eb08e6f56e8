def test_main_admin_exists_once(admin):
    from apps.accounts.models import Account

    assert Account.objects.main_admin().pk == admin.pk
    assert Account.objects.filter(kind="admin").count() == 1
