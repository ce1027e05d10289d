"""Envoy configuration as data: the wasm filter, bootstraps, the envoy.yaml.tmpl rendering."""

from __future__ import annotations

import json
import string
from pathlib import Path, PurePosixPath
from collections.abc import Mapping

from envoylib.paths import LOOPBACK, TEMPLATE, wasm_path

# The plugin's name, root id and VM id; also the ECDS resource's name (Envoy names the ECDS
# stats after it).
FILTER_NAME = "maintenance-mode"
WASM_TYPE = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm"
STRING_VALUE_TYPE = "type.googleapis.com/google.protobuf.StringValue"
HCM_TYPE = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
LISTENER_TYPE = "type.googleapis.com/envoy.config.listener.v3.Listener"
ROUTER = {
    "name": "envoy.filters.http.router",
    "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"},
}


def config_text(config) -> str:
    """The plugin configuration as the string Envoy hands the plugin: dict/list → JSON; str as
    given; bytes decoded (b"" is the empty configuration)."""
    if isinstance(config, bytes):
        return config.decode("utf-8")
    if isinstance(config, str):
        return config
    return json.dumps(config)


def wasm_config(config, wasm: Path | str | None = None, *, vm_id: str = FILTER_NAME, name: str = FILTER_NAME) -> dict:
    """The Wasm HTTP filter's typed config (envoy.extensions.filters.http.wasm.v3.Wasm), with the
    plugin configuration as Istio and Envoy Gateway send it: a JSON string in a StringValue (a
    Struct would reach the plugin as binary protobuf). `config`: see `config_text`; None gives
    no configuration at all (the plugin's default: maintenance off). `wasm` defaults to
    `paths.wasm_path()`. Plugins with the same code and `vm_id` share one VM (Envoy Gateway
    gives each policy its own). `name` is the plugin name, which names the instance's metrics
    (Istio: `<namespace>.<name>`)."""
    inner: dict = {
        "name": name,
        "root_id": FILTER_NAME,
        "vm_config": {
            "vm_id": vm_id,
            "runtime": "envoy.wasm.runtime.v8",
            "code": {"local": {"filename": str(wasm or wasm_path())}},
        },
    }
    if config is not None:
        inner["configuration"] = {"@type": STRING_VALUE_TYPE, "value": config_text(config)}
    return {"@type": WASM_TYPE, "config": inner}


def wasm_filter(
    config, wasm: Path | str | None = None, *, name: str = "envoy.filters.http.wasm", vm_id: str = FILTER_NAME
) -> dict:
    """An `http_filters` entry running the plugin with `config` (see `wasm_config`)."""
    return {"name": name, "typed_config": wasm_config(config, wasm, vm_id=vm_id)}


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
    with_wasm: bool = True,
    listen_port: int = 0,
    admin_port: int = 0,
    hcm: Mapping | None = None,
    wasm: Path | str | None = None,
) -> dict:
    """A complete Envoy bootstrap on loopback: one listener `ingress` (codec AUTO, so HTTP/1.1
    and h2c prior knowledge), the plugin with `config` (unless with_wasm=False), the router, and
    one static cluster `upstream` to 127.0.0.1:`upstream_port`. Port 0: chosen by the OS.
    `hcm` overrides HttpConnectionManager fields, e.g. {"normalize_path": True} or a whole
    {"http_filters": [...], "route_config": {...}}."""
    filters = ([wasm_filter(config, wasm)] if with_wasm else []) + [ROUTER]
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
