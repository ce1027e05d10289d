"""Envoy configuration as data: bootstraps running the plugin (either build, see `plugin.py`),
the envoy.yaml.tmpl rendering."""

from __future__ import annotations

import json
import string
from pathlib import Path, PurePosixPath
from collections.abc import Mapping

from envoylib.paths import LOOPBACK, TEMPLATE
from envoylib.plugin import WASM_TYPE, Plugin
from envoylib.plugin import plugin as default_plugin

HCM_TYPE = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
LISTENER_TYPE = "type.googleapis.com/envoy.config.listener.v3.Listener"
ROUTER = {
    "name": "envoy.filters.http.router",
    "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"},
}


def file_config_source(path: Path) -> dict:
    """An xDS config source reading the DiscoveryResponse in the file `path`, which Envoy reloads
    when a file is renamed over it (see `ecds.write_atomically`)."""
    path = Path(path)
    return {
        "resource_api_version": "V3",
        "path_config_source": {"path": str(path), "watched_directory": {"path": str(path.parent)}},
    }


def ecds_filter(name: str, path: Path, type_url: str = WASM_TYPE) -> dict:
    """An `http_filters` entry whose configuration comes by ECDS (as on Istio): the resource
    `name` of type `type_url`, read from the file `path` (see `ecds.extension_document`)."""
    return {
        "name": name,
        "config_discovery": {"config_source": file_config_source(path), "type_urls": [type_url]},
    }


def plugin_bootstrap(
    config,
    upstream_port: int,
    *,
    with_plugin: bool = True,
    listen_port: int = 0,
    admin_port: int = 0,
    hcm: Mapping | None = None,
    plugin: Plugin | None = None,
) -> dict:
    """A complete Envoy bootstrap on loopback: one listener `ingress` (codec AUTO, so HTTP/1.1
    and h2c prior knowledge), the plugin (default: `plugin.plugin()`) with `config` (unless
    with_plugin=False), the router, and one static cluster `upstream` to
    127.0.0.1:`upstream_port`. Port 0: chosen by the OS. `hcm` overrides HttpConnectionManager
    fields, e.g. {"normalize_path": True} or a whole {"http_filters": [...], "route_config": {...}}."""
    filters = ([(plugin or default_plugin()).http_filter(config)] if with_plugin else []) + [ROUTER]
    manager = {
        "@type": HCM_TYPE,
        "stat_prefix": "ingress",
        "codec_type": "AUTO",
        "route_config": {
            "name": "local",
            "virtual_hosts": [
                {
                    "name": "all",
                    "domains": ["*"],
                    "routes": [{"match": {"prefix": "/"}, "route": {"cluster": "upstream", "timeout": "5s"}}],
                }
            ],
        },
        "http_filters": filters,
    }
    manager.update(hcm or {})
    endpoint = {"address": {"socket_address": {"address": LOOPBACK, "port_value": upstream_port}}}
    return {
        "admin": {"address": {"socket_address": {"address": LOOPBACK, "port_value": admin_port}}},
        "static_resources": {
            "listeners": [
                {
                    "name": "ingress",
                    "address": {"socket_address": {"address": LOOPBACK, "port_value": listen_port}},
                    "filter_chains": [
                        {
                            "filters": [
                                {"name": "envoy.filters.network.http_connection_manager", "typed_config": manager}
                            ]
                        }
                    ],
                }
            ],
            "clusters": [
                {
                    "name": "upstream",
                    "type": "STATIC",
                    "connect_timeout": "1s",
                    "load_assignment": {
                        "cluster_name": "upstream",
                        "endpoints": [{"lb_endpoints": [{"endpoint": endpoint}]}],
                    },
                }
            ],
        },
    }


def write_bootstrap(directory: Path, boot: dict, name: str = "envoy.json") -> Path:
    """Writes `boot` as JSON (Envoy picks the parser by extension; JSON needs no YAML quoting)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(json.dumps(boot, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def render_template(
    *,
    admin_address: str,
    admin_port: int,
    listen_address: str,
    listen_port: int,
    upstream_host: str,
    upstream_port: int,
    ecds_file: str,
    template: Path = TEMPLATE,
) -> str:
    """envoy/envoy.yaml.tmpl (the `make run` and docker-compose bootstrap, the filter by ECDS
    from a watched file) with these values (paths as Envoy will see them)."""
    q = lambda s: json.dumps(str(s), ensure_ascii=False)
    return string.Template(template.read_text(encoding="utf-8")).substitute(
        ADMIN_ADDRESS=q(admin_address),
        ADMIN_PORT=int(admin_port),
        LISTEN_ADDRESS=q(listen_address),
        LISTEN_PORT=int(listen_port),
        UPSTREAM_HOST=q(upstream_host),
        UPSTREAM_PORT=int(upstream_port),
        ECDS_FILE=q(ecds_file),
        ECDS_DIR=q(PurePosixPath(ecds_file).parent),
    )
