//! serde_json's errors in the words of someone writing the configuration by hand: JSON syntax
//! errors say what is wrong and where (`line 5, column 22: expected a quoted field name (JSON
//! does not allow trailing commas)`), type errors name JSON types, not Rust ones
//! (`retry_after: expected a whole number, got "ten"`, not `expected u64`).
//!
//! serde reports what it expected and what it found as text in a few fixed shapes (`invalid
//! type: X, expected Y`, `unknown field`, `missing field`, ...) and serde_json names each syntax
//! error with a fixed phrase; this module rewrites those. Text it does not recognise is kept as
//! serde wrote it (without the position, which the error already gives), so a new serde
//! phrase degrades to the old wording, never to a wrong one. The native tests pin every shape
//! the schema can produce.

use serde_json::error::Category;

use super::{error, ConfigError};

/// How much of an offending value a message quotes (a 4 KiB string stays out of the log).
const MAX_QUOTED: usize = 60;

/// The error for a serde_json failure at `path` (the failing field's, as `read` records it,
/// `.` for the document) while reading `text`.
pub(super) fn config_error(path: &str, err: &serde_json::Error, text: &[u8]) -> ConfigError {
    let what = without_position(err);
    match err.classify() {
        Category::Syntax | Category::Eof => error(where_in(err, text), syntax(&what, err, text)),
        Category::Data | Category::Io => data(path, &what),
    }
}

/// The error for unexpected text after the configuration (`deserializer.end()` failing).
pub(super) fn trailing(err: &serde_json::Error, text: &[u8]) -> ConfigError {
    error(
        where_in(err, text),
        "unexpected text after the end of the configuration (it must be one JSON object)",
    )
}

/// `line L, column C`, both from 1, as editors count (in bytes). serde_json says column 0 for
/// the line break itself: that is the end of the line before.
fn where_in(err: &serde_json::Error, text: &[u8]) -> String {
    let (line, column) = (err.line(), err.column());
    if column == 0 && line > 1 {
        let previous = text
            .split(|b| *b == b'\n')
            .nth(line - 2)
            .map_or(0, <[u8]>::len);
        return format!("line {}, column {}", line - 1, previous + 1);
    }
    format!("line {line}, column {column}")
}

/// serde_json's message without its ` at line L column C` suffix.
fn without_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    match text.strip_suffix(&suffix) {
        Some(message) => message.to_string(),
        None => text,
    }
}

/// The byte at serde_json's (1-based) line and column, which counts bytes.
fn byte_at(text: &[u8], line: usize, column: usize) -> Option<u8> {
    let start = if line <= 1 {
        0
    } else {
        text.iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(line - 2)
            .map(|(i, _)| i + 1)?
    };
    text.get(start + column.checked_sub(1)?).copied()
}

