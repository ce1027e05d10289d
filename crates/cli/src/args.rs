//! The command line, declared with clap: `[OPTIONS] COMMAND [TARGET] [OPTIONS]`. The target and
//! kubectl options are global (before or after the command); the rest belong to their command.
//! [`parse`] turns what clap read into an [`Invocation`], checking what clap cannot (one target,
//! `KIND/NAME`, the output format each command takes).

use std::ffi::OsString;
use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::{Args, CommandFactory, Parser, Subcommand};
use clap_complete::Shell;

use crate::clock::When;
use crate::edit::{RouteArg, Scope};
use crate::kube::Kind;

pub use maintenance_core::VERSION;

pub const DEFAULT_ADMIN: &str = "127.0.0.1:9901";
pub const DEFAULT_TOKEN_HEADER: &str = "x-maintenance-bypass";

const TARGETS: &str = "\
Targets (one per command):
  KIND/NAME [-n NAMESPACE]  a resource in the cluster, through kubectl: wasmplugin (wp),
                            trafficextension (te), envoyextensionpolicy (eep)
  -f, --filename FILE       a local manifest of one of those kinds: prints it changed
                            (-o yaml|json), or changes the file with --in-place
  --ecds FILE               a plain Envoy's ECDS resource file; waits for the Envoy at --admin
                            to apply it (fails when none answers, unless --write-only);
                            `apply --ecds FILE --wasm PATH` (or --module PATH) writes FILE anew

Every configuration written is first checked by the plugin's own validation; a rejected one is
not written. Exit status: 0 done, 1 refused or failed, 2 usage error.
As a kubectl plugin: `kubectl maintenance COMMAND ...`.";

#[derive(Debug, Parser)]
#[command(
    name = "kubectl-maintenance",
    version = VERSION,
    about = "Turn the maintenance-mode plugin on and off where it runs",
    after_help = TARGETS,
    propagate_version = true,
    max_term_width = 100
)]
struct Cli {
    #[command(subcommand)]
    command: Commands,
    #[command(flatten)]
    target: TargetArgs,
}

