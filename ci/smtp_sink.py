#!/usr/bin/env python3
"""A local SMTP sink for msadesk's delivery tests: accepts every message and writes it to a directory.

Usage: smtp_sink.py HOST PORT DIR [--stop-after N]

Each accepted message becomes DIR/NNNNNN.eml (the raw message as received). Tests count the files and
the distinct Message-IDs in them: a message delivered twice shows up as two files with one Message-ID.
With --stop-after N the sink behaves like a server going down after N messages: it answers every
later message with "421" (a temporary failure, so the sender must try again later) and exits.
Written for msadesk on top of PyPI aiosmtpd; stops on SIGTERM or SIGINT.
"""
import itertools
import os
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class DirectoryHandler:
    def __init__(self, directory, stop_after=None, stopped=None):
        self.directory = directory
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
            f.write(envelope.original_content or envelope.content)
        # Renamed only when complete, so a reader never counts a half-written message.
        os.rename(tmp, os.path.join(self.directory, f"{n:06d}.eml"))
        return "250 Message accepted for delivery"


def main():
    host, port, directory = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    stop_after = int(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[4] == "--stop-after" else None
    stopped = threading.Event()
    controller = Controller(DirectoryHandler(directory, stop_after, stopped), hostname=host, port=port)
    controller.start()
    print(f"smtp sink listening on {host}:{port}, writing to {directory}", flush=True)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    while not stopped.wait(0.2):
        pass
    controller.stop()


if __name__ == "__main__":
    main()
