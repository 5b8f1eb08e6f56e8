"""A panel class written the way the reference's samples are, on top of the real MySQL one.

Like 001's ``i_custom``: ``generate_db`` answers the 5-item array with a ``null`` password
("let Installatron create a randomized value") and ``create_db``/``remove_db`` answer
True or False. The website's custom member ``_fail`` (sent in the request header, seen in
``itron::$session``) makes one of them report a failure:

* ``create_db``: the database and its user are really created, then False (half done);
* ``remove_db``: nothing is removed, False.

Select it with ``INSTALLATRON_PANEL_BACKENDS=reporting=tests.panels.fakes.reporting.ReportingPanel``
and ``INSTALLATRON_PANEL=reporting`` (a worker process reads the same environment).
"""

from __future__ import annotations

from apps.panels.mysql import MysqlPanel


class ReportingPanel(MysqlPanel):
    def generate_db(self, db_type, website):
        spec = super().generate_db(db_type, website)
        return [spec.name, spec.user, None, spec.host, None]

    def create_db(self, spec, website):
        super().create_db(spec, website)
        return website.get("_fail") != "create_db"

    def remove_db(self, name, db_type, website):
        if (website or {}).get("_fail") == "remove_db":
            return False
        super().remove_db(name, db_type, website)
        return True
