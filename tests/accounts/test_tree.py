"""Issue 16: a reseller's tree is resolved in one query (a recursive subquery), however
deep; what each role sees stays exactly its own tree."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext


def _tree(admin):
    """admin > r1 > r2 > r3 > deep (a user), r1 > near (a user); admin > other > theirs."""
    from apps.accounts.models import Account
    from apps.installs.models import Install

    made = {}
    for name, kind, owner in (("r1", "reseller", admin), ("r2", "reseller", "r1"),
                              ("r3", "reseller", "r2"), ("deep", "user", "r3"),
                              ("near", "user", "r1"), ("other", "reseller", admin),
                              ("theirs", "user", "other")):
        made[name] = Account.objects.create(
            username=name, kind=kind, owner=made.get(owner, owner) if isinstance(owner, str)
            else owner)
    for name in ("deep", "near", "theirs", "r2"):
        Install.objects.create(account=made[name], installer="wordpress", version="6.1",
                               url=f"http://{name}.test", url_domain=f"{name}.test",
                               status=Install.Status.INSTALLED)
    return made


def _seen(principal) -> set[str]:
    from apps.installs.models import Install

    return {i.account.username for i in Install.objects.visible_to(principal)
            .select_related("account")}


def test_each_role_sees_its_own_tree_only(admin):
    from apps.accounts.models import Account

    made = _tree(admin)
    assert _seen(made["r1"]) == {"deep", "near", "r2"}
    assert _seen(made["r2"]) == {"deep", "r2"}
    assert _seen(made["r3"]) == {"deep"}
    assert _seen(made["deep"]) == {"deep"}
    assert _seen(made["other"]) == {"theirs"}
    assert _seen(admin) == {"deep", "near", "theirs", "r2"}
    assert made["r1"].descendant_ids() == {made[n].pk for n in ("r2", "r3", "deep", "near")}
    assert set(Account.objects.owned_by(made["r2"])) == {made["r3"], made["deep"]}


def test_a_resellers_list_is_one_query_however_deep_the_tree(admin):
    from apps.installs.models import Install

    made = _tree(admin)
    with CaptureQueriesContext(connection) as ctx:
        rows = list(Install.objects.visible_to(made["r1"]))
    assert len(rows) == 3 and len(ctx.captured_queries) == 1
