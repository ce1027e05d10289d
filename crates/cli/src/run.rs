//! The commands: read the target's plugin configuration, change it, check it with the plugin's
//! own validation, and write it (or print the change).

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::Path;
use std::process::ExitCode;

use maintenance_core::decision::{decide, Decision, RequestFacts};
use serde_json::{json, Map, Value};

use crate::args::{self, Build, Command, Invocation, LinkBase, OnArgs, Target, VERSION};
use crate::clock::{self, format_rfc3339, human};
use crate::ecds::{self, EcdsFile, Lock, Outcome};
use crate::edit::{self, LinkChange, OnChange};
use crate::files;
use crate::kube::{self, Kind, Kubectl};
use crate::manifest::{self, Manifest, ManifestFile};
use crate::schema;
use crate::secret;

pub fn main(args: Vec<OsString>) -> ExitCode {
    let invocation = match args::parse(args) {
        Ok(invocation) => invocation,
        Err(usage) => {
            // Help and --version too: clap prints them and says how to exit.
            let _ = usage.print();
            return ExitCode::from(u8::try_from(usage.exit_code()).unwrap_or(2));
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
        Command::Version => {
            println!("kubectl-maintenance {VERSION}");
            Ok(())
        }
        Command::Completion(shell) => std::io::stdout()
            .write_all(&args::completion(*shell))
            .map_err(|e| format!("cannot write the completion script: {e}")),
        Command::Token { header, link } => token(header, link.as_ref(), &inv.output),
        Command::Validate(Some(path)) => validate_file(path),
        Command::Validate(None) => match &inv.target {
            Some(Target::Manifest(path)) => validate_manifest(path, inv.wasm_name.as_deref()),
            _ => {
                let opened = open(inv, false)?;
                check(&opened.config_text()).map_err(|e| format!("{}: {e}", opened.describe()))?;
                println!("{}: valid", opened.describe());
                Ok(())
            }
        },
        Command::Status => {
            let opened = open(inv, false)?;
            let config = edit::parse_object(&opened.config_text(), "the plugin configuration")?;
            println!("{}", opened.describe());
            println!("{}", edit::describe(&config, clock::now()));
            if let Opened::Ecds { file, .. } = &opened {
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
            let opened = open(inv, true)?;
            let now = clock::now();
            let (change, secret) = on_change(on, now)?;
            let mut config =
                edit::parse_object(&opened.config_text(), "the current plugin configuration")?;
            let (notes, link) = edit::on(&mut config, &change, now)?;
            let new_text = pretty(&Value::Object(config));
            if let (Some(base), Some(secret), Some(link)) = (&on.link, &secret, &link) {
                link_works(
                    &new_text,
                    base,
                    &link.set_path,
                    secret,
                    change.start.unwrap_or(now).max(now),
                )?;
            }
            for note in notes {
                eprintln!("note: {note}");
            }
            let written = write(inv, &opened, &new_text)?;
            if written {
                if let (Some(base), Some(secret), Some(link)) = (&on.link, secret, link) {
                    let message = format!(
                        "bypass link for QA (shown once; sets the cookie for {}):\n  {}{}?token={secret}",
                        human(link.max_age),
                        base.origin,
                        link.set_path
                    );
                    // A changed manifest goes to standard output: keep it clean.
                    if matches!(opened, Opened::Manifest(..)) && !inv.in_place {
                        eprintln!("{message}");
                    } else {
                        println!("{message}");
                    }
                }
            }
            Ok(())
        }
        Command::Off => {
            let opened = open(inv, true)?;
            let mut config =
                edit::parse_object(&opened.config_text(), "the current plugin configuration")?;
            edit::off(&mut config);
            write(inv, &opened, &pretty(&Value::Object(config))).map(|_| ())
        }
        Command::Apply(path, build) => {
            let text = read_input(path)?;
            edit::parse_object(&text, &path.display().to_string())?;
            let opened = match (build, &inv.target) {
                (Some(build), Some(Target::Ecds(file))) => {
                    // Nothing made, not even the directory, for a configuration refused.
                    check_new(&text)?;
                    create_ecds(inv, file, build)?
                }
                _ => open(inv, true)?,
            };
            write(inv, &opened, &text).map(|_| ())
        }
    }
}

/// Every problem the plugin's own validation finds in a configuration, each in the words the
/// plugin logs (`invalid plugin configuration: <field>: <why>`); empty when it accepts it.
fn problems(text: &str) -> Vec<String> {
    match maintenance_core::config::parse(text.as_bytes()) {
        Ok(_) => Vec::new(),
        Err(problems) => problems
            .iter()
            .map(|problem| format!("invalid plugin configuration: {problem}"))
            .collect(),
    }
}

/// [`problems`] as one message, a line for each (`error: ` starts each line once printed).
fn check(text: &str) -> Result<(), String> {
    match problems(text) {
        found if found.is_empty() => Ok(()),
        found => Err(found.join("\nerror: ")),
    }
}

fn validate_file(path: &Path) -> Result<(), String> {
    let text = read_input(path)?;
    check(&text)?;
    let config = edit::parse_object(&text, "the configuration")?;
    println!("{}: valid", path.display());
    println!("{}", edit::describe(&config, clock::now()));
    Ok(())
}

/// `validate -f`: each plugin resource in the file against its strict schema, then each
/// plugin configuration in it (or the `--wasm-name` one) with the plugin's own validation.
fn validate_manifest(path: &Path, wasm_name: Option<&str>) -> Result<(), String> {
    let file = ManifestFile::read(path)?;
    let resources = file.resources();
    if resources.is_empty() {
        return Err(format!(
            "{} holds no WasmPlugin, TrafficExtension or EnvoyExtensionPolicy",
            path.display()
        ));
    }
    let mut found = Vec::new();
    let mut valid = Vec::new();
    for (_, kind, object) in resources {
        let name = format!("{} ({})", path.display(), manifest::describe(kind, object));
        let configs = plugin_configs(kind, object, wasm_name);
        let parents: Vec<String> = configs.iter().map(|(at, _)| parent_of(at)).collect();
        let mut these = schema::problems(kind, object, &parents);
        for (at, config) in &configs {
            let text = config.as_ref().map(pretty).unwrap_or_default();
            these.extend(problems(&text).into_iter().map(|p| format!("{at}: {p}")));
        }
        if these.is_empty() {
            valid.push((name, configs));
        } else {
            found.extend(these.into_iter().map(|p| format!("{name}: {p}")));
        }
    }
    if !found.is_empty() {
        return Err(found.join("\nerror: "));
    }
    for (name, configs) in valid {
        println!("{name}: valid");
        for (at, config) in configs {
            let config = match config {
                Some(Value::Object(map)) => map,
                _ => Map::new(),
            };
            println!(
                "{at}:\n  {}",
                edit::describe(&config, clock::now()).replace('\n', "\n  ")
            );
        }
    }
    Ok(())
}

/// `spec.wasm.0` for `spec.wasm.0.config`.
fn parent_of(at: &str) -> String {
    at.rsplit_once('.')
        .map_or("", |(parent, _)| parent)
        .to_string()
}

/// Where each plugin configuration of a resource is (`spec.pluginConfig`, `spec.wasm.0.config`)
/// and its value: every `spec.wasm` entry of an EnvoyExtensionPolicy, or the `wasm_name` one.
fn plugin_configs(
    kind: Kind,
    object: &Value,
    wasm_name: Option<&str>,
) -> Vec<(String, Option<Value>)> {
    let at = |pointer: &str| object.pointer(pointer).filter(|v| !v.is_null()).cloned();
    match kind {
        Kind::WasmPlugin => vec![("spec.pluginConfig".into(), at("/spec/pluginConfig"))],
        Kind::TrafficExtension => {
            vec![(
                "spec.wasm.pluginConfig".into(),
                at("/spec/wasm/pluginConfig"),
            )]
        }
        Kind::EnvoyExtensionPolicy => {
            let entries = object
                .pointer("/spec/wasm")
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice);
            entries
                .iter()
                .enumerate()
                .filter(|(_, entry)| {
                    wasm_name
                        .is_none_or(|name| entry.get("name").and_then(Value::as_str) == Some(name))
                })
                .map(|(i, entry)| {
                    (
                        format!("spec.wasm.{i}.config"),
                        entry.get("config").filter(|v| !v.is_null()).cloned(),
                    )
                })
                .collect()
        }
    }
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
                insecure: base.insecure,
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

/// Whether the plugin, with this configuration, answers the link a browser opens at `at`: the
/// plugin's own decision for that very request, so the link is refused when the routes leave it
/// out of scope (the application would get the request, secret included, and no cookie set).
fn link_works(
    config_text: &str,
    base: &LinkBase,
    set_path: &str,
    secret: &str,
    at: i64,
) -> Result<(), String> {
    let Ok(plan) = maintenance_core::config::parse(config_text.as_bytes()) else {
        return Ok(()); // The write refuses it, with the plugin's message.
    };
    let target = format!("{set_path}?token={secret}");
    let request = RequestFacts {
        method: b"GET",
        authority: Some(base.authority.as_bytes()),
        path: target.as_bytes(),
        ..RequestFacts::default()
    };
    let link = format!("{}{set_path}", base.origin);
    match decide(&plan, &request, at) {
        Decision::GrantCookie { .. } => Ok(()),
        Decision::OutOfScope => Err(format!(
            "--link: {link} is out of maintenance scope (no route covers it), so the plugin would \
             not answer it: the application would get the request, secret included, and no cookie \
             would be set. Nothing written. Use a --link whose host the routes cover, or a --scope \
             that covers {set_path} on {}",
            base.authority
        )),
        other => Err(format!(
            "--link: the plugin would not set the cookie at {link} ({}); nothing written. \
             Check bypass.cookie (not_after?) and the maintenance window",
            match other {
                Decision::Off => "maintenance would not be in effect",
                _ => "it would not accept the link's secret",
            }
        )),
    }
}

/// A target, read.
enum Opened {
    /// The file, and the lock held until the command ends when it changes the file.
    Ecds {
        file: EcdsFile,
        _lock: Option<Lock>,
    },
    Cluster {
        kubectl: Kubectl,
        kind: Kind,
        name: String,
        object: Value,
        pointer: String,
    },
    Manifest(Manifest),
}

/// The plugin's own validation of a configuration about to be written.
fn check_new(new_text: &str) -> Result<(), String> {
    check(new_text).map_err(|e| {
        format!(
            "not written: the plugin rejects the new configuration: {}",
            e.replace("\nerror: ", "\n  ")
        )
    })
}

/// A new ECDS file at `path` (its directory made), locked like one that is changed: a file there
/// already is replaced whole, unless another writer changes it meanwhile.
fn create_ecds(inv: &Invocation, path: &Path, build: &Build) -> Result<Opened, String> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        if !inv.dry_run {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
        }
    }
    let lock = (!inv.dry_run).then(|| ecds::lock(path)).transpose()?;
    let file = EcdsFile::new(path, build)?;
    Ok(Opened::Ecds { file, _lock: lock })
}

