#!/usr/bin/env python3
"""`make run`: a real Envoy with the maintenance-mode filter in front of a demo app.

- demo upstream (this process, a thread): http://127.0.0.1:8080 serving "the
  application" at /, /admin/... and /healthz
- Envoy: http://127.0.0.1:10000, admin http://127.0.0.1:9901, bootstrap
  rendered from envoy/envoy.yaml.tmpl into .run/envoy.yaml; the filter comes
  by ECDS from the watched file .run/ecds/maintenance-mode.json, created from
  envoy/maintenance.json. `make on REASON=...`, `make off` and `make apply`
  (envoy/ecds.py) rewrite that file and Envoy applies it without a restart.

The configuration is validated first (`envoy --mode validate`): if the plugin
rejects it, its error line is shown and nothing is started. Runs in the
foreground until Ctrl-C; Envoy runs in its own process group and is killed on
exit, SIGINT, SIGTERM or SIGHUP. Standard library only.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
LOOPBACK = "127.0.0.1"

sys.path.insert(0, str(HERE))
import ecds  # noqa: E402 - envoy/ecds.py, next to this file
from processes import die_with_parent, kill_group  # noqa: E402 - envoy/processes.py


# ---------------------------------------------------------------------------
# demo upstream
# ---------------------------------------------------------------------------

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem}}</style>
</head><body><h1>{title}</h1><p>{text}</p><p><small>path: <code>{path}</code></small></p></body></html>
"""


class DemoApp(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "demo-app"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002
        pass

    def do_GET(self):  # noqa: N802
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            body, ctype = b"ok\n", "text/plain; charset=utf-8"
        else:
            is_admin = path == "/admin" or path.startswith("/admin/")
            title = "The application: admin area" if is_admin else "The application"
            text = (
                "You reached the admin area: bypass paths go straight to the application."
                if is_admin
                else "This page is served by the application behind Envoy: maintenance mode is off for it."
            )
            safe_path = self.path.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            body = PAGE.format(title=title, text=text, path=safe_path).encode()
            ctype = "text/html; charset=utf-8"
        self.send_response(200)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(body)))
        self.send_header("x-served-by", "demo-app")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_GET

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        self.do_GET()

    do_PUT = do_DELETE = do_PATCH = do_POST


# ---------------------------------------------------------------------------
# Envoy
# ---------------------------------------------------------------------------


def wait_ready(proc: subprocess.Popen, admin: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"http://{LOOPBACK}:{admin}/ready", timeout=1) as resp:  # noqa: S310
                if resp.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    return False


def print_plugin_line(line: str) -> None:
    """'[...][info][wasm] [...] wasm log maintenance-mode maintenance-mode: msg' → '  [plugin info] msg'"""
    if "wasm log " not in line:
        return
    level = line.split("][", 3)[2] if line.count("][") >= 3 else "log"
    message = line.rstrip().split("wasm log ", 1)[1]
    message = message.split(": ", 1)[1] if ": " in message else message
    print(f"  [plugin {level}] {message}", flush=True)


def follow_plugin_log(f, stop: threading.Event) -> None:
    """Echo the plugin's own log lines (Envoy prefixes them with `wasm log`) as they come."""
    with f:
        while not stop.is_set():
            line = f.readline()
            if not line:
                stop.wait(0.2)
                continue
            print_plugin_line(line)


def tail(path: Path, n: int = 30) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-n:])
    except FileNotFoundError:
        return ""