fn syntax(what: &str, err: &serde_json::Error, text: &[u8]) -> String {
    let here = byte_at(text, err.line(), err.column());
    let quote_hint = |base: &str| match here {
        Some(b'\'') => format!("{base} (JSON needs double quotes, not single quotes)"),
        Some(b'T' | b'F' | b'N') => {
            format!("{base} (true, false and null are written in lower case)")
        }
        _ => base.to_string(),
    };
    match what {
        "key must be a string" => match here {
            Some(b'}') => "expected a quoted field name (JSON does not allow trailing commas)".into(),
            Some(b'\'') => "expected a quoted field name (JSON needs double quotes, not single quotes)".into(),
            Some(b) if b.is_ascii_alphabetic() || b == b'_' => {
                "expected a quoted field name (field names need double quotes)".into()
            }
            _ => "expected a quoted field name".into(),
        },
        "trailing comma" => match here {
            Some(close @ (b'}' | b']')) => format!(
                "a comma before `{}` (JSON does not allow trailing commas)",
                char::from(close)
            ),
            _ => "a comma before the closing bracket (JSON does not allow trailing commas)".into(),
        },
        "expected `:`" => "expected `:` after the field name".into(),
        "expected `,` or `}`" => {
            "expected `,` before the next field, or `}` to close the object (is a comma missing?)".into()
        }
        "expected `,` or `]`" => {
            "expected `,` before the next item, or `]` to close the list (is a comma missing?)".into()
        }
        "expected ident" => {
            "not a JSON value (true, false and null are written in lower case; text needs double quotes)".into()
        }
        "expected value" => quote_hint(
            "expected a value: a string in double quotes, a number, true, false, null, a list or an object",
        ),
        "EOF while parsing an object" => "the text ends before the object is closed (a `}` is missing)".into(),
        "EOF while parsing a list" => "the text ends before the list is closed (a `]` is missing)".into(),
        "EOF while parsing a string" => "the text ends inside a string (a closing `\"` is missing)".into(),
        "EOF while parsing a value" => "the text ends where a value was expected".into(),
        "invalid escape" => {
            "invalid escape in a string (after a backslash: \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX)".into()
        }
        "invalid number" => "invalid number".into(),
        "number out of range" => "the number is too large".into(),
        "control character (\\u0000-\\u001F) found while parsing a string" => {
            "a line break or control character inside a string (write it as \\n, \\t or \\uXXXX)".into()
        }
        "invalid unicode code point"
        | "lone leading surrogate in hex escape"
        | "unexpected end of hex escape" => "invalid \\uXXXX escape in a string".into(),
        "recursion limit exceeded" => "nested too deeply".into(),
        "trailing characters" => "unexpected text after the end of the configuration".into(),
        other => other.to_string(),
    }
}

fn data(path: &str, what: &str) -> ConfigError {
    if let Some(rest) = what
        .strip_prefix("invalid type: ")
        .or_else(|| what.strip_prefix("invalid value: "))
    {
        if let Some((got, expected)) = rest.split_once(", expected ") {
            let range = match what.starts_with("invalid value: ") {
                false => Range::Any,
                true if got.starts_with("integer `-") => Range::Negative,
                true => Range::TooLarge,
            };
            return error(
                path,
                format!(
                    "expected {}, got {}",
                    expected_words(expected, range),
                    got_words(got)
                ),
            );
        }
    }
    if let Some((_, expected)) = what
        .strip_prefix("invalid length ")
        .and_then(|rest| rest.split_once(", expected "))
    {
        // serde reads a struct from a list of its fields in order: not what anyone means.
        if expected.starts_with("struct ") {
            return error(path, "expected an object, got a list");
        }
    }
    if let Some(rest) = what.strip_prefix("unknown field `") {
        if let Some((name, valid)) = rest.split_once('`') {
            return error(path, unknown_field(name, valid));
        }
    }
    if let Some(name) = backticked(what, "missing field `") {
        return error(path, format!("the required field `{name}` is missing"));
    }
    if let Some(name) = backticked(what, "duplicate field `") {
        return error(
            child(path, name),
            "is given twice (each field may appear once)",
        );
    }
    error(path, what)
}

fn backticked<'a>(what: &'a str, prefix: &str) -> Option<&'a str> {
    what.strip_prefix(prefix)?.strip_suffix('`')
}

