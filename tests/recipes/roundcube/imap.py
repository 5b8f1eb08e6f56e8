"""A tiny IMAP4rev1 server for Roundcube's sign-in: it speaks the real protocol (tagged
commands, untagged data, quoted strings) for the few commands a login and the first mail
view send, with one account and an empty INBOX. Not a mail store: enough to show that
Roundcube reaches the IMAP host of its configuration and signs in with the password."""

from __future__ import annotations

import re
import socketserver
import threading

CAPABILITY = "IMAP4rev1 LITERAL+ ID"
_COMMAND = re.compile(r"^(\S+) (\S+)(?: (.*))?$")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')


def _args(text: str) -> list[str]:
    return [re.sub(r"\\(.)", r"\1", q) if q or not bare else bare
            for q, bare in _QUOTED.findall(text or "")]


class _Handler(socketserver.StreamRequestHandler):
    def send(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        server = self.server
        self.send(f"* OK [CAPABILITY {CAPABILITY}] test IMAP ready")
        while line := self.rfile.readline():
            match = _COMMAND.match(line.decode("utf-8", "replace").rstrip("\r\n"))
            if not match:
                self.send("* BAD unreadable command")
                continue
            tag, command, rest = match.group(1), match.group(2).upper(), match.group(3)
            if command == "UID" and rest:
                command, _, rest = rest.partition(" ")
                command = command.upper()
            if command == "CAPABILITY":
                self.send(f"* CAPABILITY {CAPABILITY}")
            elif command == "LOGIN":
                args = _args(rest)
                if args == [server.user, server.password]:
                    server.logins.append(args[0])
                else:
                    server.failures.append(args[0] if args else "")
                    self.send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials")
                    continue
            elif command in ("LIST", "LSUB"):
                if _args(rest)[-1:] == [""]:
                    self.send(f'* {command} (\\Noselect) "/" ""')
                else:
                    self.send(f'* {command} (\\HasNoChildren) "/" INBOX')
            elif command in ("SELECT", "EXAMINE"):
                for data in ("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
                             "* 0 EXISTS", "* 0 RECENT", "* OK [UIDVALIDITY 1] UIDs valid",
                             "* OK [UIDNEXT 1] next UID"):
                    self.send(data)
            elif command == "STATUS":
                self.send("* STATUS INBOX (MESSAGES 0 RECENT 0 UNSEEN 0 UIDNEXT 1 "
                          "UIDVALIDITY 1)")
            elif command == "NAMESPACE":
                self.send('* NAMESPACE (("" "/")) NIL NIL')
            elif command == "ID":
                self.send('* ID ("name" "test-imap")')
            elif command == "LOGOUT":
                self.send("* BYE logging out")
                self.send(f"{tag} OK LOGOUT completed")
                return
            # SEARCH, FETCH, THREAD, SORT of an empty INBOX: nothing to send but OK.
            self.send(f"{tag} OK {command} completed")


class ImapServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, user: str, password: str):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.user, self.password = user, password
        self.logins: list[str] = []
        self.failures: list[str] = []
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()
