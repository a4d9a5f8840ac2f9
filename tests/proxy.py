"""Debian's nginx with the shipped deploy/nginx.conf.template, as an unprivileged test instance.

The template is rendered exactly as docs/operations.md tells an operator to (envsubst of the
named ${CHAT_...} values): the test's configuration is the shipped text with only addresses,
ports and certificate paths filled in. A missing nginx (or envsubst, or openssl) is an error,
never a skip.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import ssl
import subprocess
from collections.abc import Mapping
from pathlib import Path

from chatserver.testing import _wait_for_port, free_ports

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
PLACEHOLDER = re.compile(r"\$\{(CHAT_[A-Z0-9_]+)\}")


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists()
                                      else None)
    if found is None:
        raise RuntimeError("nginx is not installed (Debian: apt-get install nginx); the proxy "
                           "deployment tests need it (.ci/run installs it)")
    return found


def placeholders(text: str | None = None) -> set[str]:
    return set(PLACEHOLDER.findall(TEMPLATE.read_text() if text is None else text))


def render(values: Mapping[str, str]) -> str:
    """The template rendered by the very step docs/operations.md gives the operator:
    `envsubst '$CHAT_A $CHAT_B ...'` with the values in the environment. Every placeholder
    must be given a value and nothing else may be."""
    envsubst = shutil.which("envsubst")
    if envsubst is None:
        raise RuntimeError("envsubst is not installed (Debian: apt-get install gettext-base); "
                           "the proxy deployment tests render the nginx template with it")
    text = TEMPLATE.read_text()
    wanted = placeholders(text)
    assert set(values) == wanted, f"values for {sorted(wanted)}, got {sorted(values)}"
    rendered = subprocess.run([envsubst, " ".join(f"${name}" for name in sorted(wanted))],
                              input=text, env={"PATH": os.environ.get("PATH", ""), **values},
                              capture_output=True, text=True, check=True, timeout=30).stdout
    assert not placeholders(rendered) and "$remote_addr" in rendered, "only the values changed"
    return rendered


def make_certificate(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """A self-signed certificate for `host` (an IP address), valid from now for two days."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("openssl is not installed (Debian: apt-get install openssl)")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", f"/CN={host}", "-addext", f"subjectAltName=IP:{host}",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def client_tls(cert: Path) -> ssl.SSLContext:
    """A client context that trusts only the test's certificate (verified, not turned off)."""
    return ssl.create_default_context(cafile=str(cert))


class Nginx:
    """nginx in the foreground with a prefix, temp paths, pid and logs under `directory`,
    listening on free loopback ports for plain HTTP and TLS."""

    def __init__(self, directory: Path, apps: tuple[str, str], cert: Path, key: Path) -> None:
        self.binary = nginx_binary()
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        # Two different ports, neither an app's (a "down" app's address is a free port too).
        self.http_port, self.https_port = free_ports(
            2, avoid={int(app.rsplit(":", 1)[1]) for app in apps})
        self.values = {
            "CHAT_APP_1": apps[0],
            "CHAT_APP_2": apps[1],
            "CHAT_HTTP_LISTEN": f"127.0.0.1:{self.http_port}",
            "CHAT_HTTPS_LISTEN": f"127.0.0.1:{self.https_port}",
            "CHAT_HTTPS_ORIGIN": f"https://127.0.0.1:{self.https_port}",
            "CHAT_TLS_CERTIFICATE": str(cert),
            "CHAT_TLS_CERTIFICATE_KEY": str(key),
        }
        self.site = self.dir / "chat.conf"
        self.site.write_text(render(self.values))
        # The part of nginx.conf that Debian's package ships (the main and events contexts),
        # reduced to one worker with every path inside the test's directory.
        temp = "\n".join(f"    {name}_temp_path {self.dir / name};"
                         for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        user = "user root;\n" if os.geteuid() == 0 else ""
        self.conf = self.dir / "nginx.conf"
        self.conf.write_text(f"{user}worker_processes 1;\nevents {{ worker_connections 2048; }}\n"
                             f"http {{\n{temp}\n    include {self.site};\n}}\n")
        self.error_log = self.dir / "error.log"
        # The shipped server block logs to stderr (critical failures only): kept here.
        self.stderr_log = self.dir / "stderr.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def origin(self) -> str:
        return self.values["CHAT_HTTPS_ORIGIN"]

    @property
    def plain(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def wss_url(self) -> str:
        return f"wss://127.0.0.1:{self.https_port}/ws"

    def _args(self) -> list[str]:
        return [self.binary, "-p", str(self.dir), "-c", str(self.conf), "-e", str(self.error_log),
                "-g", f"daemon off; pid {self.dir / 'nginx.pid'}; error_log {self.error_log} info;"]

    def start(self) -> Nginx:
        checked = subprocess.run([*self._args(), "-t"], capture_output=True, text=True,
                                 timeout=30)
        assert checked.returncode == 0, f"nginx -t refused the rendered config:\n{checked.stderr}"
        with open(self.stderr_log, "ab") as stderr:
            self.proc = subprocess.Popen(self._args(), stdout=subprocess.DEVNULL, stderr=stderr)
        _wait_for_port(self.http_port, 10, self.proc)
        _wait_for_port(self.https_port, 10, self.proc)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def request_log_text(self) -> str:
        """What nginx wrote while serving (its start-up lines, which name the listening
        addresses, left out)."""
        return "\n".join(line for line in self.log_text().splitlines()
                         if "[notice]" not in line)

    def log_text(self) -> str:
        return "".join(path.read_text(errors="replace") for path in
                       (self.error_log, self.stderr_log) if path.exists())
