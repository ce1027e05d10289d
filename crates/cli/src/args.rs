//! The command line, parsed by hand: `COMMAND [TARGET] [OPTIONS]`, options as `--name VALUE`
//! or `--name=VALUE`, in any order after the command.

use std::path::PathBuf;

use crate::clock::When;
use crate::edit::{RouteArg, Scope};
use crate::kube::Kind;

pub const USAGE: &str = "\
kubectl maintenance: turn the maintenance-mode plugin on and off where it runs

Usage:
  kubectl maintenance on     TARGET [--reason TEXT] [--title TEXT] [--until WHEN] [--from WHEN]
                                    [--scope configured|all|HOST/PATH]... [--link BASE_URL] [--dry-run]
  kubectl maintenance off    TARGET [--dry-run]
  kubectl maintenance status TARGET
  kubectl maintenance apply  TARGET CONFIG.json [--dry-run]   (the whole plugin configuration)
  kubectl maintenance validate FILE|-  (or a TARGET: its current configuration)
  kubectl maintenance token  [--header NAME] [--link BASE_URL] [-o json]
  (as a standalone binary: kubectl-maintenance COMMAND ...)

TARGET, one of:
  KIND/NAME [-n NAMESPACE]  a resource in the cluster, through kubectl: wasmplugin (wp),
                            trafficextension (te), envoyextensionpolicy (eep)
  -f, --filename FILE       a local manifest of one of those kinds: prints it changed
                            (-o yaml|json), no cluster needed
  --ecds FILE               a plain Envoy's ECDS resource file; waits for the Envoy at
                            --admin HOST:PORT (default 127.0.0.1:9901) to apply it, and fails
                            when none answers, unless --write-only. `apply --ecds FILE --wasm
                            PATH` writes FILE anew (made if missing), Envoy loading the plugin
                            from PATH

Options:
  --reason TEXT        the reason users see
  --title TEXT         the heading of the maintenance response
  --until WHEN         end of maintenance: a duration after the start (2h, 30m, 1h30m, 1d) or an
                       RFC 3339 time (2025-06-01T14:00:00Z); Retry-After counts down to it and
                       maintenance ends by itself
  --from WHEN          start later: a duration from now or an RFC 3339 time
  --scope S            configured (default: the configured routes), all (every request), or
                       HOST, /PATH, HOST/PATH (repeat for several routes)
  --link BASE_URL      a fresh bypass secret for a QA cookie link (only its SHA-256 goes into the
                       configuration); prints BASE_URL/<set_path>?token=SECRET once
  --wasm-name NAME     the spec.wasm entry of an EnvoyExtensionPolicy that has several
  --context, --kubeconfig, -n/--namespace   passed to kubectl ($KUBECTL: the kubectl to run)
  --dry-run            print the change, write nothing
  -h, --help           this help; --version

Every configuration written is first checked by the plugin's own validation; a rejected one is
not written (exit 1). Exit status 2: a usage error.";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Ecds(PathBuf),
    Resource { kind: Kind, name: String },
    Manifest(PathBuf),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OnArgs {
    pub reason: Option<String>,
    pub title: Option<String>,
    pub until: Option<When>,
    pub from: Option<When>,
    pub scope: Option<Scope>,
    pub link: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    On(OnArgs),
    Off,
    Status,
    Apply(PathBuf),
    Validate(Option<PathBuf>),
    Token {
        header: String,
        link: Option<String>,
    },
    Help,
    Version,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub command: Command,
    pub target: Option<Target>,
    pub namespace: Option<String>,
    pub context: Option<String>,
    pub kubeconfig: Option<String>,
    pub wasm_name: Option<String>,
    /// `apply --ecds FILE --wasm PATH`: a new ECDS file, Envoy loading the plugin from PATH.
    pub wasm: Option<String>,
    pub admin: String,
    pub write_only: bool,
    pub dry_run: bool,
    /// `-o yaml|json`: the manifest's output format, or `token`'s.
    pub output: String,
}