/// Where the plugin configuration is, and how kubectl is run: given before or after the command.
#[derive(Debug, Args)]
#[command(next_help_heading = "Target options")]
struct TargetArgs {
    /// A local manifest: WasmPlugin, TrafficExtension or EnvoyExtensionPolicy
    #[arg(short = 'f', long = "filename", value_name = "MANIFEST", global = true)]
    filename: Option<PathBuf>,
    /// A plain Envoy's ECDS resource file
    #[arg(long, value_name = "FILE", global = true)]
    ecds: Option<PathBuf>,
    /// The admin address of the Envoy reading --ecds, asked whether it applied the change
    #[arg(long, value_name = "HOST:PORT", default_value = DEFAULT_ADMIN, global = true)]
    admin: String,
    /// With --ecds: only write the file, without asking Envoy
    #[arg(long, global = true)]
    write_only: bool,
    /// The namespace of KIND/NAME (passed to kubectl)
    #[arg(short = 'n', long, value_name = "NAMESPACE", global = true)]
    namespace: Option<String>,
    /// The kubeconfig context (passed to kubectl; $KUBECTL names the kubectl to run)
    #[arg(long, value_name = "CONTEXT", global = true)]
    context: Option<String>,
    /// The kubeconfig file (passed to kubectl)
    #[arg(long, value_name = "FILE", global = true)]
    kubeconfig: Option<String>,
    /// The spec.wasm entry of an EnvoyExtensionPolicy that has several
    #[arg(long, value_name = "NAME", global = true)]
    wasm_name: Option<String>,
    /// Output format: yaml or json for a changed manifest (default yaml), text or json for token
    #[arg(short = 'o', long = "output", value_name = "FORMAT", global = true)]
    output: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Commands {
    /// Maintenance on (enabled: true), with these options; the rest of the configuration is kept
    On(OnCmd),
    /// Maintenance off (enabled: false); the rest of the configuration is kept
    Off(WriteCmd),
    /// What the configuration says (and, for --ecds, what Envoy reports)
    #[command(visible_alias = "show")]
    Status(ResourceArg),
    /// Replace the whole plugin configuration with a JSON file
    Apply(ApplyCmd),
    /// Check a configuration file (or - for standard input), a manifest (-f) or a target's
    /// current configuration
    Validate(ValidateCmd),
    /// A new bypass secret, its SHA-256 and the configuration entries that use it
    Token(TokenCmd),
    /// A shell completion script: `source <(kubectl-maintenance completion bash)`
    Completion {
        /// bash, zsh or fish
        #[arg(value_name = "SHELL", value_parser = ["bash", "zsh", "fish"])]
        shell: String,
    },
    /// The version and the commit it was built from
    Version,
}

#[derive(Debug, Args)]
struct ResourceArg {
    /// KIND/NAME (or KIND NAME) of a resource in the cluster
    #[arg(value_name = "KIND/NAME", num_args = 0..=2)]
    resource: Vec<String>,
}

#[derive(Debug, Args)]
struct WriteOptions {
    /// Print the change, write nothing
    #[arg(long, conflicts_with = "in_place")]
    dry_run: bool,
    /// With -f: change the manifest file itself (atomically) instead of printing it
    #[arg(long)]
    in_place: bool,
}

#[derive(Debug, Args)]
struct WriteCmd {
    #[command(flatten)]
    resource: ResourceArg,
    #[command(flatten)]
    write: WriteOptions,
}

#[derive(Debug, Args)]
struct OnCmd {
    #[command(flatten)]
    resource: ResourceArg,
    /// The reason users see
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    /// The heading of the maintenance response
    #[arg(long, value_name = "TEXT")]
    title: Option<String>,
    /// End of maintenance: a duration after the start (2h, 30m, 1h30m, 1d) or an RFC 3339 time;
    /// Retry-After counts down to it and maintenance ends by itself
    #[arg(long, value_name = "WHEN", value_parser = When::parse)]
    until: Option<When>,
    /// Start later: a duration from now or an RFC 3339 time
    #[arg(long, value_name = "WHEN", value_parser = When::parse)]
    from: Option<When>,
    /// configured (the configured routes, the default), all (every request), or HOST, /PATH,
    /// HOST/PATH (repeat for several routes)
    #[arg(long, value_name = "SCOPE")]
    scope: Vec<String>,
    /// A fresh bypass secret for a QA cookie link on this site (https://HOST or
    /// https://HOST:PORT, no path); only its SHA-256 goes into the configuration; prints the
    /// link once
    #[arg(long, value_name = "BASE_URL")]
    link: Option<String>,
    #[command(flatten)]
    write: WriteOptions,
}

#[derive(Debug, Args)]
struct ApplyCmd {
    /// [KIND/NAME] CONFIG.json: the target (unless -f or --ecds) and the configuration file
    #[arg(value_name = "ARGS", num_args = 1..=3, required = true)]
    args: Vec<String>,
    /// With --ecds: write the file anew (made if missing), Envoy loading the wasm from PATH
    #[arg(long, value_name = "PATH", conflicts_with = "module")]
    wasm: Option<String>,
    /// With --ecds: write the file anew (made if missing), Envoy loading the native module
    /// from PATH
    #[arg(long, value_name = "PATH")]
    module: Option<String>,
    #[command(flatten)]
    write: WriteOptions,
}

#[derive(Debug, Args)]
struct ValidateCmd {
    /// A configuration file (JSON, - for standard input), or KIND/NAME in the cluster
    #[arg(value_name = "FILE|KIND/NAME", num_args = 0..=2)]
    args: Vec<String>,
}

#[derive(Debug, Args)]
struct TokenCmd {
    /// The request header the token is sent in
    #[arg(long, value_name = "NAME", default_value = DEFAULT_TOKEN_HEADER)]
    header: String,
    /// The site's base URL, to print the cookie link
    #[arg(long, value_name = "BASE_URL")]
    link: Option<String>,
}

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
    pub link: Option<LinkBase>,
}

/// The plugin build a new ECDS file loads, and from where (as Envoy sees the path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Build {
    Wasm(String),
    Module(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    On(OnArgs),
    Off,
    Status,
    /// The configuration file, and the build of a new ECDS file (`None`: change the one there).
    Apply(PathBuf, Option<Build>),
    /// A configuration file, or (None) the target's configuration.
    Validate(Option<PathBuf>),
    Token {
        header: String,
        link: Option<LinkBase>,
    },
    Completion(Shell),
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
    pub admin: String,
    pub write_only: bool,
    pub dry_run: bool,
    pub in_place: bool,
    /// `-o yaml|json`: the manifest's output format, or `token`'s (`text|json`).
    pub output: String,
}

