#!/usr/bin/env python3
"""`make run`: a real Envoy with the maintenance-mode filter in front of a demo app.

- demo upstream (this process, a thread): http://127.0.0.1:8080 serving "the
  application" at /, /admin/... and /healthz
- Envoy: http://127.0.0.1:10000, admin http://127.0.0.1:9901, bootstrap
  rendered from envoy/envoy.yaml.tmpl into .run/envoy.yaml; the filter comes
  by ECDS from the watched file .run/ecds/maintenance-mode.json, written from
  envoy/maintenance.json by the kubectl-maintenance CLI, which `make on REASON=...`,
  `make off` and `make apply` run too: Envoy applies each change without a restart.

Nothing is written before the checks pass: the configuration file must be
readable, the ports free, and no other `make run` may use the same work directory
(a lock file); then the CLI writes the ECDS file only when the plugin's own
validation accepts the configuration (its error line is shown). So a second
`make run` that fails leaves a running one untouched.
Runs in the foreground until Ctrl-C; Envoy runs in its own process group and is
killed on exit, SIGINT, SIGTERM or SIGHUP. Standard library only (and envoylib):
run it from the repository root as `python -m envoy.run` (`make run`).
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from envoylib import cli
from envoylib.bootstrap import render_template
from envoylib.paths import DEFAULT_WASM, LOOPBACK, REPO, TEMPLATE, VENV_ENVOY, cli_path
from envoylib.plugin import MODULE, WASM, Plugin
from envoylib.process import Envoy, EnvoyStartError, port_in_use
from envoylib.server import QuietHTTPServer
from envoylib.config_file import UserError, read_config

HERE = REPO / "envoy"
# The secret whose SHA-256 the demo configuration (envoy/maintenance.json) lists in
# bypass.tokens: printed by the banner so the bypass can be tried at once. Never a real secret.
DEMO_TOKEN = "let-me-in"


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

    def log_message(self, format, *args):
        pass

    def do_GET(self):
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

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        self.do_GET()

    do_PUT = do_DELETE = do_PATCH = do_POST


# ---------------------------------------------------------------------------
# Envoy
# ---------------------------------------------------------------------------


def demo_lines(config_text: str, base: str) -> str:
    """Banner lines for what the configuration offers to try: its status endpoint, and a pass
    with DEMO_TOKEN when one of its bypass tokens is that secret's digest."""
    try:
        config = json.loads(config_text)
    except ValueError:
        return ""
    config = config if isinstance(config, dict) else {}
    lines = []
    status_path = config.get("status_path")
    if isinstance(status_path, str):
        lines.append(f"  Is maintenance on?           curl -s {base}{status_path}")
        lines.append(f"  Preview the page:            curl -i {base}{status_path}/preview")
    digest = hashlib.sha256(DEMO_TOKEN.encode()).hexdigest()
    bypass = config.get("bypass") if isinstance(config.get("bypass"), dict) else {}
    for token in bypass.get("tokens") or []:
        if isinstance(token, dict) and str(token.get("sha256", "")).lower() == digest:
            lines.append(f"  Pass with the demo token:    curl -i -H '{token.get('header')}: {DEMO_TOKEN}' {base}/")
            break
    return "".join(f"{line}\n" for line in lines)


def print_plugin_line(plugin: Plugin, line: str) -> None:
    """'[...][info][wasm] [...] wasm log maintenance-mode maintenance-mode: msg' (or the
    module's '[...][info][dynamic_modules] [:] msg') → '  [plugin info] msg'"""
    message = plugin.message(line)
    if message is None:
        return
    level = line.split("][", 3)[2] if line.count("][") >= 3 else "log"
    print(f"  [plugin {level}] {message}", flush=True)


def follow_plugin_log(plugin: Plugin, f, stop: threading.Event) -> None:
    """Echo the plugin's own log lines as they come."""
    with f:
        while not stop.is_set():
            line = f.readline()
            if not line:
                stop.wait(0.2)
                continue
            print_plugin_line(plugin, line)


class Stop(Exception):
    pass


def lock_workdir(workdir: Path):
    """An exclusive lock on `<workdir>/run.lock`, held while this process lives: a second
    `make run` on the same work directory (the ECDS file `make on/off` act on) stops here."""
    workdir.mkdir(parents=True, exist_ok=True)
    lock = open(workdir / "run.lock", "a+")  # noqa: SIM115 - held until exit
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.seek(0)
        holder = lock.read().strip() or "?"
        lock.close()
        raise UserError(
            f"another `make run` (pid {holder}) is using {workdir}: stop it first, or give this one "
            "its own --workdir and ports (RUN_ARGS)"
        ) from None
    lock.seek(0)
    lock.truncate()
    lock.write(f"{os.getpid()}\n")
    lock.flush()
    return lock


