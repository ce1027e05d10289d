//! Which field a serde data error is about (`routes[2].hosts[0]`), found after the fact from
//! where serde_json stopped reading, so the configuration is read by plain serde_json: a
//! path-tracking wrapper around every deserializer and visitor (as `serde_path_to_error` does)
//! costs tens of KB of wasm for something that only matters on the error path.
//!
//! serde_json reports the line and column of the last byte it consumed. The text up to there is
//! valid JSON so far (a data error is raised only after what came before parsed), and this
//! module walks it, keeping the open objects (with the field being read) and lists (with the
//! item being read). The innermost of them is what failed, except for errors the container's
//! own visitor raises about itself ([`Level::Container`]): a missing or repeated field, a list
//! too short for a struct. The paths are those `serde_path_to_error` gives (a
//! test compares both on many broken configurations).

/// Who raised the error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Level {
    /// The deserializer of the value being read (a wrong type, an unknown field): the path
    /// names that value.
    Value,
    /// The visitor of the innermost open object or list, about itself: the path names it.
    Container,
}

/// An open object (the field whose value is being read, once its name is read) or list (the
/// index of the item being read).
enum Frame {
    Object {
        field: Option<String>,
        expect_name: bool,
    },
    List {
        index: usize,
    },
}

/// The path (`.` for the document) of the error serde_json raised at 1-based `line` and
/// `column` (column 0: just after the line break) while reading `text`.
pub(super) fn path_at(text: &[u8], line: usize, column: usize, level: Level) -> String {
    let start = match line {
        0 | 1 => 0,
        _ => text
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(line - 2)
            .map_or(text.len(), |(i, _)| i + 1),
    };
    let read = text.get(..start + column).unwrap_or(text);
    let mut frames = open_frames(read);
    // serde_json closes an object or list (reads its `}` or `]`, when that comes next) before
    // it reports what the container's visitor said about it: then the path is the value just
    // closed, as the walk left it. Still open, the container is the innermost frame.
    let closed = matches!(
        read.iter().rev().find(|b| !b.is_ascii_whitespace()),
        Some(b'}' | b']')
    );
    if level == Level::Container && !closed {
        match frames.last_mut() {
            Some(Frame::Object { field, .. }) => *field = None,
            // The list is the value of its parent's field or item: that is its path.
            Some(Frame::List { .. }) => {
                frames.pop();
            }
            None => {}
        }
    }
    render(&frames)
}

/// Who raised an error, from serde's message (as [`super::wording`] reads it): the errors a
/// container's visitor raises about itself, and `schema::unique_keys`'s repeated key.
pub(super) fn level_of(message: &str) -> Level {
    let container = ["missing field `", "duplicate field `", "invalid length "]
        .iter()
        .any(|start| message.starts_with(start))
        || message.ends_with(super::schema::GIVEN_TWICE);
    match container {
        true => Level::Container,
        false => Level::Value,
    }
}

fn render(frames: &[Frame]) -> String {
    let mut path = String::new();
    for frame in frames {
        match frame {
            Frame::Object {
                field: Some(name), ..
            } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(name);
            }
            Frame::Object { field: None, .. } => {}
            Frame::List { index } => {
                path.push('[');
                path.push_str(&index.to_string());
                path.push(']');
            }
        }
    }
    if path.is_empty() {
        path.push('.');
    }
    path
}