class Stop(Exception):
    pass


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", type=Path, default=HERE / "maintenance.json", help="plugin configuration (JSON)")
    ap.add_argument("--wasm", type=Path, default=REPO / "target/wasm32-wasip1/release/maintenance_mode.wasm")
    ap.add_argument("--envoy", default=str(REPO / ".venv/bin/envoy"))
    ap.add_argument("--template", type=Path, default=ecds.TEMPLATE)
    ap.add_argument("--workdir", type=Path, default=REPO / ".run")
    ap.add_argument("--listen-port", type=int, default=10000)
    ap.add_argument("--admin-port", type=int, default=9901)
    ap.add_argument("--upstream-port", type=int, default=8080)
    ap.add_argument("--log-level", default="info")
    args = ap.parse_args()

    wasm = args.wasm.resolve()
    for what, path in (("wasm", wasm), ("envoy", Path(args.envoy)), ("config", args.config)):
        if not path.exists():
            print(f"error: {what} not found: {path} (run `make build venv`)", file=sys.stderr)
            return 1
    config_text = args.config.read_text(encoding="utf-8")
    args.workdir.mkdir(parents=True, exist_ok=True)

    print(f"validating {args.config} ...", flush=True)
    accepted, errors, output = ecds.validate(args.envoy, str(wasm), config_text)
    if not accepted:
        print(f"\nEnvoy rejected the configuration in {args.config}:", file=sys.stderr)
        for line in errors or output.splitlines()[-20:]:
            print(f"  {line}", file=sys.stderr)
        print("\nFix the file and run `make run` again.", file=sys.stderr)
        return 1

    ecds_file = (args.workdir / "ecds" / "maintenance-mode.json").resolve()
    ecds.write_atomically(ecds_file, ecds.dump(ecds.resource_document(config_text, str(wasm))))
    bootstrap = args.workdir / "envoy.yaml"
    bootstrap.write_text(
        ecds.render_bootstrap(
            admin_address=LOOPBACK,
            admin_port=args.admin_port,
            listen_address=LOOPBACK,
            listen_port=args.listen_port,
            upstream_host=LOOPBACK,
            upstream_port=args.upstream_port,
            ecds_file=str(ecds_file),
            template=args.template,
        ),
        encoding="utf-8",
    )

    try:
        app = ThreadingHTTPServer((LOOPBACK, args.upstream_port), DemoApp)
    except OSError as err:
        print(f"error: cannot listen on {LOOPBACK}:{args.upstream_port}: {err} (use --upstream-port)", file=sys.stderr)
        return 1
    app.daemon_threads = True
    threading.Thread(target=app.serve_forever, name="demo-app", daemon=True).start()

    log = args.workdir / "envoy.log"
    envoy: subprocess.Popen | None = None
    stop_follow = threading.Event()

    def on_signal(signum, _frame):
        raise Stop(signal.Signals(signum).name)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    try:
        with open(log, "wb") as logf:
            envoy = subprocess.Popen(
                [
                    args.envoy, "-c", str(bootstrap), "-l", args.log_level,
                    "--concurrency", "1", "--use-dynamic-base-id",
                ],  # fmt: skip
                stdin=subprocess.DEVNULL,
                stdout=logf,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        if not wait_ready(envoy, args.admin_port):
            print(f"error: Envoy did not start; last lines of {log}:\n{tail(log)}", file=sys.stderr)
            return 1
        # the plugin's start-up lines, then the rest as they come
        log_reader = open(log, encoding="utf-8", errors="replace")  # noqa: SIM115 - closed by the follower
        for line in log_reader.readlines():
            print_plugin_line(line)
        threading.Thread(target=follow_plugin_log, args=(log_reader, stop_follow), daemon=True).start()

        base = f"http://localhost:{args.listen_port}"
        print(
            f"""
Envoy with the maintenance-mode filter is listening on {base}
(demo application on http://{LOOPBACK}:{args.upstream_port}, Envoy admin on http://{LOOPBACK}:{args.admin_port}).

  See the maintenance page:    curl -i {base}/
                               open {base}/ in a browser
                               curl -i -H 'accept: application/json' {base}/
  Reach a bypassed path:       curl -i {base}/admin/
                               curl -i {base}/healthz
  In another terminal, no restart needed:
    turn maintenance off:      make off
    turn it on, new reason:    make on REASON="Back at 15:00 UTC"
    apply an edited config:    make apply   (pushes {args.config} as it is)
    see the live config:       make show
  Metrics:                     curl -s http://{LOOPBACK}:{args.admin_port}/stats | grep maintenance

Envoy log: {log}. Press Ctrl-C to stop.
""",
            flush=True,
        )
        while envoy.poll() is None:
            time.sleep(0.5)
        print(f"error: Envoy exited with {envoy.returncode}; last lines of {log}:\n{tail(log)}", file=sys.stderr)
        return 1
    except (Stop, KeyboardInterrupt) as why:
        print(f"\nstopping ({why or 'SIGINT'}) ...", flush=True)
        return 0
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        stop_follow.set()
        kill_group(envoy)
        app.shutdown()
        app.server_close()


if __name__ == "__main__":
    sys.exit(main())