def check_ports(args) -> None:
    for option, port in (("--listen-port", args.listen_port), ("--admin-port", args.admin_port)):
        if port_in_use(port):
            raise UserError(
                f"{LOOPBACK}:{port} is in use (another `make run`?): stop it, or choose another port with "
                f"make run RUN_ARGS='{option} N'"
            )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", type=Path, default=HERE / "maintenance.json", help="plugin configuration (JSON)")
    built = ap.add_mutually_exclusive_group()
    built.add_argument("--wasm", type=Path, help=f"the wasm plugin (default: {DEFAULT_WASM})")
    built.add_argument("--module", type=Path, help="run the native module (`make module`) instead of the wasm")
    ap.add_argument("--envoy", default=str(VENV_ENVOY))
    ap.add_argument("--template", type=Path, default=TEMPLATE)
    ap.add_argument("--workdir", type=Path, default=REPO / ".run", help="run state: bootstrap, ECDS file, log")
    ap.add_argument("--listen-port", type=int, default=10000)
    ap.add_argument("--admin-port", type=int, default=9901)
    ap.add_argument("--upstream-port", type=int, default=8080, help="the demo application's port")
    ap.add_argument("--log-level", default="info")
    args = ap.parse_args()
    try:
        return run(args)
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


def run(args) -> int:
    plugin = (
        Plugin(MODULE, args.module.resolve()) if args.module else Plugin(WASM, (args.wasm or DEFAULT_WASM).resolve())
    )
    build = "make build venv cli-native" if plugin.is_wasm else "make module venv cli-native"
    for what, path in ((plugin.kind, plugin.path), ("envoy", Path(args.envoy)), ("kubectl-maintenance", cli_path())):
        if not path.exists():
            raise UserError(f"{what} not found: {path} (run `{build}`)")
    config_text = read_config(args.config)
    workdir = args.workdir.resolve()
    lock = lock_workdir(workdir)  # noqa: F841 - released when the process exits
    check_ports(args)
    try:
        app = QuietHTTPServer((LOOPBACK, args.upstream_port), DemoApp)
    except OSError as err:
        raise UserError(
            f"cannot listen on {LOOPBACK}:{args.upstream_port}: {err.strerror} "
            "(choose another port with make run RUN_ARGS='--upstream-port N')"
        ) from None
    try:
        return serve(args, plugin, workdir, config_text, app)
    finally:
        app.server_close()


def serve(args, plugin: Plugin, workdir: Path, config_text: str, app: QuietHTTPServer) -> int:
    # Every other check passed: from here on this run owns the work directory.
    ecds_file = workdir / "ecds" / "maintenance-mode.json"
    try:
        cli.write_ecds(ecds_file, config_text, plugin)
    except cli.CliError as err:
        print(f"\nThe plugin rejects the configuration in {args.config}:\n  {err.message}", file=sys.stderr)
        print("\nFix the file and run `make run` again.", file=sys.stderr)
        return 1
    bootstrap = workdir / "envoy.yaml"
    bootstrap.write_text(
        render_template(
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
    threading.Thread(target=app.serve_forever, name="demo-app", daemon=True).start()

    envoy = Envoy(bootstrap, workdir, log_level=args.log_level, envoy=args.envoy)
    log = envoy.log_path
    stop_follow = threading.Event()

    def on_signal(signum, _frame):
        raise Stop(signal.Signals(signum).name)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    try:
        try:
            envoy.start()
        except EnvoyStartError as err:
            print(f"error: Envoy did not start ({err})", file=sys.stderr)
            return 1
        # the plugin's start-up lines, then the rest as they come
        log_reader = open(log, encoding="utf-8", errors="replace")  # noqa: SIM115 - closed by the follower
        for line in log_reader.readlines():
            print_plugin_line(plugin, line)
        threading.Thread(target=follow_plugin_log, args=(plugin, log_reader, stop_follow), daemon=True).start()

        base = f"http://localhost:{args.listen_port}"
        admin = f"{LOOPBACK}:{args.admin_port}"
        toggle = "" if (args.admin_port, args.workdir) == (9901, REPO / ".run") else f" ADMIN={admin} ECDS={ecds_file}"
        print(
            f"""
Envoy with the maintenance-mode filter is listening on {base}
(demo application on http://{LOOPBACK}:{args.upstream_port}, Envoy admin on http://{admin}).

  See the maintenance page:    curl -i {base}/
                               xdg-open {base}/   (macOS: open)
                               curl -i -H 'accept: application/json' {base}/
  Reach a bypassed path:       curl -i {base}/admin/
                               curl -i {base}/healthz
{demo_lines(config_text, base)}  In another terminal, no restart needed:
    turn maintenance off:      make off{toggle}
    turn it on, new reason:    make on REASON="Back at 15:00 UTC"{toggle}
    apply an edited config:    make apply{toggle}   (pushes {args.config} as it is)
    see the live config:       make show{toggle}
  Metrics:                     curl -s http://{admin}/stats | grep maintenance

Envoy log: {log}. Press Ctrl-C to stop.
""",
            flush=True,
        )
        while envoy.proc is not None and envoy.proc.poll() is None:
            time.sleep(0.5)
        code = envoy.proc.returncode if envoy.proc is not None else "?"
        print(f"error: Envoy exited with {code}; last lines of {log}:\n{envoy.log_tail(30)}", file=sys.stderr)
        return 1
    except (Stop, KeyboardInterrupt) as why:
        print(f"\nstopping ({why or 'SIGINT'}) ...", flush=True)
        return 0
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        stop_follow.set()
        envoy.stop()
        app.shutdown()


if __name__ == "__main__":
    sys.exit(main())