/// The site a cookie link is for: `https://shop.example.com` (a port may follow, no path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkBase {
    /// `https://shop.example.com:8443`, without a trailing slash.
    pub origin: String,
    /// `shop.example.com:8443`: what a browser sends as the request's authority.
    pub authority: String,
    pub insecure: bool,
}

impl LinkBase {
    pub fn parse(text: &str) -> Result<LinkBase, String> {
        let (insecure, rest) = if let Some(rest) = text.strip_prefix("https://") {
            (false, rest)
        } else if let Some(rest) = text.strip_prefix("http://") {
            (true, rest)
        } else {
            return Err(format!(
                "{text:?}: give the site's base URL, like https://shop.example.com"
            ));
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if authority.is_empty() || authority.contains('@') {
            return Err(format!(
                "{text:?}: give the site's base URL, like https://shop.example.com"
            ));
        }
        if !tail.is_empty() && tail != "/" {
            return Err(format!(
                "{text:?} has a path or query: the plugin answers the link at its own path on the \
                 host itself (/__maintenance/bypass unless bypass.cookie.set_path says otherwise), \
                 whatever route the site is under; give only the scheme and host, like {}://{authority}",
                if insecure { "http" } else { "https" }
            ));
        }
        Ok(LinkBase {
            origin: format!("{}://{authority}", if insecure { "http" } else { "https" }),
            authority: authority.to_string(),
            insecure,
        })
    }
}

/// A usage error: clap's own (help and version included, printed as clap prints them), or one
/// of ours, formatted by clap the same way.
pub type UsageError = clap::Error;

pub fn parse(args: Vec<OsString>) -> Result<Invocation, UsageError> {
    let cli =
        Cli::try_parse_from(std::iter::once(OsString::from("kubectl-maintenance")).chain(args))?;
    resolve(cli).map_err(|message| Cli::command().error(ErrorKind::InvalidValue, message))
}

/// The completion script for `shell`.
pub fn completion(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "kubectl-maintenance", &mut out);
    if shell == Shell::Bash {
        // clap_complete spells the state of a hyphenated binary's subcommands one way in its
        // loop (kubectl__maintenance__subcmd__on) and another in the case arms
        // (kubectl__subcmd__maintenance__subcmd__on), so no subcommand option would ever
        // complete (clap-rs/clap#6421): the arms are spelled as the loop spells them.
        let script = String::from_utf8_lossy(&out)
            .replace("kubectl__subcmd__maintenance", "kubectl__maintenance");
        return script.into_bytes();
    }
    out
}