fn child(path: &str, name: &str) -> String {
    if path == "." {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// Why serde refused a number of the right JSON type.
enum Range {
    /// It did not: the type was wrong.
    Any,
    Negative,
    TooLarge,
}

/// What serde expected (a Rust type, or a visitor's own `expecting`), as a JSON type; for a
/// number out of its type's range, with the range.
fn expected_words(expected: &str, range: Range) -> String {
    let whole = |max: &str| match range {
        Range::Any => "a whole number".to_string(),
        Range::Negative => "a whole number (0 or more)".to_string(),
        Range::TooLarge => format!("a whole number from 0 to {max}"),
    };
    match expected {
        "u8" => whole("255"),
        "u16" => whole("65535"),
        "u32" => whole("4294967295"),
        "u64" => whole("18446744073709551615"),
        "i8" | "i16" | "i32" | "i64" | "i128" | "u128" | "usize" | "isize" => {
            "a whole number".into()
        }
        "f32" | "f64" => "a number".into(),
        "a boolean" => "true or false".into(),
        "a string" | "a borrowed string" | "a char" => "a string".into(),
        "a sequence" => "a list".into(),
        "a map" => "an object".into(),
        "unit" => "null".into(),
        other if other.starts_with("struct ") => "an object".into(),
        other => other.to_string(),
    }
}

/// What serde found (its `Unexpected`, as serde_json prints it), in JSON terms.
fn got_words(got: &str) -> String {
    let quoted = |s: &str| s.trim_matches('`').to_string();
    if let Some(value) = got.strip_prefix("boolean ") {
        return quoted(value);
    }
    if let Some(value) = got.strip_prefix("integer ") {
        return quoted(value);
    }
    if let Some(value) = got.strip_prefix("floating point ") {
        return quoted(value);
    }
    if let Some(value) = got.strip_prefix("string ") {
        return shortened(value);
    }
    match got {
        "sequence" => "a list".into(),
        "map" => "an object".into(),
        other => other.to_string(),
    }
}

fn shortened(quoted: &str) -> String {
    match quoted.char_indices().nth(MAX_QUOTED) {
        Some((cut, _)) => format!("{}…\" ({} bytes)", &quoted[..cut], quoted.len()),
        None => quoted.to_string(),
    }
}

/// serde's `valid` part: `, expected one of `a`, `b``, `, expected `a` or `b``, `, expected
/// `a``, or `, there are no fields`.
fn unknown_field(name: &str, valid: &str) -> String {
    let names: Vec<&str> = valid
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|n| !n.is_empty())
        .collect();
    if names.is_empty() {
        return format!("unknown field `{name}`; this object takes no fields");
    }
    let list = names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match closest(name, &names) {
        Some(near) => {
            format!("unknown field `{name}` (did you mean `{near}`?); valid here: {list}")
        }
        None => format!("unknown field `{name}`; valid here: {list}"),
    }
}

/// The valid name a typo most likely meant: at most 2 edits away (and fewer than half its
/// letters), ignoring case.
fn closest<'a>(name: &str, names: &[&'a str]) -> Option<&'a str> {
    let name = name.to_ascii_lowercase();
    names
        .iter()
        .map(|n| (edits(&name, &n.to_ascii_lowercase()), *n))
        .filter(|(d, n)| *d <= 2 && *d * 2 < n.len().max(name.len()))
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