/// The objects and lists still open at the end of `read`.
fn open_frames(read: &[u8]) -> Vec<Frame> {
    let mut frames: Vec<Frame> = Vec::new();
    let mut at = 0;
    while let Some(&byte) = read.get(at) {
        at += 1;
        match byte {
            b'{' => frames.push(Frame::Object {
                field: None,
                expect_name: true,
            }),
            b'[' => frames.push(Frame::List { index: 0 }),
            b'}' | b']' => {
                frames.pop();
            }
            b',' => match frames.last_mut() {
                Some(Frame::Object { field, expect_name }) => {
                    *field = None;
                    *expect_name = true;
                }
                Some(Frame::List { index }) => *index += 1,
                None => {}
            },
            b'"' => {
                let begin = at - 1;
                while let Some(&b) = read.get(at) {
                    at += 1;
                    match b {
                        b'\\' => at += 1,
                        b'"' => break,
                        _ => {}
                    }
                }
                if let Some(Frame::Object { field, expect_name }) = frames.last_mut() {
                    if *expect_name {
                        *expect_name = false;
                        let quoted = read.get(begin..at).unwrap_or_default();
                        *field = Some(serde_json::from_slice(quoted).unwrap_or_default());
                    }
                }
            }
            _ => {}
        }
    }
    frames
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::error::Category;
    use serde_json::Value;

    use super::super::{parse, RawConfig};
    use super::*;

    /// A JSON text as a tree that, unlike `serde_json::Value`, can repeat an object's key.
    #[derive(Clone)]
    enum Json {
        Object(Vec<(String, Json)>),
        List(Vec<Json>),
        Scalar(String),
    }

    fn tree(value: &Value) -> Json {
        match value {
            Value::Object(map) => {
                Json::Object(map.iter().map(|(k, v)| (k.clone(), tree(v))).collect())
            }
            Value::Array(items) => Json::List(items.iter().map(tree).collect()),
            scalar => Json::Scalar(scalar.to_string()),
        }
    }

    /// Compact, or one member per line (so errors fall on many lines and columns).
    fn write(json: &Json, pretty: bool, depth: usize, out: &mut String) {
        let indent = |out: &mut String, depth: usize| {
            if pretty {
                out.push('\n');
                out.push_str(&"  ".repeat(depth));
            }
        };
        match json {
            Json::Scalar(text) => out.push_str(text),
            Json::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    indent(out, depth + 1);
                    write(item, pretty, depth + 1, out);
                }
                indent(out, depth);
                out.push(']');
            }
            Json::Object(members) => {
                out.push('{');
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    indent(out, depth + 1);
                    out.push_str(&Value::from(key.as_str()).to_string());
                    out.push_str(if pretty { ": " } else { ":" });
                    write(value, pretty, depth + 1, out);
                }
                indent(out, depth);
                out.push('}');
            }
        }
    }

    /// Every variant of `json` with one change somewhere: a node replaced by a value of each
    /// JSON type, an object's member removed, repeated or joined by an unknown one, a list
    /// emptied or given an extra item.
    fn mutants(json: &Json) -> Vec<Json> {
        let replacements = [
            "null",
            "true",
            "0",
            "-1",
            "1.5",
            "5000000000",
            "\"x\"",
            "\"\"",
            "[]",
            "[1]",
            "{}",
            "{\"a\": 1}",
        ];
        let mut out: Vec<Json> = replacements
            .iter()
            .map(|r| tree(&serde_json::from_str(r).unwrap()))
            .collect();
        match json {
            Json::Scalar(_) => {}
            Json::List(items) => {
                out.push(Json::List(Vec::new()));
                let mut longer = items.clone();
                longer.push(Json::Scalar("7".into()));
                out.push(Json::List(longer));
                for (i, item) in items.iter().enumerate() {
                    for changed in mutants(item) {
                        let mut copy = items.clone();
                        copy[i] = changed;
                        out.push(Json::List(copy));
                    }
                }
            }
            Json::Object(members) => {
                let mut unknown = members.clone();
                unknown.push(("zz \"odd\" \\ key".into(), Json::Scalar("1".into())));
                out.push(Json::Object(unknown));
                for (i, (key, value)) in members.iter().enumerate() {
                    let mut removed = members.clone();
                    removed.remove(i);
                    out.push(Json::Object(removed));
                    let mut repeated = members.clone();
                    repeated.push((key.clone(), value.clone()));
                    out.push(Json::Object(repeated));
                    for changed in mutants(value) {
                        let mut copy = members.clone();
                        copy[i].1 = changed;
                        out.push(Json::Object(copy));
                    }
                }
            }
        }
        out
    }

    /// A configuration using every part of the schema.
    fn everything() -> Value {
        serde_json::json!({
            "enabled": true, "reason": "r", "title": "t", "status": 503, "retry_after": 5,
            "routes": [{"hosts": ["a.example", "*.b.example"], "path_prefix": "/p",
                        "methods": ["GET"]}, {"path": "/x"}],
            "bypass": {"paths": ["/admin"], "cidrs": ["10.0.0.0/8"], "header": "x-bypass",
                       "tokens": [{"header": "x-t", "sha256": "ab", "not_after": "2030-01-01T00:00:00Z"}],
                       "cookie": {"name": "c", "sha256": "ab", "max_age": 60, "secure": true,
                                  "set_path": "/set", "not_after": "2030-01-01T00:00:00Z"}},
            "response": {"headers": {"x-a": "b", "x-\"q\"": "c"}, "html": "<p>", "refresh": 30,
                         "words": {"expected_back": "e", "default_reason": "d"}},
            "windows": [{"start": "2030-01-01T00:00:00Z", "end": "2030-01-02T00:00:00Z"}],
            "recurring": [{"days": ["mon"], "start": "01:00", "end": "02:00", "utc_offset": "Z"}],
            "upstream_fallback": {"statuses": [502, 503]},
            "dry_run": false, "status_path": "/s", "notice_before": 60, "language": "en",
            "translations": {"fr": {"title": "t", "reason": "r", "html": "<p>",
                                    "words": {"expected_back": "e"}}}
        })
    }

    /// serde_path_to_error's path, as the configuration errors used to give it.
    fn reference_path(text: &str) -> Option<(String, String)> {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let error = serde_path_to_error::deserialize::<_, RawConfig>(&mut deserializer).err()?;
        let path = error.path().to_string();
        let path = match path.trim_end_matches('?').trim_end_matches('.') {
            "" => ".".to_string(),
            known => known.to_string(),
        };
        Some((path, error.inner().to_string()))
    }

    #[test]
    fn paths_are_those_serde_path_to_error_gives() {
        let mut compared = 0;
        for pretty in [false, true] {
            for mutant in mutants(&tree(&everything())) {
                let mut text = String::new();
                write(&mutant, pretty, 0, &mut text);
                let Err(error) =
                    RawConfig::deserialize(&mut serde_json::Deserializer::from_str(&text))
                else {
                    assert!(reference_path(&text).is_none(), "{text}");
                    continue;
                };
                let (expected, message) = reference_path(&text).unwrap();
                assert_eq!(error.to_string(), message, "{text}");
                if error.classify() != Category::Data {
                    continue;
                }
                let what = message.split(" at line ").next().unwrap();
                let ours = path_at(
                    text.as_bytes(),
                    error.line(),
                    error.column(),
                    level_of(what),
                );
                assert_eq!(ours, expected, "{message}\n{text}");
                compared += 1;
            }
        }
        assert!(compared > 1000, "{compared}");
    }

    /// The fields and exact messages tests/bad_configs.json pins (checked end to end in Envoy's
    /// log too).
    #[test]
    fn bad_configs_corpus_messages() {
        let corpus: Vec<Value> =
            serde_json::from_str(include_str!("../../tests/bad_configs.json")).unwrap();
        let mut checked = 0;
        for entry in &corpus {
            let config = entry["config"].as_str().unwrap();
            let Err(error) = parse(config.as_bytes()) else {
                panic!("accepted: {config}");
            };
            let fields: Vec<&str> = match &entry["field"] {
                Value::Array(fields) => fields.iter().filter_map(Value::as_str).collect(),
                field => field.as_str().into_iter().collect(),
            };
            assert!(fields.contains(&error.field.as_str()), "{config}: {error}");
            if let Some(message) = entry["message"].as_str() {
                assert_eq!(error.to_string(), message, "{config}");
                checked += 1;
            }
        }
        assert!(corpus.len() > 80 && checked > 40, "{checked}");
    }
}
