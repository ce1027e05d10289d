//! The commands: read the target's plugin configuration, change it, check it with the plugin's
//! own validation, and write it (or print the change).

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{json, Map, Value};

use crate::args::{self, Command, Invocation, OnArgs, Target};
use crate::clock::{self, format_rfc3339, human};
use crate::ecds::{self, EcdsFile, Outcome};
use crate::edit::{self, LinkChange, OnChange};
use crate::kube::{self, Kind, Kubectl};
use crate::secret;

pub fn main(raw: Vec<OsString>) -> ExitCode {
    let mut args = Vec::new();
    for arg in raw {
        match arg.into_string() {
            Ok(arg) => args.push(arg),
            Err(arg) => {
                eprintln!("error: argument {arg:?} is not UTF-8");
                return ExitCode::from(2);
            }
        }
    }
    let invocation = match args::parse(&args) {
        Ok(invocation) => invocation,
        Err(message) => {
            eprintln!(
                "error: {message}\n(`kubectl maintenance --help` lists the commands and options)"
            );
            return ExitCode::from(2);
        }
    };
    match execute(&invocation) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn execute(inv: &Invocation) -> Result<(), String> {
    match &inv.command {
        Command::Help => {
            println!("{}", args::USAGE);
            Ok(())
        }
        Command::Version => {
            println!("kubectl-maintenance {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Command::Token { header, link } => token(header, link.as_deref(), &inv.output),
        Command::Validate(Some(path)) => validate_file(path),
        Command::Validate(None) => {
            let opened = open(inv)?;
            let text = opened.config_text();
            check(&text).map_err(|e| format!("{}: {e}", opened.describe()))?;
            println!("{}: valid", opened.describe());
            Ok(())
        }
        Command::Status => {
            let opened = open(inv)?;
            let config = edit::parse_object(&opened.config_text(), "the plugin configuration")?;
            println!("{}", opened.describe());
            println!("{}", edit::describe(&config, clock::now()));
            if let Opened::Ecds(file) = &opened {
                if let Some(filter) = file.filter() {
                    match crate::admin::updates(&inv.admin, filter) {
                        Ok(u) => println!(
                            "Envoy at {}: {} update(s) applied, {} rejected since it started",
                            inv.admin, u.applied, u.rejected
                        ),
                        Err(e) => println!("Envoy at {}: not answering ({e})", inv.admin),
                    }
                }
            }
            Ok(())
        }
        Command::On(on) => {
            let opened = open(inv)?;
            let now = clock::now();
            let (change, secret) = on_change(on, now)?;
            let mut config =
                edit::parse_object(&opened.config_text(), "the current plugin configuration")?;
            let (notes, link) = edit::on(&mut config, &change, now);
            for note in notes {
                eprintln!("note: {note}");
            }
            let new_text = pretty(&Value::Object(config.clone()));
            let written = write(inv, &opened, &new_text)?;
            if written {
                if let (Some(base), Some(secret), Some(link)) = (&on.link, secret, link) {
                    let message = format!(
                        "bypass link for QA (shown once; sets the cookie for {}):\n  {}{}?token={secret}",
                        human(link.max_age),
                        base.trim_end_matches('/'),
                        link.set_path
                    );
                    // A changed manifest goes to standard output: keep it clean.
                    if matches!(opened, Opened::Manifest { .. }) {
                        eprintln!("{message}");
                    } else {
                        println!("{message}");
                    }
                }
            }
            Ok(())
        }
        Command::Off => {
            let opened = open(inv)?;
            let mut config =
                edit::parse_object(&opened.config_text(), "the current plugin configuration")?;
            edit::off(&mut config);
            write(inv, &opened, &pretty(&Value::Object(config))).map(|_| ())
        }
        Command::Apply(path) => {
            let opened = open(inv)?;
            let text = read_input(path)?;
            edit::parse_object(&text, &path.display().to_string())?;
            write(inv, &opened, &text).map(|_| ())
        }
    }
}

/// The plugin's own validation, with the lines the plugin logs: every problem, one a line.
fn check(text: &str) -> Result<(), String> {
    maintenance_core::config::parse(text.as_bytes())
        .map(|_| ())
        .map_err(|problems| {
            problems
                .iter()
                .map(|problem| format!("invalid plugin configuration: {problem}"))
                .collect::<Vec<_>>()
                .join("\n")
        })
}

fn validate_file(path: &Path) -> Result<(), String> {
    let text = read_input(path)?;
    check(&text)?;
    let config = edit::parse_object(&text, "the configuration")?;
    println!("{}: valid", path.display());
    println!("{}", edit::describe(&config, clock::now()));
    Ok(())
}

fn read_input(path: &Path) -> Result<String, String> {
    let mut text = String::new();
    let result = if path == Path::new("-") {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(path).map(|t| text = t)
    };
    result.map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("{} does not exist", path.display()),
        std::io::ErrorKind::InvalidData => format!("{} is not UTF-8 text", path.display()),
        _ => format!("cannot read {}: {e}", path.display()),
    })?;
    Ok(text)
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// `on`'s options resolved against the clock, and the new link secret (if any).
fn on_change(on: &OnArgs, now: i64) -> Result<(OnChange, Option<String>), String> {
    let start = on.from.map(|w| w.resolve(now));
    let end = on.until.map(|w| w.resolve(start.unwrap_or(now)));
    if let Some(end) = end {
        if end <= now {
            return Err(format!(
                "--until {} is not in the future",
                format_rfc3339(end)
            ));
        }
        if let Some(start) = start {
            if end <= start {
                return Err(format!(
                    "--until {} is not after --from {}",
                    format_rfc3339(end),
                    format_rfc3339(start)
                ));
            }
        }
    }
    let (link, secret) = match &on.link {
        Some(base) => {
            let secret = secret::fresh()?;
            let change = LinkChange {
                sha256: secret::digest(&secret),
                insecure: base.starts_with("http://"),
            };
            (Some(change), Some(secret))
        }
        None => (None, None),
    };
    let change = OnChange {
        reason: on.reason.clone(),
        title: on.title.clone(),
        start,
        end,
        scope: on.scope.clone(),
        link,
    };
    Ok((change, secret))
}

/// A target, read.
enum Opened {
    Ecds(EcdsFile),
    Cluster {
        kubectl: Kubectl,
        kind: Kind,
        name: String,
        object: Value,
        pointer: String,
    },
    Manifest {
        kubectl: Kubectl,
        path: PathBuf,
        kind: Kind,
        object: Value,
        pointer: String,
    },
}

fn open(inv: &Invocation) -> Result<Opened, String> {
    let kubectl = || {
        Kubectl::new(
            inv.namespace.clone(),
            inv.context.clone(),
            inv.kubeconfig.clone(),
        )
    };
    match &inv.target {
        None => Err("no target given".to_string()),
        Some(Target::Ecds(path)) => match &inv.wasm {
            Some(wasm) => Ok(Opened::Ecds(EcdsFile::new(path, wasm))),
            None => EcdsFile::read(path).map(Opened::Ecds),
        },
        Some(Target::Resource { kind, name }) => {
            let kubectl = kubectl();
            let object = kubectl.get(*kind, name)?;
            let pointer = kube::config_pointer(*kind, &object, inv.wasm_name.as_deref())?;
            Ok(Opened::Cluster {
                kubectl,
                kind: *kind,
                name: name.clone(),
                object,
                pointer,
            })
        }
        Some(Target::Manifest(path)) => {
            let kubectl = kubectl();
            let object = kubectl.read_manifest(path)?;
            let kind_text = object.get("kind").and_then(Value::as_str).unwrap_or("");
            let kind = Kind::from_kind(kind_text).ok_or_else(|| {
                format!(
                    "{} is a {kind_text:?}, not a WasmPlugin, TrafficExtension or EnvoyExtensionPolicy",
                    path.display()
                )
            })?;
            let pointer = kube::config_pointer(kind, &object, inv.wasm_name.as_deref())?;
            Ok(Opened::Manifest {
                kubectl,
                path: path.clone(),
                kind,
                object,
                pointer,
            })
        }
    }
}

impl Opened {
    fn config_text(&self) -> String {
        match self {
            Opened::Ecds(file) => file.config_text().to_string(),
            Opened::Cluster {
                object, pointer, ..
            }
            | Opened::Manifest {
                object, pointer, ..
            } => match object.pointer(pointer) {
                None | Some(Value::Null) => String::new(),
                Some(value) => pretty(value),
            },
        }
    }

    fn describe(&self) -> String {
        match self {
            Opened::Ecds(file) => format!("ECDS file {}", file.path.display()),
            Opened::Cluster {
                kind, name, object, ..
            } => {
                let ns = object
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                format!("{} {ns}/{name}", kind.label())
            }
            Opened::Manifest { kind, path, .. } => {
                format!("{} in {}", kind.label(), path.display())
            }
        }
    }
}

/// Validates `new_text`, then writes it to the target (or prints the change for `--dry-run`).
/// Returns whether it was written.
fn write(inv: &Invocation, opened: &Opened, new_text: &str) -> Result<bool, String> {
    check(new_text)
        .map_err(|e| format!("not written: the plugin rejects the new configuration: {e}"))?;
    let new_config: Map<String, Value> = edit::parse_object(new_text, "the new configuration")?;
    let old_text = opened.config_text();
    let summary = edit::describe(&new_config, clock::now());
    let unchanged =
        edit::parse_object(&old_text, "the current configuration").ok() == Some(new_config.clone());
    if unchanged && !matches!(opened, Opened::Manifest { .. }) {
        println!(
            "{}: unchanged, nothing to write\n{summary}",
            opened.describe()
        );
        return Ok(false);
    }
    if inv.dry_run {
        let old_pretty = edit::parse_object(&old_text, "the current configuration")
            .map(|m| pretty(&Value::Object(m)))
            .unwrap_or(old_text.clone());
        println!(
            "dry run: {} would get this plugin configuration (- now, + new):\n{}",
            opened.describe(),
            edit::diff(&old_pretty, &pretty(&Value::Object(new_config.clone())))
        );
        if let Opened::Cluster {
            kubectl,
            kind,
            name,
            object,
            pointer,
        } = opened
        {
            let patch = kube::patch(object, pointer, &Value::Object(new_config), true);
            println!(
                "with: {}",
                kubectl.show(&Kubectl::patch_args(*kind, name, &patch))
            );
        }
        println!("{summary}\n(nothing written; no bypass link made)");
        return Ok(false);
    }
    match opened {
        Opened::Ecds(file) => write_ecds(inv, file, new_text, &summary),
        Opened::Cluster {
            kubectl,
            kind,
            name,
            object,
            pointer,
        } => {
            let patch = kube::patch(object, pointer, &Value::Object(new_config), true);
            let said = kubectl.patch(*kind, name, &patch).map_err(|e| {
                if e.contains("test operation") || e.contains("testing") {
                    format!(
                        "{}: it changed while this command ran; run it again ({e})",
                        opened.describe()
                    )
                } else {
                    e
                }
            })?;
            eprint!("{said}");
            println!("{}: {summary}", opened.describe());
            Ok(true)
        }
        Opened::Manifest {
            kubectl,
            path,
            object,
            pointer,
            ..
        } => {
            let patch = kube::patch(object, pointer, &Value::Object(new_config), false);
            let manifest = kubectl.patch_manifest(path, &patch, &inv.output)?;
            print!("{manifest}");
            eprintln!(
                "{} (printed; apply it with kubectl apply -f):\n{summary}",
                opened.describe()
            );
            Ok(true)
        }
    }
}

fn write_ecds(
    inv: &Invocation,
    file: &EcdsFile,
    new_text: &str,
    summary: &str,
) -> Result<bool, String> {
    let filter = file.filter().unwrap_or("maintenance-mode").to_string();
    let before = if inv.write_only {
        None
    } else {
        Some(crate::admin::updates(&inv.admin, &filter).map_err(|e| {
            format!(
                "no Envoy answers at {} ({e}); nothing written. Start Envoy (`make run`), give its \
                 admin address with --admin HOST:PORT, or pass --write-only to only write the file",
                inv.admin
            )
        })?)
    };
    ecds::write_atomically(&file.path, &file.with_config(new_text))?;
    println!(
        "written to {} ({})\n{summary}",
        file.path.display(),
        ecds::version_of(new_text)
    );
    let Some(before) = before else {
        return Ok(true);
    };
    match ecds::wait_for_update(&inv.admin, &filter, before) {
        Outcome::Applied => {
            println!("Envoy at {} applied it.", inv.admin);
            Ok(true)
        }
        Outcome::Rejected => Err(format!(
            "Envoy at {} REJECTED it and keeps the previous configuration; see its log",
            inv.admin
        )),
        Outcome::Unknown => Err(format!(
            "Envoy at {} did not report the update in time; check its log",
            inv.admin
        )),
    }
}

fn token(header: &str, link: Option<&str>, output: &str) -> Result<(), String> {
    let secret = secret::fresh()?;
    let digest = secret::digest(&secret);
    let token_entry = json!({"header": header, "sha256": digest});
    let cookie = json!({
        "name": edit::DEFAULT_COOKIE,
        "sha256": digest,
        "set_path": edit::DEFAULT_LINK_PATH,
        "max_age": edit::DEFAULT_LINK_MAX_AGE,
    });
    let base = link.map_or("https://YOUR-SITE", |b| b.trim_end_matches('/'));
    let url = format!("{base}{}?token={secret}", edit::DEFAULT_LINK_PATH);
    if output == "json" {
        let doc = json!({"secret": secret, "sha256": digest, "token": token_entry, "cookie": cookie, "link": url});
        println!("{}", pretty(&doc));
        return Ok(());
    }
    println!(
        "secret (shown once, keep it safe): {secret}\nsha256: {digest}\n\n\
         A bypass token: add to bypass.tokens\n  {token_entry}\n  \
         use: curl -H {} https://YOUR-SITE/\n\n\
         A bypass cookie with a link for browsers: bypass.cookie\n  {cookie}\n  link: {url}",
        kube::shell_quote(&format!("{header}: {secret}"))
    );
    Ok(())
}
