#!/usr/bin/env python3
"""A local SMTP sink for msadesk's delivery tests: accepts every message and writes it to a directory.

Usage: smtp_sink.py HOST PORT DIR

Each accepted message becomes DIR/NNNNNN.eml (the raw message as received). Tests count the files and
the distinct Message-IDs in them: a message delivered twice shows up as two files with one Message-ID.
Written for msadesk on top of PyPI aiosmtpd; stops on SIGTERM or SIGINT.
"""
import asyncio
import itertools
import os
import signal
import sys

from aiosmtpd.controller import Controller


class DirectoryHandler:
    def __init__(self, directory):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        existing = [int(n[:6]) for n in os.listdir(directory) if n.endswith(".eml") and n[:6].isdigit()]
        self.counter = itertools.count(max(existing, default=0) + 1)

    async def handle_DATA(self, server, session, envelope):
        n = next(self.counter)
        tmp = os.path.join(self.directory, f".{n:06d}.tmp")
        with open(tmp, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        # Renamed only when complete, so a reader never counts a half-written message.
        os.rename(tmp, os.path.join(self.directory, f"{n:06d}.eml"))
        return "250 Message accepted for delivery"


def main():
    host, port, directory = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    controller = Controller(DirectoryHandler(directory), hostname=host, port=port)
    controller.start()
    print(f"smtp sink listening on {host}:{port}, writing to {directory}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.run_until_complete(stop.wait())
    controller.stop()


if __name__ == "__main__":
    main()
