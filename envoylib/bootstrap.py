"""Envoy configuration as data: bootstraps running the plugin (either build, see `plugin.py`),
the envoy.yaml.tmpl rendering."""

from __future__ import annotations

import json
import string
from pathlib import Path, PurePosixPath
from collections.abc import Mapping, Sequence

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


JWT_AUTHN_TYPE = "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication"
CORS_TYPE = "type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors"
CORS_POLICY_TYPE = "type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy"


def jwt_authn_filter(issuer: str, jwks: Mapping, payload_in_metadata: str) -> dict:
    """Envoy's `jwt_authn` filter with one provider: tokens from `Authorization: Bearer`,
    verified against the local `jwks`, the payload of a verified one stored in dynamic metadata
    (namespace envoy.filters.http.jwt_authn, key `payload_in_metadata`). A request with a
    missing, forged or expired token continues without a payload (`allow_missing_or_failed`),
    as a filter that only verifies for later filters is configured."""
    provider = {
        "issuer": issuer,
        "local_jwks": {"inline_string": json.dumps(jwks)},
        "payload_in_metadata": payload_in_metadata,
        "forward": True,
    }
    requirement = {"requires_any": {"requirements": [{"provider_name": "provider"}, {"allow_missing_or_failed": {}}]}}
    return {
        "name": "envoy.filters.http.jwt_authn",
        "typed_config": {
            "@type": JWT_AUTHN_TYPE,
            "providers": {"provider": provider},
            "rules": [{"match": {"prefix": "/"}, "requires": requirement}],
        },
    }


def cors_filter() -> dict:
    """Envoy's CORS filter (what Istio's `corsPolicy` and Envoy Gateway's CORS configure); the
    policy comes per virtual host or route (`cors_policy`)."""
    return {"name": "envoy.filters.http.cors", "typed_config": {"@type": CORS_TYPE}}


def cors_policy(allow_origins: Sequence[str], *, expose_headers: str = "", max_age: str = "") -> dict:
    """A CorsPolicy allowing these exact origins, any method and header, for a virtual host's or
    route's `typed_per_filter_config` under `envoy.filters.http.cors`."""
    policy = {
        "@type": CORS_POLICY_TYPE,
        "allow_origin_string_match": [{"exact": origin} for origin in allow_origins],
        "allow_methods": "GET, POST, PUT, DELETE, OPTIONS",
        "allow_headers": "content-type, x-request-id",
    }
    if expose_headers:
        policy["expose_headers"] = expose_headers
    if max_age:
        policy["max_age"] = max_age
    return policy


def plugin_bootstrap(
    config,
    upstream_port: int,
    *,
    with_plugin: bool = True,
    listen_port: int = 0,
    admin_port: int = 0,
    hcm: Mapping | None = None,
    plugin: Plugin | None = None,
    before: Sequence[dict] = (),
    per_filter_config: Mapping | None = None,
) -> dict:
    """A complete Envoy bootstrap on loopback: one listener `ingress` (codec AUTO, so HTTP/1.1
    and h2c prior knowledge), the filters `before` (e.g. `jwt_authn_filter`, `cors_filter`), the
    plugin (default: `plugin.plugin()`) with `config` (unless with_plugin=False), the router,
    and one static cluster `upstream` to 127.0.0.1:`upstream_port`. Port 0: chosen by the OS.
    `per_filter_config` is the virtual host's `typed_per_filter_config` (e.g. a `cors_policy`).
    `hcm` overrides HttpConnectionManager fields, e.g. {"normalize_path": True} or a whole
    {"http_filters": [...], "route_config": {...}}."""
    own = [(plugin or default_plugin()).http_filter(config)] if with_plugin else []
    filters = [*before, *own, ROUTER]
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
    if per_filter_config:
        manager["route_config"]["virtual_hosts"][0]["typed_per_filter_config"] = dict(per_filter_config)
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