/// Reads the target; `to_change`: for a command that writes it (an ECDS file is locked).
fn open(inv: &Invocation, to_change: bool) -> Result<Opened, String> {
    match &inv.target {
        None => Err("no target given".to_string()),
        Some(Target::Ecds(path)) => {
            let lock = (to_change && !inv.dry_run)
                .then(|| ecds::lock(path))
                .transpose()?;
            EcdsFile::read(path).map(|file| Opened::Ecds { file, _lock: lock })
        }
        Some(Target::Resource { kind, name }) => {
            let kubectl = Kubectl::new(
                inv.namespace.clone(),
                inv.context.clone(),
                inv.kubeconfig.clone(),
            );
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
            if to_change && !inv.in_place && !inv.dry_run && files::is_stdout(path) {
                return Err(format!(
                    "standard output is {0} itself: the shell emptied it before this command could \
                     read it (restore it, e.g. from version control). Change a manifest with \
                     `-f {0} --in-place`",
                    path.display()
                ));
            }
            let manifest = ManifestFile::read(path)?.only(inv.wasm_name.as_deref())?;
            if to_change {
                let parent = parent_of(&manifest.pointer.trim_start_matches('/').replace('/', "."));
                for problem in schema::problems(manifest.kind, &manifest.object, &[parent]) {
                    eprintln!("warning: {}: {problem}", path.display());
                }
            }
            Ok(Opened::Manifest(manifest))
        }
    }
}