fn resolve(cli: Cli) -> Result<Invocation, String> {
    let t = cli.target;
    let (command, positional, write, command_word) = match cli.command {
        Commands::On(on) => (
            Command::On(on_args(&on)?),
            on.resource.resource,
            on.write,
            "on",
        ),
        Commands::Off(off) => (Command::Off, off.resource.resource, off.write, "off"),
        Commands::Status(status) => (Command::Status, status.resource, no_write(), "status"),
        Commands::Apply(apply) => {
            let mut args = apply.args;
            let names_a_resource = |arg: &String| {
                Kind::from_arg(arg.split_once('/').map_or(arg.as_str(), |(kind, _)| kind)).is_some()
            };
            if args.len() == 1 && names_a_resource(&args[0]) {
                return Err(
                    "apply needs the configuration file (JSON): apply TARGET CONFIG.json".into(),
                );
            }
            let config = args
                .pop()
                .map(PathBuf::from)
                .ok_or("apply needs the configuration file (JSON): apply TARGET CONFIG.json")?;
            let build = match (apply.wasm, apply.module) {
                (Some(path), _) => Some(Build::Wasm(path)),
                (None, Some(path)) => Some(Build::Module(path)),
                (None, None) => None,
            };
            if build.is_some() && t.ecds.is_none() {
                return Err(
                    "--wasm and --module write an ECDS file: use them with --ecds FILE".into(),
                );
            }
            (Command::Apply(config, build), args, apply.write, "apply")
        }
        Commands::Validate(validate) => (
            Command::Validate(None),
            validate.args,
            no_write(),
            "validate",
        ),
        Commands::Token(token) => {
            let link = token.link.as_deref().map(LinkBase::parse).transpose()?;
            let command = Command::Token {
                header: token.header,
                link,
            };
            (command, Vec::new(), no_write(), "token")
        }
        Commands::Completion { shell } => {
            let shell = shell
                .parse::<Shell>()
                .map_err(|_| format!("{shell}: use bash, zsh or fish"))?;
            (
                Command::Completion(shell),
                Vec::new(),
                no_write(),
                "completion",
            )
        }
        Commands::Version => (Command::Version, Vec::new(), no_write(), "version"),
    };
    let mut command = command;
    let manifest = t.filename.clone().map(Target::Manifest);
    let ecds = t.ecds.clone().map(Target::Ecds);
    let mut rest = positional;
    let resource = match &command {
        // validate FILE: a file unless it reads as KIND/NAME (or KIND NAME).
        Command::Validate(_) => {
            let resource = resource_target(&mut rest, true)?;
            match (
                rest.len(),
                resource.is_some() || manifest.is_some() || ecds.is_some(),
            ) {
                (0, _) => {}
                (1, false) => command = Command::Validate(Some(PathBuf::from(rest.remove(0)))),
                (1, true) => return Err("validate takes a FILE or a target, not both".into()),
                _ => return Err(format!("unexpected argument {:?}", rest[1])),
            }
            resource
        }
        Command::On(_) | Command::Off | Command::Status | Command::Apply(..) => {
            resource_target(&mut rest, false)?
        }
        _ => None,
    };
    if let Some(extra) = rest.first() {
        return Err(format!("unexpected argument {extra:?}"));
    }
    let chosen: Vec<Target> = [manifest, ecds, resource].into_iter().flatten().collect();
    if chosen.len() > 1 {
        return Err("give one target: KIND/NAME, -f MANIFEST or --ecds FILE".to_string());
    }
    let target = chosen.into_iter().next();
    match (&command, &target) {
        (Command::On(_) | Command::Off | Command::Status | Command::Apply(..), None) => {
            return Err(format!(
                "`{command_word}` needs a target: KIND/NAME (e.g. wasmplugin/maintenance-mode -n istio-system), \
                 -f MANIFEST or --ecds FILE"
            ))
        }
        (Command::Validate(None), None) => {
            return Err("validate needs a FILE (or - for standard input) or a target".into())
        }
        _ => {}
    }
    if write.in_place && !matches!(target, Some(Target::Manifest(_))) {
        return Err("--in-place changes a manifest file: use it with -f MANIFEST".into());
    }
    let formats: &[&str] = match command {
        Command::Token { .. } => &["text", "json"],
        _ => &["yaml", "json"],
    };
    let output = t.output.unwrap_or_else(|| formats[0].to_string());
    if !formats.contains(&output.as_str()) {
        return Err(format!("-o {output}: use one of {}", formats.join(", ")));
    }
    if write.in_place && output == "json" {
        return Err(
            "--in-place keeps the manifest as it is written: -o json does not apply".into(),
        );
    }
    Ok(Invocation {
        command,
        target,
        namespace: t.namespace,
        context: t.context,
        kubeconfig: t.kubeconfig,
        wasm_name: t.wasm_name,
        admin: t.admin,
        write_only: t.write_only,
        dry_run: write.dry_run,
        in_place: write.in_place,
        output,
    })
}

fn no_write() -> WriteOptions {
    WriteOptions {
        dry_run: false,
        in_place: false,
    }
}