/// Levenshtein distance, with a swap of two neighbours counting as one edit.
fn edits(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut rows = vec![(0..=b.len()).collect::<Vec<usize>>(); a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::super::parse;

    fn message(text: &str) -> String {
        match parse(text.as_bytes()) {
            Ok(_) => panic!("accepted: {text}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn syntax_errors_say_what_is_wrong_where() {
        let cases = [
            (
                "{\n  \"enabled\": true,\n  \"reason\": \"x\",\n}",
                "line 4, column 1: a comma before `}` (JSON does not allow trailing commas)",
            ),
            (
                r#"{"bypass": {"paths": ["/a",]}}"#,
                "line 1, column 28: a comma before `]` (JSON does not allow trailing commas)",
            ),
            (
                r#"{"enabled": true "reason": "x"}"#,
                "line 1, column 18: expected `,` before the next field, or `}` to close the object (is a comma missing?)",
            ),
            (
                r#"{"bypass": {"paths": ["/a" "/b"]}}"#,
                "line 1, column 28: expected `,` before the next item, or `]` to close the list (is a comma missing?)",
            ),
            (
                "{'enabled': true}",
                "line 1, column 2: expected a quoted field name (JSON needs double quotes, not single quotes)",
            ),
            (
                "{enabled: true}",
                "line 1, column 2: expected a quoted field name (field names need double quotes)",
            ),
            (
                "{\"enabled\": true, 5: 1}",
                "line 1, column 19: expected a quoted field name",
            ),
            (
                r#"{"reason": 'x'}"#,
                "line 1, column 12: expected a value: a string in double quotes, a number, true, false, null, a list or an object (JSON needs double quotes, not single quotes)",
            ),
            (
                r#"{"reason": }"#,
                "line 1, column 12: expected a value: a string in double quotes, a number, true, false, null, a list or an object",
            ),
            (
                r#"{"enabled": True}"#,
                "line 1, column 13: expected a value: a string in double quotes, a number, true, false, null, a list or an object (true, false and null are written in lower case)",
            ),
            (
                "{\"reason\": \"Back\nsoon\"}",
                "line 1, column 17: a line break or control character inside a string (write it as \\n, \\t or \\uXXXX)",
            ),
            (
                r#"{"enabled": tru}"#,
                "line 1, column 16: not a JSON value (true, false and null are written in lower case; text needs double quotes)",
            ),
            (
                r#"{"enabled" true}"#,
                "line 1, column 12: expected `:` after the field name",
            ),
            (
                r#"{"reason": "abc"#,
                "line 1, column 15: the text ends inside a string (a closing `\"` is missing)",
            ),
            (
                r#"{"enabled": true"#,
                "line 1, column 16: the text ends before the object is closed (a `}` is missing)",
            ),
            (
                r#"{"bypass": {"paths": ["/a""#,
                "line 1, column 26: the text ends before the list is closed (a `]` is missing)",
            ),
            (
                r#"{"enabled":"#,
                "line 1, column 11: the text ends where a value was expected",
            ),
            (
                "{\"reason\": \"a\tb\"}",
                "line 1, column 14: a line break or control character inside a string (write it as \\n, \\t or \\uXXXX)",
            ),
            (
                r#"{"reason": "a\qb"}"#,
                r#"line 1, column 15: invalid escape in a string (after a backslash: \" \\ \/ \b \f \n \r \t or \uXXXX)"#,
            ),
            (
                r#"{"reason": "\ud800"}"#,
                "line 1, column 19: invalid \\uXXXX escape in a string",
            ),
            (r#"{"status": 5.}"#, "line 1, column 14: invalid number"),
            (
                r#"{"retry_after": 1e400}"#,
                "line 1, column 21: the number is too large",
            ),
            (
                r#"{"enabled": true} x"#,
                "line 1, column 19: unexpected text after the end of the configuration (it must be one JSON object)",
            ),
            (
                r#"{"enabled": true}{"enabled": false}"#,
                "line 1, column 18: unexpected text after the end of the configuration (it must be one JSON object)",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(message(text), expected, "{text}");
        }
    }

    #[test]
    fn type_errors_name_json_types() {
        let cases = [
            // whole numbers (u64, u32)
            (
                r#"{"retry_after": "ten"}"#,
                r#"retry_after: expected a whole number, got "ten""#,
            ),
            (
                r#"{"retry_after": 1.5}"#,
                "retry_after: expected a whole number, got 1.5",
            ),
            (
                r#"{"retry_after": -1}"#,
                "retry_after: expected a whole number (0 or more), got -1",
            ),
            (
                r#"{"retry_after": 100000000000000000000}"#,
                "retry_after: expected a whole number, got 1e+20",
            ),
            (
                r#"{"status": "503"}"#,
                r#"status: expected a whole number, got "503""#,
            ),
            (
                r#"{"status": -503}"#,
                "status: expected a whole number (0 or more), got -503",
            ),
            (
                r#"{"status": 5000000000}"#,
                "status: expected a whole number from 0 to 4294967295, got 5000000000",
            ),
            (
                r#"{"upstream_fallback": {"statuses": [true]}}"#,
                "upstream_fallback.statuses[0]: expected a whole number, got true",
            ),
            (
                r#"{"bypass": {"cookie": {"name": "a", "sha256": "b", "max_age": "1h"}}}"#,
                r#"bypass.cookie.max_age: expected a whole number, got "1h""#,
            ),
            // true or false
            (
                r#"{"enabled": "yes"}"#,
                r#"enabled: expected true or false, got "yes""#,
            ),
            (
                r#"{"enabled": 1}"#,
                "enabled: expected true or false, got 1",
            ),
            (
                r#"{"enabled": null}"#,
                "enabled: expected true or false, got null",
            ),
            (
                r#"{"bypass": {"cookie": {"name": "a", "sha256": "b", "secure": "no"}}}"#,
                r#"bypass.cookie.secure: expected true or false, got "no""#,
            ),
            // strings
            (r#"{"reason": 42}"#, "reason: expected a string, got 42"),
            (
                r#"{"title": {"text": "x"}}"#,
                "title: expected a string, got an object",
            ),
            (
                r#"{"bypass": {"paths": ["/a", ["/b"]]}}"#,
                "bypass.paths[1]: expected a string, got a list",
            ),
            (
                r#"{"response": {"headers": {"x-a": false}}}"#,
                "response.headers.x-a: expected a string, got false",
            ),
            // lists
            (
                r#"{"routes": {"path_prefix": "/a"}}"#,
                "routes: expected a list, got an object",
            ),
            (
                r#"{"routes": [{"hosts": "shop.example.com"}]}"#,
                r#"routes[0].hosts: expected a list, got "shop.example.com""#,
            ),
            (
                r#"{"windows": "2025-06-01T02:00:00Z"}"#,
                r#"windows: expected a list, got "2025-06-01T02:00:00Z""#,
            ),
            // objects (maps and structs)
            (
                r#"{"response": {"headers": [["x-a", "b"]]}}"#,
                "response.headers: expected an object of strings, got a list",
            ),
            (
                r#"{"routes": ["/shop"]}"#,
                r#"routes[0]: expected an object, got "/shop""#,
            ),
            (
                r#"{"upstream_fallback": true}"#,
                "upstream_fallback: expected an object, got true",
            ),
            (
                r#"{"bypass": {"cookie": "mm"}}"#,
                r#"bypass.cookie: expected an object, got "mm""#,
            ),
            // fields
            (
                r#"{"bypass": {"tokens": [{"header": "x"}]}}"#,
                "bypass.tokens[0]: the required field `sha256` is missing",
            ),
            (
                r#"{"enabled": true, "enabled": false}"#,
                "enabled: is given twice (each field may appear once)",
            ),
            (
                r#"{"routes": [{"hosts": ["a"], "hosts": ["b"]}]}"#,
                "routes[0].hosts: is given twice (each field may appear once)",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(message(text), expected, "{text}");
        }
        // Unknown fields: the valid ones are listed (the lists grow with the schema: only their
        // start is pinned); a likely typo gets a suggestion.
        let unknown = [
            (
                r#"{"response": {"body": "x"}}"#,
                "response.body: unknown field `body`; valid here: `headers`, `html`",
            ),
            (
                r#"{"bypass": {"cidr": ["10.0.0.0/8"]}}"#,
                "bypass.cidr: unknown field `cidr` (did you mean `cidrs`?); valid here: `paths`, `tokens`, `cookie`, `cidrs`",
            ),
            (
                r#"{"routes": [{"prefix": "/shop"}]}"#,
                "routes[0].prefix: unknown field `prefix`; valid here: `hosts`, `path_prefix`, `path`, `methods`",
            ),
        ];
        for (text, start) in unknown {
            assert!(
                message(text).starts_with(start),
                "{text}: {}",
                message(text)
            );
        }
        let typo = message(r#"{"retryafter": 5}"#);
        assert!(
            typo.starts_with("retryafter: unknown field `retryafter` (did you mean `retry_after`?); valid here: `enabled`, `reason`, "),
            "{typo}"
        );
        assert!(message(r#"{"Title": "x"}"#).contains("(did you mean `title`?)"));
        assert!(!message(r#"{"colour": "x"}"#).contains("did you mean"));
    }

    #[test]
    fn no_rust_words_and_long_values_shortened() {
        let long = format!(r#"{{"status": "{}"}}"#, "x".repeat(5000));
        let text = message(&long);
        assert!(text.len() < 150, "{text}");
        assert!(text.ends_with("…\" (5002 bytes)"), "{text}");
        for text in [
            r#"{"retry_after": "ten"}"#,
            r#"{"status": -1}"#,
            r#"{"routes": [1]}"#,
            r#"{"bypass": {"cookie": []}}"#,
            r#"{"upstream_fallback": {"statuses": {}}}"#,
        ] {
            let m = message(text);
            for jargon in [
                "u64",
                "u32",
                "u16",
                "struct",
                "sequence",
                "map",
                "Raw",
                "integer",
                "at line",
                "invalid type",
            ] {
                assert!(!m.contains(jargon), "{jargon} in {m}");
            }
        }
    }
}