pub const DEFAULT_ADMIN: &str = "127.0.0.1:9901";
pub const DEFAULT_TOKEN_HEADER: &str = "x-maintenance-bypass";

/// Options that take a value.
const VALUED: &[&str] = &[
    "--reason",
    "--title",
    "--until",
    "--from",
    "--scope",
    "--link",
    "--namespace",
    "-n",
    "--context",
    "--kubeconfig",
    "--wasm-name",
    "--wasm",
    "--ecds",
    "--admin",
    "--filename",
    "-f",
    "--header",
    "--output",
    "-o",
];
const FLAGS: &[&str] = &["--dry-run", "--write-only", "--help", "-h", "--version"];

pub fn parse(args: &[String]) -> Result<Invocation, String> {
    let mut positional: Vec<String> = Vec::new();
    let mut given: Vec<(String, String)> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg == "--" {
            positional.extend(args[i..].iter().cloned());
            break;
        }
        if !arg.starts_with('-') || arg == "-" {
            positional.push(arg.clone());
            continue;
        }
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => {
                (name.to_string(), Some(value.to_string()))
            }
            _ => (arg.clone(), None),
        };
        if FLAGS.contains(&name.as_str()) {
            if inline.is_some() {
                return Err(format!("{name} takes no value"));
            }
            given.push((name, String::new()));
        } else if VALUED.contains(&name.as_str()) {
            let value = match inline {
                Some(v) => v,
                None => {
                    let v = args.get(i).ok_or_else(|| format!("{name} needs a value"))?;
                    i += 1;
                    v.clone()
                }
            };
            given.push((name, value));
        } else {
            return Err(format!("unknown option {name}"));
        }
    }
    let has = |names: &[&str]| given.iter().any(|(n, _)| names.contains(&n.as_str()));
    let last = |names: &[&str]| {
        given
            .iter()
            .rev()
            .find(|(n, _)| names.contains(&n.as_str()))
            .map(|(_, v)| v.clone())
    };
    if has(&["--help", "-h"]) {
        return Ok(bare(Command::Help));
    }
    if has(&["--version"]) {
        return Ok(bare(Command::Version));
    }
    let mut positional = positional.into_iter();
    let command_word = positional
        .next()
        .ok_or("no command given (on, off, status, apply, validate, token)")?;

    // The target: KIND/NAME (or KIND NAME), -f FILE or --ecds FILE.
    let takes_target = matches!(
        command_word.as_str(),
        "on" | "off" | "status" | "show" | "apply" | "validate"
    );
    let mut rest: Vec<String> = positional.collect();
    let mut target = None;
    if takes_target {
        let manifest = last(&["-f", "--filename"])
            .map(PathBuf::from)
            .map(Target::Manifest);
        let ecds = last(&["--ecds"]).map(PathBuf::from).map(Target::Ecds);
        let file_positional = matches!(command_word.as_str(), "apply" | "validate");
        let resource = if file_positional && (manifest.is_some() || ecds.is_some()) {
            None // the positional is a file (apply CONFIG.json)
        } else {
            resource_target(&mut rest, &command_word)?
        };
        let chosen: Vec<Target> = [manifest, ecds, resource].into_iter().flatten().collect();
        if chosen.len() > 1 {
            return Err("give one target: KIND/NAME, -f MANIFEST or --ecds FILE".to_string());
        }
        target = chosen.into_iter().next();
    }

    let on_only = [
        "--reason", "--title", "--until", "--from", "--scope", "--link",
    ];
    let command = match command_word.as_str() {
        "on" => Command::On(on_args(&given)?),
        "off" => Command::Off,
        "status" | "show" => Command::Status,
        "apply" => {
            if rest.is_empty() {
                return Err(
                    "apply needs the configuration file (JSON): apply TARGET CONFIG.json".into(),
                );
            }
            Command::Apply(PathBuf::from(rest.remove(0)))
        }
        "validate" => Command::Validate((!rest.is_empty()).then(|| PathBuf::from(rest.remove(0)))),
        "token" => Command::Token {
            header: last(&["--header"]).unwrap_or_else(|| DEFAULT_TOKEN_HEADER.to_string()),
            link: last(&["--link"]),
        },
        "help" => Command::Help,
        "version" => Command::Version,
        other => {
            return Err(format!(
                "unknown command {other:?} (on, off, status, apply, validate, token)"
            ))
        }
    };
    if let Some(extra) = rest.first() {
        return Err(format!("unexpected argument {extra:?}"));
    }
    let allowed_here: &[&str] = match &command {
        Command::On(_) => &on_only,
        Command::Token { .. } => &["--header", "--link"],
        Command::Apply(_) if matches!(target, Some(Target::Ecds(_))) => &["--wasm"],
        _ => &[],
    };
    for (name, _) in &given {
        let specific = on_only.contains(&name.as_str()) || name == "--header" || name == "--wasm";
        if name == "--wasm" && !allowed_here.contains(&"--wasm") {
            return Err("--wasm goes with `apply --ecds FILE` (it writes a new file)".to_string());
        }
        if specific && !allowed_here.contains(&name.as_str()) {
            return Err(format!("{name} does not apply to `{command_word}`"));
        }
    }
    match (&command, &target) {
        (Command::On(_) | Command::Off | Command::Status | Command::Apply(_), None) => {
            return Err(format!(
                "`{command_word}` needs a target: KIND/NAME (e.g. wasmplugin/maintenance-mode -n istio-system), \
                 -f MANIFEST or --ecds FILE"
            ))
        }
        (Command::Validate(Some(_)), Some(_)) => {
            return Err("validate takes a FILE or a target, not both".into())
        }
        (Command::Validate(None), None) => return Err("validate needs a FILE (or - for standard input) or a target".into()),
        _ => {}
    }
    let output = last(&["-o", "--output"]).unwrap_or_else(|| match command {
        Command::Token { .. } => "text".to_string(),
        _ => "yaml".to_string(),
    });
    let formats: &[&str] = if matches!(command, Command::Token { .. }) {
        &["text", "json"]
    } else {
        &["yaml", "json"]
    };
    if !formats.contains(&output.as_str()) {
        return Err(format!("-o {output}: use one of {}", formats.join(", ")));
    }
    Ok(Invocation {
        command,
        target,
        namespace: last(&["-n", "--namespace"]),
        context: last(&["--context"]),
        kubeconfig: last(&["--kubeconfig"]),
        wasm_name: last(&["--wasm-name"]),
        wasm: last(&["--wasm"]),
        admin: last(&["--admin"]).unwrap_or_else(|| DEFAULT_ADMIN.to_string()),
        write_only: has(&["--write-only"]),
        dry_run: has(&["--dry-run"]),
        output,
    })
}

