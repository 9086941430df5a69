"""An SMTP server for tests: keeps every message it accepts as files.

    python3 smtp_sink.py DIRECTORY [--auth USER:PASSWORD]

Listens on 127.0.0.1 on a free port and prints "ready <port>" once it
accepts connections. Message n (from 1) is stored as DIRECTORY/<n>.eml, the
bytes as received, and DIRECTORY/<n>.json, the envelope and the message as
Python's own e-mail parser decodes it. Both appear whole: each is written
under a temporary name first.

With --auth, MAIL is refused until the client has logged in with AUTH PLAIN
or AUTH LOGIN with that user name and password (allowed without TLS).
Recipients in the domain rejected.invalid are refused with 550.

Runs until its standard input closes.
"""

import argparse
import email
import email.policy
import json
import os
import socket
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Keeper:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.rpartition("@")[2].lower() == "rejected.invalid":
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        raw = envelope.original_content or envelope.content
        summary = {
            "envelope_from": envelope.mail_from,
            "envelope_to": list(envelope.rcpt_tos),
        }
        summary.update(decode(raw))
        self.store(f"{self.count}.json", json.dumps(summary).encode("utf-8"))
        self.store(f"{self.count}.eml", raw)
        return "250 2.0.0 Message accepted for delivery"

    def store(self, name, data):
        temporary = os.path.join(self.directory, name + ".part")
        with open(temporary, "wb") as file:
            file.write(data)
        os.replace(temporary, os.path.join(self.directory, name))


def decode(raw):
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)

        def header(name):
            values = message.get_all(name) or []
            return [str(value) for value in values]

        def body(subtype):
            part = message.get_body(preferencelist=(subtype,))
            if part is None or part.get_content_type() != f"text/{subtype}":
                return None
            return part.get_content().replace("\r\n", "\n")

        return {
            "from": header("From"),
            "to": header("To"),
            "subject": header("Subject"),
            "message_id": header("Message-ID"),
            "date": header("Date"),
            "content_type": message.get_content_type(),
            "text": body("plain"),
            "html": body("html"),
            "defects": [str(defect) for defect in message.defects],
        }
    except Exception as error:  # the raw file is still kept
        return {"defects": [f"could not parse: {error!r}"]}


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--auth", metavar="USER:PASSWORD")
    parser.add_argument("--port", type=int, help="listen on this port rather than a free one")
    arguments = parser.parse_args()

    options = {}
    if arguments.auth is not None:
        user, _, password = arguments.auth.partition(":")
        expected = (user.encode("utf-8"), password.encode("utf-8"))

        def authenticator(server, session, envelope, mechanism, data):
            ok = isinstance(data, LoginPassword) and (data.login, data.password) == expected
            # handled=False: aiosmtpd itself replies 535 to a failed login.
            return AuthResult(success=ok, handled=False)

        options = {
            "authenticator": authenticator,
            "auth_required": True,
            "auth_require_tls": False,
        }

    handler = Keeper(arguments.directory)
    # The probed port can be taken before the server binds it; try a few.
    for attempt in range(5):
        port = arguments.port if arguments.port else free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
        try:
            controller.start()
            break
        except OSError:
            if attempt == 4:
                raise

    print(f"ready {port}", flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
