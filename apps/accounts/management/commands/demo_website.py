from pathlib import Path

from django.core.management.base import BaseCommand

from apps.accounts import services


class Command(BaseCommand):
    help = (
        "Create (or refresh) the demo website owner and its local website, as a panel's "
        "request header would describe them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", default="demo")
        parser.add_argument("--path", required=True, help="the website's home folder")
        parser.add_argument("--url", required=True, help="the URL its public_html answers at")
        parser.add_argument("--email", default="demo@example.com")

    def handle(self, *args, user, path, url, email, **options):
        home = Path(path).resolve()
        (home / "public_html").mkdir(parents=True, exist_ok=True)
        header = services.parse_header({
            "user": user,
            "email": email,
            "websites": [{"id": "demo", "label": "Demo website", "path": str(home),
                          "vhosts": {url: "public_html"}, "email": email}],
        })
        account = services.apply_header(header)
        self.stdout.write(f"Demo owner '{account.username}': website {url} -> {home}/public_html")