impl Opened {
    fn config_text(&self) -> String {
        let (object, pointer) = match self {
            Opened::Ecds { file, .. } => return file.config_text().to_string(),
            Opened::Cluster {
                object, pointer, ..
            } => (object, pointer),
            Opened::Manifest(m) => (&m.object, &m.pointer),
        };
        match object.pointer(pointer) {
            None | Some(Value::Null) => String::new(),
            Some(value) => pretty(value),
        }
    }

    fn describe(&self) -> String {
        match self {
            Opened::Ecds { file, .. } => format!("ECDS file {}", file.path.display()),
            Opened::Cluster {
                kind, name, object, ..
            } => {
                let ns = object
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                format!("{} {ns}/{name}", kind.label())
            }
            Opened::Manifest(m) => format!("{} in {}", m.kind.label(), m.path.display()),
        }
    }
}

/// Validates `new_text`, then writes it to the target (or prints the change for `--dry-run`).
/// Returns whether it was written.
fn write(inv: &Invocation, opened: &Opened, new_text: &str) -> Result<bool, String> {
    check_new(new_text)?;
    let new_config: Map<String, Value> = edit::parse_object(new_text, "the new configuration")?;
    let old_text = opened.config_text();
    let summary = edit::describe(&new_config, clock::now());
    let unchanged =
        edit::parse_object(&old_text, "the current configuration").ok() == Some(new_config.clone());
    let prints_manifest = matches!(opened, Opened::Manifest(..)) && !inv.in_place;
    if unchanged && !prints_manifest {
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
            let patch = kube::patch(object, pointer, &Value::Object(new_config));
            println!(
                "with: {}",
                kubectl.show(&Kubectl::patch_args(*kind, name, &patch))
            );
        }
        println!("{summary}\n(nothing written; no bypass link made)");
        return Ok(false);
    }
    match opened {
        Opened::Ecds { file, .. } => write_ecds(inv, file, new_text, &summary),
        Opened::Cluster {
            kubectl,
            kind,
            name,
            object,
            pointer,
        } => {
            let patch = kube::patch(object, pointer, &Value::Object(new_config));
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
        Opened::Manifest(manifest) => {
            let object = manifest.with_config(&Value::Object(new_config))?;
            if inv.in_place {
                let text = manifest.text_with(&object)?;
                files::replace(&manifest.path, &text, files::mode_of(&manifest.path))?;
                println!(
                    "{}: changed in place (only the plugin configuration)\n{summary}",
                    opened.describe()
                );
                return Ok(true);
            }
            let text = match inv.output.as_str() {
                "json" => manifest.json_with(&object),
                _ => manifest.text_with(&object)?,
            };
            print!("{text}");
            eprintln!(
                "{} (printed; apply it with kubectl apply -f, or change the file with --in-place):\n{summary}",
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
    file.replace(&file.with_config(new_text))?;
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

fn token(header: &str, link: Option<&LinkBase>, output: &str) -> Result<(), String> {
    let secret = secret::fresh()?;
    let digest = secret::digest(&secret);
    let token_entry = json!({"header": header, "sha256": digest});
    let cookie = json!({
        "name": edit::DEFAULT_COOKIE,
        "sha256": digest,
        "set_path": edit::DEFAULT_LINK_PATH,
        "max_age": edit::DEFAULT_LINK_MAX_AGE,
    });
    let base = link.map_or("https://YOUR-SITE", |b| b.origin.as_str());
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

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_748_743_200;
    const SECRET: &str = "s3cret";

    fn config(routes: Value) -> String {
        json!({"enabled": true, "routes": routes, "bypass": {"cookie": {"name": "qa",
            "sha256": secret::digest(SECRET), "set_path": "/__maintenance/bypass"}}})
        .to_string()
    }

    fn works(routes: Value, base: &str) -> Result<(), String> {
        let base = LinkBase::parse(base)?;
        link_works(&config(routes), &base, "/__maintenance/bypass", SECRET, NOW)
    }

    #[test]
    fn a_link_works_only_where_the_plugin_answers_it() {
        assert_eq!(
            works(json!([{"path_prefix": "/"}]), "https://shop.example.com"),
            Ok(())
        );
        assert_eq!(
            works(
                json!([{"hosts": ["*.example.com"]}]),
                "http://shop.example.com:8080"
            ),
            Ok(())
        );
        for (routes, base) in [
            (
                json!([{"path_prefix": "/checkout"}]),
                "https://shop.example.com",
            ),
            (
                json!([{"hosts": ["api.example.com"]}]),
                "https://shop.example.com",
            ),
            (
                json!([{"hosts": ["api.example.com"], "methods": ["POST"]}]),
                "https://api.example.com",
            ),
        ] {
            let err = works(routes.clone(), base).unwrap_err();
            assert!(
                err.contains("is out of maintenance scope"),
                "{routes}: {err}"
            );
        }
        // A cookie that expired before the link is used.
        let expired = json!({"enabled": true, "bypass": {"cookie": {"name": "qa",
            "sha256": secret::digest(SECRET), "set_path": "/__maintenance/bypass",
            "not_after": "2025-01-01T00:00:00Z"}}});
        let base = LinkBase::parse("https://shop.example.com").unwrap();
        let err = link_works(
            &expired.to_string(),
            &base,
            "/__maintenance/bypass",
            SECRET,
            NOW,
        );
        assert!(err
            .unwrap_err()
            .contains("would not accept the link's secret"));
    }

    #[test]
    fn plugin_configurations_of_a_resource() {
        let eep = json!({"spec": {"wasm": [{"name": "a", "config": {"x": 1}}, {"name": "m"}]}});
        assert_eq!(
            plugin_configs(Kind::EnvoyExtensionPolicy, &eep, None),
            vec![
                ("spec.wasm.0.config".to_string(), Some(json!({"x": 1}))),
                ("spec.wasm.1.config".to_string(), None)
            ]
        );
        assert_eq!(
            plugin_configs(Kind::EnvoyExtensionPolicy, &eep, Some("m")).len(),
            1
        );
        assert_eq!(parent_of("spec.wasm.1.config"), "spec.wasm.1");
        assert_eq!(
            plugin_configs(Kind::TrafficExtension, &json!({"spec": {"wasm": {}}}), None),
            vec![("spec.wasm.pluginConfig".to_string(), None)]
        );
    }

    #[test]
    fn every_problem_is_its_own_error_line() {
        assert_eq!(check("{\"enabled\": true}"), Ok(()));
        let err = check("{\"status\": 42}").unwrap_err();
        assert!(
            err.starts_with("invalid plugin configuration: status"),
            "{err}"
        );
        assert_eq!(err.lines().count(), problems("{\"status\": 42}").len());
    }
}
