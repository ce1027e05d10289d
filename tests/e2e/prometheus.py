"""A real Prometheus (Debian's `prometheus`) for the e2e tests: on loopback, with its own data
directory, a 1 s scrape and rule evaluation interval, and its HTTP API. Every wait is bounded;
the process is killed (process group) on exit and dies with its parent.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.parse
from collections.abc import Sequence
from pathlib import Path

from envoylib.paths import LOOPBACK
from envoylib.process import die_with_parent, http_get, kill_group


def prometheus_bin() -> str | None:
    """$PROMETHEUS, else `prometheus` on PATH."""
    return os.environ.get("PROMETHEUS") or shutil.which("prometheus")


class PromQLError(AssertionError):
    """Prometheus refused a query (bad PromQL, unknown function...): its own message."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


class Prometheus:
    """Prometheus scraping `targets` ("host:port") at `metrics_path` every second as the job
    `job` (renaming series by `metric_relabel_configs`), evaluating `rule_files` every second. Its configuration, data and log live in
    `workdir`."""

    def __init__(
        self,
        binary: str,
        workdir: Path,
        targets: Sequence[str],
        *,
        metrics_path: str = "/stats/prometheus",
        job: str = "gateways",
        rule_files: Sequence[Path] = (),
        metric_relabel_configs: Sequence[dict] = (),
        start_timeout: float = 30.0,
    ):
        self.binary = binary
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.workdir / "prometheus.log"
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen | None = None
        self.address = ""
        scrape = {"job_name": job, "metrics_path": metrics_path, "static_configs": [{"targets": list(targets)}]}
        if metric_relabel_configs:
            scrape["metric_relabel_configs"] = list(metric_relabel_configs)
        config = {
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(Path(f).resolve()) for f in rule_files],
            "scrape_configs": [scrape],
        }
        # JSON is YAML.
        self.config_path = self.workdir / "prometheus.yml"
        self.config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")

    def __enter__(self) -> Prometheus:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        self.address = f"{LOOPBACK}:{_free_port()}"
        cmd = [
            self.binary,
            f"--config.file={self.config_path}",
            f"--storage.tsdb.path={self.workdir / 'data'}",
            "--storage.tsdb.retention.time=1h",
            f"--web.listen-address={self.address}",
        ]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prometheus exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                status, _ = http_get(f"http://{self.address}/-/ready", timeout=1)
            except OSError:
                status = 0
            if status == 200:
                return
            time.sleep(0.1)
        raise RuntimeError(f"prometheus not ready after {self.start_timeout}s:\n{self.log_tail()}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        kill_group(proc)

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    # -- HTTP API ------------------------------------------------------------

    def api(self, path: str, **params) -> dict | list:
        """The `data` of GET /api/v1/<path>; PromQLError with Prometheus's message on an error."""
        query = urllib.parse.urlencode(params, doseq=True)
        status, body = http_get(f"http://{self.address}/api/v1/{path}?{query}", timeout=5)
        try:
            answer = json.loads(body)
        except ValueError:
            raise PromQLError(f"{path} {params}: HTTP {status}: {body[:500]}") from None
        if answer.get("status") != "success":
            raise PromQLError(f"{path} {params}: {answer.get('errorType')}: {answer.get('error')}")
        return answer["data"]

    def query(self, expr: str) -> list[tuple[dict[str, str], float]]:
        """An instant query now: (labels, value) per series; a scalar result has no labels."""
        data = self.api("query", query=expr)
        if data["resultType"] == "vector":
            return [(item["metric"], float(item["value"][1])) for item in data["result"]]
        if data["resultType"] == "scalar":
            return [({}, float(data["result"][1]))]
        raise PromQLError(f"{expr}: a {data['resultType']} result, not an instant vector")

    def label_values(self, label: str, match: str) -> list[str]:
        return self.api(f"label/{label}/values", **{"match[]": match})

    def targets(self) -> list[dict]:
        return self.api("targets")["activeTargets"]

    def alerts(self) -> list[dict]:
        """Active alerts (pending and firing), with their labels and rendered annotations."""
        return self.api("alerts")["alerts"]

    def rules(self) -> list[dict]:
        return [rule for group in self.api("rules")["groups"] for rule in group["rules"]]