fn bare(command: Command) -> Invocation {
    Invocation {
        command,
        target: None,
        namespace: None,
        context: None,
        kubeconfig: None,
        wasm_name: None,
        wasm: None,
        admin: DEFAULT_ADMIN.to_string(),
        write_only: false,
        dry_run: false,
        output: String::new(),
    }
}

/// `KIND/NAME` or `KIND NAME` at the front of `rest` (consumed when found).
fn resource_target(rest: &mut Vec<String>, command: &str) -> Result<Option<Target>, String> {
    let Some(first) = rest.first().cloned() else {
        return Ok(None);
    };
    let file_allowed = matches!(command, "validate" | "apply");
    if let Some((kind_text, name)) = first.split_once('/') {
        let Some(kind) = Kind::from_arg(kind_text) else {
            // validate ./config.json: a path, not a kind.
            return if file_allowed {
                Ok(None)
            } else {
                Err(unknown_kind(kind_text))
            };
        };
        if name.is_empty() {
            return Err(format!("{first}: the resource name is missing"));
        }
        rest.remove(0);
        return Ok(Some(Target::Resource {
            kind,
            name: name.to_string(),
        }));
    }
    if let Some(kind) = Kind::from_arg(&first) {
        let name = rest
            .get(1)
            .cloned()
            .ok_or_else(|| format!("{first}: the resource name is missing"))?;
        rest.drain(..2);
        return Ok(Some(Target::Resource { kind, name }));
    }
    if file_allowed {
        return Ok(None);
    }
    Err(unknown_kind(&first))
}

