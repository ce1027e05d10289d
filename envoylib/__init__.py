"""One Python library for running and configuring the real Envoy with the maintenance-mode plugin.

Used by `make run` (envoy/run.py), `make docker-config` (envoy/docker_config.py), the e2e tests
(tests/e2e), the benchmark (bench/bench.py) and the Istio checker (istio/check.py).
Standard library only (the HTTP/2 client imports `h2` when called). Modules, by concern:

- `envoylib.paths`     where things are: the repo, the release wasm, the CLI, the Envoy binary.
- `envoylib.bootstrap` Envoy configuration as data: the wasm filter (plugin configuration as a
                       JSON string in a google.protobuf.StringValue, as Istio and Envoy Gateway
                       deliver it), the test/benchmark bootstrap, envoy/envoy.yaml.tmpl rendering.
- `envoylib.ecds`      the ECDS resource file, read, and Envoy's update counters.
- `envoylib.cli`       the kubectl-maintenance CLI, the one writer of ECDS files, as scripts run it.
- `envoylib.process`   an Envoy process (start, ready, stop, log), `validate` (envoy --mode
                       validate), process-group clean-up, loopback port checks.
- `envoylib.client`    raw HTTP/1.1 and h2c clients that send exactly the bytes they are given.
- `envoylib.server`    a threaded HTTP server that stays quiet when a client hangs up.

Import it from the repository root: pytest has the root on its path (pyproject.toml), and the
scripts run as modules (`python -m envoy.run`, `python -m bench.bench`, `python -m istio.check`).
"""
