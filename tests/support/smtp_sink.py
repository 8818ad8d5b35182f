#!/usr/bin/env python3
"""A real SMTP server on 127.0.0.1 for the email receipts' integration tests (aiosmtpd,
pinned by tests/requirements.txt; tests/api/common/smtp.rs drives it).

Once it listens it prints one line, `PORT <n>`, to stdout; then it serves until SIGTERM
or SIGINT (exit 0). Each accepted message is stored in --dir, atomically (a temporary
name, then a rename): `<seq>.json`, the envelope ({"mail_from", "rcpt_tos", "tls",
"auth_user"}), first, then `<seq>.eml`, the message's bytes as the client sent them
(dot-stuffing undone, CRLF line ends kept). A message's `.eml` appearing is the signal
that it, and its `.json`, are complete. Sequence numbers go on after the files already in
--dir, so a sink restarted on the same folder overwrites nothing.

Options:
  --port N                 0 (the default) for an ephemeral port
  --dir DIR                where messages are stored (created if missing)
  --tls-cert PEM --tls-key PEM
                           offer STARTTLS (AUTH only after it)
  --require-starttls       refuse every command but EHLO, NOOP, STARTTLS, QUIT before
                           STARTTLS (530)
  --implicit-tls           TLS from the first byte (SMTPS, port 465) instead of STARTTLS
  --auth USER:PASS         require AUTH PLAIN or LOGIN with these credentials before MAIL
  --delay-after-data S     store the message, then wait S seconds before answering 250
  --control FILE           read before answering each message's data: "451" answers
                           `451 4.3.0 Try again later`, "550" answers
                           `550 5.1.1 Mailbox unavailable` (the message is not stored);
                           missing or empty, the message is accepted

Every message stored or refused is noted on stderr.
"""

import argparse
import asyncio
import json
import logging
import os
import re
import signal
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

STORED_NAME = re.compile(r"^(\d+)\.eml$")
REFUSALS = {
    "451": "451 4.3.0 Try again later",
    "550": "550 5.1.1 Mailbox unavailable",
}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--dir", required=True)
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--require-starttls", action="store_true")
    p.add_argument("--implicit-tls", action="store_true")
    p.add_argument("--auth", metavar="USER:PASS")
    p.add_argument("--delay-after-data", type=float, default=0.0, metavar="SECONDS")
    p.add_argument("--control", metavar="FILE")
    args = p.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        p.error("--tls-cert and --tls-key go together")
    if (args.require_starttls or args.implicit_tls) and not args.tls_cert:
        p.error("--require-starttls and --implicit-tls need --tls-cert and --tls-key")
    if args.require_starttls and args.implicit_tls:
        p.error("--require-starttls is for STARTTLS, not --implicit-tls")
    if args.auth is not None and ":" not in args.auth:
        p.error("--auth takes USER:PASS")
    return args


def note(message):
    print(f"smtp_sink: {message}", file=sys.stderr, flush=True)


def next_sequence(folder):
    """One more than the highest `<seq>.eml` already in the folder."""
    numbers = [int(m.group(1)) for m in map(STORED_NAME.match, os.listdir(folder)) if m]
    return max(numbers, default=0) + 1


def write_atomically(path, data):
    """Writes `data` to a hidden temporary name beside `path`, then renames it."""
    folder, name = os.path.split(path)
    tmp = os.path.join(folder, f".{name}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_control(path):
    """The refusal the control file asks for, or None."""
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except FileNotFoundError:
        return None
    for code, reply in REFUSALS.items():
        if code in text:
            return reply
    return None


class Handler:
    """Stores each message; answers as the control file and --delay-after-data say."""

    def __init__(self, args):
        self.dir = args.dir
        self.control = args.control
        self.delay = args.delay_after_data
        self.offer_auth = args.auth is not None
        self.sequence = next_sequence(self.dir)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if not self.offer_auth:
            # A server without --auth does not advertise AUTH, as a real one would not.
            responses = [r for r in responses if not r[4:].startswith("AUTH")]
        return responses

    async def handle_DATA(self, server, session, envelope):
        refusal = read_control(self.control)
        if refusal is not None:
            note(f"refused a message from {envelope.mail_from!r}: {refusal}")
            return refusal
        seq = self.sequence
        self.sequence += 1
        login = session.login_data if session.authenticated else None
        transport = server.transport
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "tls": transport is not None and transport.get_extra_info("ssl_object") is not None,
            "auth_user": login.decode("utf-8", "replace") if login is not None else None,
        }
        base = os.path.join(self.dir, f"{seq:06d}")
        write_atomically(base + ".json", json.dumps(meta).encode())
        write_atomically(base + ".eml", envelope.original_content)
        note(f"stored {seq:06d}.eml from {envelope.mail_from!r} to {envelope.rcpt_tos!r}")
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        return "250 2.0.0 OK"


def authenticator(user, password):
    expected = LoginPassword(user.encode(), password.encode())

    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data == expected
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return check


def tls_context(args):
    if not args.tls_cert:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.tls_cert, args.tls_key)
    return context


def smtp_factory(args, loop):
    """Makes the aiosmtpd protocol for each connection, as the options say."""
    handler = Handler(args)
    context = tls_context(args)
    starttls = context if not args.implicit_tls else None
    options = dict(
        hostname="localhost",  # not socket.getfqdn(), which may wait on DNS
        enable_SMTPUTF8=True,
        decode_data=False,
        tls_context=starttls,
        require_starttls=args.require_starttls,
        timeout=60,
        loop=loop,
    )
    if args.auth is not None:
        user, password = args.auth.split(":", 1)
        options.update(
            auth_required=True,
            # After STARTTLS when it is offered; implicit TLS is encrypted throughout
            # (aiosmtpd would not see it), and without a certificate plain is all there is.
            auth_require_tls=starttls is not None,
            authenticator=authenticator(user, password),
        )
    else:
        options.update(auth_exclude_mechanism=["PLAIN", "LOGIN"], auth_require_tls=False)
    return (lambda: SMTP(handler, **options)), (context if args.implicit_tls else None)


async def serve(args):
    loop = asyncio.get_running_loop()
    factory, implicit = smtp_factory(args, loop)
    try:
        server = await loop.create_server(factory, host="127.0.0.1", port=args.port, ssl=implicit)
    except OSError as e:
        note(f"cannot listen on 127.0.0.1:{args.port}: {e}")
        return 3
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    await stop.wait()
    server.close()
    return 0


def main(argv):
    args = parse_args(argv)
    os.makedirs(args.dir, exist_ok=True)
    # aiosmtpd warns when AUTH does not require TLS: intended here, without a certificate.
    warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    loop = asyncio.new_event_loop()
    code = loop.run_until_complete(serve(args))
    sys.stdout.flush()
    sys.stderr.flush()
    # Exits at once, without cancelling the sessions' tasks: connections still open (a
    # client mid-message, or in --delay-after-data) are dropped as a stopped server's are.
    os._exit(code)


if __name__ == "__main__":
    main(sys.argv[1:])