/// `KIND/NAME` or `KIND NAME` at the front of `rest` (consumed when found). With `file_allowed`,
/// anything else is left for the caller (a file name).
fn resource_target(rest: &mut Vec<String>, file_allowed: bool) -> Result<Option<Target>, String> {
    let Some(first) = rest.first().cloned() else {
        return Ok(None);
    };
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

fn on_args(on: &OnCmd) -> Result<OnArgs, String> {
    let mut routes = Vec::new();
    let mut whole: Option<Scope> = None;
    for value in &on.scope {
        match value.as_str() {
            "configured" | "routes" => whole = Some(Scope::Keep),
            "all" => whole = Some(Scope::All),
            _ => routes.push(RouteArg::parse(value)?),
        }
    }
    let scope = match (whole, routes.is_empty()) {
        (Some(_), false) => {
            return Err("--scope: `configured` or `all` cannot be combined with routes".into())
        }
        (Some(scope), true) => Some(scope),
        (None, false) => Some(Scope::Routes(routes)),
        (None, true) => None,
    };
    Ok(OnArgs {
        reason: on.reason.clone(),
        title: on.title.clone(),
        until: on.until,
        from: on.from,
        scope,
        link: on
            .link
            .as_deref()
            .map(LinkBase::parse)
            .transpose()
            .map_err(|e| format!("--link {e}"))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_words(line: &str) -> Result<Invocation, String> {
        parse(line.split_whitespace().map(OsString::from).collect()).map_err(|e| e.to_string())
    }

    #[test]
    fn on_with_every_option() {
        let args: Vec<OsString> = [
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
            "https://shop.example.com/",
            "--dry-run",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        let inv = parse(args).unwrap();
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
        assert_eq!(
            on.link,
            Some(LinkBase {
                origin: "https://shop.example.com".into(),
                authority: "shop.example.com".into(),
                insecure: false
            })
        );
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
        // Target options before the command, as `make on` and envoy/run.py write them.
        let inv = parse_words("--ecds e.json --admin 127.0.0.1:2 --write-only on").unwrap();
        assert_eq!(inv.target, Some(Target::Ecds("e.json".into())));
        assert!(inv.write_only && inv.admin == "127.0.0.1:2");
        assert_eq!(parse_words("status --ecds f").unwrap().admin, DEFAULT_ADMIN);
        assert_eq!(
            parse_words("show --ecds f").unwrap().command,
            Command::Status
        );
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
        let inv = parse_words("off -f istio/x.yaml --in-place").unwrap();
        assert!(inv.in_place && inv.output == "yaml");
        let inv = parse_words("apply --ecds e.json /tmp/te/config.json").unwrap();
        assert_eq!(
            inv.command,
            Command::Apply("/tmp/te/config.json".into(), None)
        );
        assert_eq!(inv.target, Some(Target::Ecds("e.json".into())));
        let inv = parse_words("apply --ecds e.json c.json --wasm /w.wasm --write-only").unwrap();
        assert_eq!(
            inv.command,
            Command::Apply("c.json".into(), Some(Build::Wasm("/w.wasm".into())))
        );
        assert!(inv.write_only);
        let inv = parse_words("apply --ecds e.json c.json --module /m.so").unwrap();
        assert_eq!(
            inv.command,
            Command::Apply("c.json".into(), Some(Build::Module("/m.so".into())))
        );
        assert_eq!(
            parse_words("validate ./a/b.json").unwrap().command,
            Command::Validate(Some("./a/b.json".into()))
        );
        let inv = parse_words("apply te/m config.json").unwrap();
        assert_eq!(inv.command, Command::Apply("config.json".into(), None));
        let inv = parse_words("apply te m config.json").unwrap();
        assert_eq!(
            inv.target,
            Some(Target::Resource {
                kind: Kind::TrafficExtension,
                name: "m".into()
            })
        );
        assert_eq!(
            parse_words("validate -").unwrap().command,
            Command::Validate(Some("-".into()))
        );
        assert_eq!(
            parse_words("validate wp/m").unwrap().command,
            Command::Validate(None)
        );
        let inv = parse_words("validate -f m.yaml").unwrap();
        assert_eq!(inv.command, Command::Validate(None));
        assert_eq!(inv.target, Some(Target::Manifest("m.yaml".into())));
    }

    #[test]
    fn token() {
        let inv = parse_words("token --header x-ci --link https://a.example -o json").unwrap();
        assert_eq!(
            inv.command,
            Command::Token {
                header: "x-ci".into(),
                link: Some(LinkBase::parse("https://a.example").unwrap())
            }
        );
        assert_eq!(inv.output, "json");
        assert_eq!(parse_words("token").unwrap().output, "text");
    }

    #[test]
    fn usage_errors_say_what_is_wrong() {
        for (line, expected) in [
            ("", "Usage:"),
            ("launch", "unrecognized subcommand 'launch'"),
            ("on", "`on` needs a target"),
            ("on deployment/x", "\"deployment\" is not a kind"),
            ("on wp/", "the resource name is missing"),
            ("on wp/a --ecds f", "give one target"),
            (
                "on wp/a --until tomorrow",
                "\"tomorrow\" is neither a duration",
            ),
            (
                "on wp/a --reason",
                "a value is required for '--reason <TEXT>'",
            ),
            ("on wp/a --bogus", "unexpected argument '--bogus'"),
            (
                "on wp/a --dry-run=yes",
                "unexpected value 'yes' for '--dry-run'",
            ),
            (
                "on wp/a --link shop.example.com",
                "give the site's base URL",
            ),
            (
                "on wp/a --link https://shop.example.com/app",
                "has a path or query",
            ),
            (
                "on wp/a --link https://shop.example.com?x=1",
                "has a path or query",
            ),
            ("on wp/a --scope all --scope /x", "cannot be combined"),
            ("off wp/a --reason x", "unexpected argument '--reason'"),
            ("off wp/a extra", "unexpected argument \"extra\""),
            ("apply wp/a", "apply needs the configuration file"),
            ("apply", "required arguments were not provided"),
            ("validate", "validate needs a FILE"),
            ("validate f.json -f m.yaml", "not both"),
            ("on wp/a -o xml", "-o xml: use one of yaml, json"),
            ("on wp/a --in-place", "--in-place changes a manifest file"),
            ("on -f m.yaml --in-place --dry-run", "cannot be used with"),
            ("on -f m.yaml --in-place -o json", "-o json does not apply"),
            ("completion powershell", "invalid value 'powershell'"),
            (
                "apply wp/a c.json --wasm x.wasm",
                "use them with --ecds FILE",
            ),
            (
                "apply --ecds e.json c.json --wasm x --module y",
                "cannot be used with",
            ),
            (
                "on --ecds e.json --wasm x.wasm",
                "unexpected argument '--wasm'",
            ),
        ] {
            let err = parse_words(line).unwrap_err();
            assert!(err.contains(expected), "{line:?}: {err}");
        }
        // Usage errors exit 2, help and version 0.
        let exit = |line: &str| {
            parse(line.split_whitespace().map(OsString::from).collect())
                .unwrap_err()
                .exit_code()
        };
        assert_eq!(exit("on wp/a --bogus"), 2);
        assert_eq!(exit("on deployment/x"), 2);
        assert_eq!(exit("--help"), 0);
        assert_eq!(exit("--version"), 0);
    }

    #[test]
    fn help_lists_every_option() {
        let mut cli = Cli::command();
        let top = cli.render_long_help().to_string();
        for option in [
            "--filename",
            "--ecds",
            "--admin",
            "--write-only",
            "--namespace",
            "--context",
            "--kubeconfig",
            "--wasm-name",
            "--output",
            "-o",
            "completion",
            "validate",
            "--version",
        ] {
            assert!(top.contains(option), "{option} missing from:\n{top}");
        }
        let on = cli
            .find_subcommand_mut("on")
            .map(|c| c.render_long_help().to_string())
            .unwrap_or_default();
        for option in [
            "--reason",
            "--title",
            "--until",
            "--from",
            "--scope",
            "--link",
            "--dry-run",
            "--in-place",
            "--admin",
            "--write-only",
            "-o, --output",
            "-f, --filename",
        ] {
            assert!(on.contains(option), "{option} missing from:\n{on}");
        }
    }

    #[test]
    fn version_names_the_commit() {
        assert!(VERSION.starts_with(env!("CARGO_PKG_VERSION")));
        assert!(VERSION.contains(" (commit "), "{VERSION}");
        let err = parse_words("--version").unwrap_err();
        assert_eq!(err.trim(), format!("kubectl-maintenance {VERSION}"));
    }

    #[test]
    fn completion_scripts() {
        let bash = String::from_utf8(completion(Shell::Bash)).unwrap();
        assert!(
            bash.contains("complete -F _kubectl__maintenance") && bash.contains("--write-only")
        );
        let zsh = String::from_utf8(completion(Shell::Zsh)).unwrap();
        assert!(zsh.starts_with("#compdef kubectl-maintenance"));
        let fish = String::from_utf8(completion(Shell::Fish)).unwrap();
        assert!(fish.contains("complete -c kubectl-maintenance") && fish.contains("-l in-place"));
    }
}