fn unknown_kind(text: &str) -> String {
    format!("{text:?} is not a kind this plugin is configured with: use wasmplugin, trafficextension or envoyextensionpolicy")
}

fn on_args(given: &[(String, String)]) -> Result<OnArgs, String> {
    let mut on = OnArgs::default();
    let mut routes = Vec::new();
    let mut whole: Option<Scope> = None;
    for (name, value) in given {
        match name.as_str() {
            "--reason" => on.reason = Some(value.clone()),
            "--title" => on.title = Some(value.clone()),
            "--until" => on.until = Some(When::parse(value).map_err(|e| format!("--until: {e}"))?),
            "--from" => on.from = Some(When::parse(value).map_err(|e| format!("--from: {e}"))?),
            "--link" => {
                if !(value.starts_with("https://") || value.starts_with("http://")) {
                    return Err(format!(
                        "--link {value:?}: give the site's base URL, like https://shop.example.com"
                    ));
                }
                on.link = Some(value.clone());
            }
            "--scope" => match value.as_str() {
                "configured" | "routes" => whole = Some(Scope::Keep),
                "all" => whole = Some(Scope::All),
                _ => routes.push(RouteArg::parse(value)?),
            },
            _ => {}
        }
    }
    on.scope = match (whole, routes.is_empty()) {
        (Some(_), false) => {
            return Err("--scope: `configured` or `all` cannot be combined with routes".into())
        }
        (Some(scope), true) => Some(scope),
        (None, false) => Some(Scope::Routes(routes)),
        (None, true) => None,
    };
    Ok(on)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_words(line: &str) -> Result<Invocation, String> {
        parse(
            &line
                .split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn on_with_every_option() {
        let args: Vec<String> = [
            "on",
            "wasmplugin/maintenance-mode",
            "-n",
            "istio-system",
            "--reason",
            "cost $5 & more",
            "--title=Back soon",
            "--until",
            "2h",
            "--from",
            "2025-06-01T02:00:00Z",
            "--scope",
            "shop.example.com/checkout",
            "--scope",
            "/api",
            "--link",
            "https://shop.example.com",
            "--dry-run",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let inv = parse(&args).unwrap();
        assert_eq!(
            inv.target,
            Some(Target::Resource {
                kind: Kind::WasmPlugin,
                name: "maintenance-mode".into()
            })
        );
        assert_eq!(inv.namespace.as_deref(), Some("istio-system"));
        assert!(inv.dry_run);
        let Command::On(on) = inv.command else {
            panic!("{:?}", inv.command)
        };
        assert_eq!(on.reason.as_deref(), Some("cost $5 & more"));
        assert_eq!(on.title.as_deref(), Some("Back soon"));
        assert_eq!(on.until, Some(When::After(7200)));
        assert_eq!(on.from, Some(When::At(1_748_743_200)));
        assert_eq!(on.link.as_deref(), Some("https://shop.example.com"));
        assert_eq!(
            on.scope,
            Some(Scope::Routes(vec![
                RouteArg {
                    host: Some("shop.example.com".into()),
                    path_prefix: Some("/checkout".into())
                },
                RouteArg {
                    host: None,
                    path_prefix: Some("/api".into())
                },
            ]))
        );
    }

    #[test]
    fn targets() {
        let inv =
            parse_words("off --ecds .run/ecds/m.json --admin 127.0.0.1:1 --write-only").unwrap();
        assert_eq!(inv.target, Some(Target::Ecds(".run/ecds/m.json".into())));
        assert_eq!(inv.admin, "127.0.0.1:1");
        assert!(inv.write_only);
        assert_eq!(parse_words("status --ecds f").unwrap().admin, DEFAULT_ADMIN);
        let inv =
            parse_words("status envoyextensionpolicy maintenance -n shop --wasm-name m").unwrap();
        assert_eq!(
            inv.target,
            Some(Target::Resource {
                kind: Kind::EnvoyExtensionPolicy,
                name: "maintenance".into()
            })
        );
        assert_eq!(inv.wasm_name.as_deref(), Some("m"));
        let inv = parse_words("on -f istio/x.yaml -o json").unwrap();
        assert_eq!(inv.target, Some(Target::Manifest("istio/x.yaml".into())));
        assert_eq!(inv.output, "json");
        let inv = parse_words("apply --ecds e.json /tmp/te/config.json").unwrap();
        assert_eq!(inv.command, Command::Apply("/tmp/te/config.json".into()));
        assert_eq!(inv.target, Some(Target::Ecds("e.json".into())));
        assert_eq!(
            parse_words("validate ./a/b.json").unwrap().command,
            Command::Validate(Some("./a/b.json".into()))
        );
        let inv = parse_words("apply te/m config.json").unwrap();
        assert_eq!(inv.command, Command::Apply("config.json".into()));
        assert_eq!(
            parse_words("validate -").unwrap().command,
            Command::Validate(Some("-".into()))
        );
        assert_eq!(
            parse_words("validate wp/m").unwrap().command,
            Command::Validate(None)
        );
    }

    #[test]
    fn token() {
        let inv = parse_words("token --header x-ci --link https://a.example -o json").unwrap();
        assert_eq!(
            inv.command,
            Command::Token {
                header: "x-ci".into(),
                link: Some("https://a.example".into())
            }
        );
        assert_eq!(parse_words("token").unwrap().output, "text");
    }

    #[test]
    fn usage_errors_say_what_is_wrong() {
        for (line, expected) in [
            ("", "no command given"),
            ("launch", "unknown command \"launch\""),
            ("on", "`on` needs a target"),
            ("on deployment/x", "\"deployment\" is not a kind"),
            ("on wp/", "the resource name is missing"),
            ("on wp/a --ecds f", "give one target"),
            (
                "on wp/a --until tomorrow",
                "--until: \"tomorrow\" is neither a duration",
            ),
            ("on wp/a --reason", "--reason needs a value"),
            ("on wp/a --bogus", "unknown option --bogus"),
            ("on wp/a --dry-run=yes", "--dry-run takes no value"),
            (
                "on wp/a --link shop.example.com",
                "give the site's base URL",
            ),
            ("on wp/a --scope all --scope /x", "cannot be combined"),
            ("off wp/a --reason x", "--reason does not apply to `off`"),
            (
                "on --ecds f.json --wasm x.wasm",
                "--wasm goes with `apply --ecds FILE` (it writes a new file)",
            ),
            (
                "apply wp/a c.json --wasm x.wasm",
                "--wasm goes with `apply --ecds FILE` (it writes a new file)",
            ),
            ("off wp/a extra", "unexpected argument \"extra\""),
            ("apply wp/a", "apply needs the configuration file"),
            ("validate", "validate needs a FILE"),
            ("validate f.json -f m.yaml", "not both"),
            ("on wp/a -o xml", "-o xml: use one of yaml, json"),
        ] {
            let err = parse_words(line).unwrap_err();
            assert!(err.contains(expected), "{line:?}: {err}");
        }
    }

    #[test]
    fn help_and_version_win() {
        assert_eq!(parse_words("on --help").unwrap().command, Command::Help);
        assert_eq!(parse_words("-h").unwrap().command, Command::Help);
        assert_eq!(parse_words("--version").unwrap().command, Command::Version);
        assert_eq!(parse_words("help").unwrap().command, Command::Help);
    }
}
