#!/usr/bin/env python3
"""A local SMTP sink for msadesk's delivery tests: accepts every message and writes it to a directory.

Usage: smtp_sink.py HOST PORT DIR [--stop-after N] [--tls-cert CERT.pem --tls-key KEY.pem] [--auth USER:PASSWORD]

Each accepted message becomes DIR/NNNNNN.eml (the raw message as received). Tests count the files and
the distinct Message-IDs in them: a message delivered twice shows up as two files with one Message-ID.
With --stop-after N the sink behaves like a server going down after N messages: it answers every
later message with "421" (a temporary failure, so the sender must try again later) and exits.
With --tls-cert/--tls-key the sink offers STARTTLS and requires it before any mail command (with
--tls-wrapper it speaks TLS from the first byte instead, SMTPS); every
stored message then starts with an added header "X-Sink-TLS: <protocol>" ("none" for a plain
session), so a test can see the message came over TLS. With --auth it accepts AUTH PLAIN/LOGIN
with that user and password, only over TLS, and adds "X-Sink-Auth: <user>".
Written for msadesk on top of PyPI aiosmtpd; stops on SIGTERM or SIGINT.
"""
import argparse
import itertools
import os
import ssl
import signal
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class DirectoryHandler:
    def __init__(self, directory, stop_after=None, stopped=None, mark_tls=False):
        self.directory = directory
        self.mark_tls = mark_tls
        self.stop_after = stop_after
        self.stopped = stopped
        self.accepted = 0
        os.makedirs(directory, exist_ok=True)
        existing = [int(n[:6]) for n in os.listdir(directory) if n.endswith(".eml") and n[:6].isdigit()]
        self.counter = itertools.count(max(existing, default=0) + 1)

    async def handle_DATA(self, server, session, envelope):
        if self.stop_after is not None and self.accepted >= self.stop_after:
            # Going down: refuse temporarily, and stop shortly (after this reply is sent).
            threading.Timer(0.5, self.stopped.set).start()
            return "421 Service closing, try again later"
        self.accepted += 1
        if self.stop_after is not None and self.accepted == self.stop_after:
            threading.Timer(2.0, self.stopped.set).start()
        n = next(self.counter)
        tmp = os.path.join(self.directory, f".{n:06d}.tmp")
        with open(tmp, "wb") as f:
            if self.mark_tls:
                tls = "none"
                obj = server.transport.get_extra_info("ssl_object") if server.transport is not None else None
                if obj is not None:
                    tls = obj.version()
                f.write(f"X-Sink-TLS: {tls}\r\n".encode())
                if session.authenticated:
                    f.write(f"X-Sink-Auth: {session.auth_data}\r\n".encode())
            f.write(envelope.original_content or envelope.content)
        # Renamed only when complete, so a reader never counts a half-written message.
        os.rename(tmp, os.path.join(self.directory, f"{n:06d}.eml"))
        return "250 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser(description="msadesk's local SMTP sink")
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("directory")
    parser.add_argument("--stop-after", type=int, default=None)
    parser.add_argument("--tls-cert", default=None)
    parser.add_argument("--tls-key", default=None)
    parser.add_argument("--tls-wrapper", action="store_true", help="TLS from the first byte (SMTPS) instead of STARTTLS")
    parser.add_argument("--auth", default=None, help="USER:PASSWORD accepted (over TLS only)")
    args = parser.parse_args()
    host, port, directory, stop_after = args.host, args.port, args.directory, args.stop_after
    stopped = threading.Event()
    handler = DirectoryHandler(directory, stop_after, stopped, mark_tls=args.tls_cert is not None)
    extra = {}
    if args.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        if args.tls_wrapper:
            extra.update(ssl_context=context)
        else:
            extra.update(tls_context=context, require_starttls=True)
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login.decode() == user and auth_data.password.decode() == password
            return AuthResult(success=ok, auth_data=user if ok else None)

        # aiosmtpd counts only STARTTLS as encryption; under --tls-wrapper the whole session is TLS.
        extra.update(authenticator=authenticator, auth_require_tls=not args.tls_wrapper)
    controller = Controller(handler, hostname=host, port=port, **extra)
    controller.start()
    print(f"smtp sink listening on {host}:{port}, writing to {directory}", flush=True)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    while not stopped.wait(0.2):
        pass
    controller.stop()


if __name__ == "__main__":
    main()
