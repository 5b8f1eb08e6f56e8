#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "installatron_gui.settings")
    from django.core.management import execute_from_command_line

    from installatron_gui.lib.private import lock_down

    lock_down()  # before anything is written: our files are private (lib/private.py)

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
