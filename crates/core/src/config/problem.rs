//! A configuration's problems, typed (where, and what: a JSON syntax error, a wrong type, an
//! unknown, missing or repeated field, a value its type refuses, fields in conflict), and the one
//! place they become words for someone writing JSON by hand: `routes[0].hosts: expected a list,
//! got "shop.example.com"`, not serde's `invalid type: string, expected a sequence`.

use std::fmt;

use super::json::{Syntax, SyntaxError};

/// How much of an offending value a message quotes (a 4 KiB string stays out of the log).
const MAX_QUOTED: usize = 60;

/// One step down a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    Key(String),
    Index(usize),
}

/// Where a value is in the configuration: `routes[2].hosts[0]`, `response.headers.x-a`; the
/// document itself when empty (written `.`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldPath(Vec<Step>);

impl FieldPath {
    pub(crate) fn new(steps: Vec<Step>) -> FieldPath {
        FieldPath(steps)
    }

    pub(crate) fn steps(&self) -> &[Step] {
        &self.0
    }

    /// `self.name`.
    pub(crate) fn key(&self, name: &str) -> FieldPath {
        let mut steps = self.0.clone();
        steps.push(Step::Key(name.to_string()));
        FieldPath(steps)
    }

    /// `self[index]`.
    pub(crate) fn index(&self, index: usize) -> FieldPath {
        let mut steps = self.0.clone();
        steps.push(Step::Index(index));
        FieldPath(steps)
    }

    /// Whether `other` is this path or under it.
    pub(crate) fn covers(&self, other: &FieldPath) -> bool {
        other.0.starts_with(&self.0)
    }

    pub(crate) fn is_document(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str(".");
        }
        for (n, step) in self.0.iter().enumerate() {
            match step {
                Step::Key(name) if n == 0 => f.write_str(name)?,
                Step::Key(name) => write!(f, ".{name}")?,
                Step::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// What the configuration should have held: a JSON type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expected {
    Bool,
    WholeNumber,
    Number,
    Text,
    List,
    Object,
    /// An object whose values are strings.
    ObjectOfStrings,
    Null,
    /// A visitor's own description (serde's `Expected`), for what the reader did not ask for.
    Described(String),
}

/// What it held instead.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Got {
    Null,
    Bool(bool),
    Integer(i128),
    Float(f64),
    Text(String),
    List,
    Object,
    Other(String),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Syntax(SyntaxError),
    /// The document is not a JSON object.
    NotAnObject,
    WrongType {
        expected: Expected,
        got: Got,
    },
    /// A whole number below 0, or above `max`, the largest its field takes.
    OutOfRange {
        got: i128,
        max: u64,
    },
    /// A field of the object at the problem's path that it does not have (`valid`: those it has).
    UnknownField {
        name: String,
        valid: &'static [&'static str],
    },
    /// A required field of the object at the problem's path.
    Missing(&'static str),
    /// A field of the object at the problem's path given twice.
    DuplicateField(String),
    /// A key of the object (a map) at the problem's path given twice.
    DuplicateKey(String),
    /// The value's own words: a domain type refusing it, or a check over several fields.
    Invalid(String),
    /// Reading stopped looking after this many problems.
    TooMany(usize),
}

/// One problem of a configuration (boxed: results stay small on the reading path).
#[derive(Debug, Clone, PartialEq)]
pub struct Problem(Box<Details>);

#[derive(Debug, Clone, PartialEq)]
struct Details {
    /// The value concerned; `None` until the reader places a problem a visitor raised.
    at: Option<FieldPath>,
    kind: Kind,
    /// Where its value starts in the text: problems are listed in reading order.
    offset: usize,
    /// Other fields a check's finding depends on (a finding about a field already reported
    /// is a consequence, not a problem of its own).
    involves: Vec<FieldPath>,
}

impl Problem {
    pub(crate) fn new(at: FieldPath, kind: Kind, offset: usize) -> Problem {
        Problem(Box::new(Details {
            at: Some(at),
            kind,
            offset,
            involves: Vec::new(),
        }))
    }

    fn unplaced(kind: Kind) -> Problem {
        Problem(Box::new(Details {
            at: None,
            kind,
            offset: 0,
            involves: Vec::new(),
        }))
    }

    /// A finding of the checks run once every field is read (listed after reading problems).
    pub(crate) fn check(at: FieldPath, message: impl Into<String>) -> Problem {
        Problem::new(at, Kind::Invalid(message.into()), usize::MAX)
    }

    /// The same, depending on `fields` too.
    pub(crate) fn involving(mut self, fields: impl IntoIterator<Item = FieldPath>) -> Problem {
        self.0.involves.extend(fields);
        self
    }

    pub(crate) fn syntax(error: SyntaxError) -> Problem {
        Problem::new(FieldPath::default(), Kind::Syntax(error), 0)
    }

    pub(crate) fn kind(&self) -> &Kind {
        &self.0.kind
    }

    /// Where its value starts in the text.
    pub(crate) fn offset(&self) -> usize {
        self.0.offset
    }

    /// Places a problem raised without a place (by a visitor or a domain type).
    pub(crate) fn placed(mut self, at: impl FnOnce() -> FieldPath, offset: usize) -> Problem {
        if self.0.at.is_none() {
            self.0.at = Some(at());
            self.0.offset = offset;
        }
        self
    }

    /// The value the problem is about: for a field of an object, the field.
    pub(crate) fn place(&self) -> FieldPath {
        let at = self.0.at.clone().unwrap_or_default();
        match &self.0.kind {
            Kind::UnknownField { name, .. } | Kind::DuplicateField(name) => at.key(name),
            _ => at,
        }
    }

    /// Fields this problem is about, the place first.
    pub(crate) fn fields(&self) -> impl Iterator<Item = FieldPath> + '_ {
        std::iter::once(self.place()).chain(self.0.involves.iter().cloned())
    }

    /// Where, as a user reads it: the field (`routes[2].hosts[0]`, `.` for the document), or for
    /// a JSON syntax error the place in the text (`line 5, column 22`).
    pub fn field(&self) -> String {
        match &self.0.kind {
            Kind::Syntax(error) => format!("line {}, column {}", error.line, error.column),
            _ => self.place().to_string(),
        }
    }

    /// What is wrong, in the words of someone writing JSON.
    pub fn message(&self) -> String {
        match &self.0.kind {
            Kind::Syntax(error) => syntax_words(error),
            Kind::NotAnObject => "must be a JSON object".to_string(),
            Kind::WrongType { expected, got } => {
                format!(
                    "expected {}, got {}",
                    expected_words(expected),
                    got_words(got)
                )
            }
            Kind::OutOfRange { got, .. } if *got < 0 => {
                format!("expected a whole number (0 or more), got {got}")
            }
            Kind::OutOfRange { got, max } => {
                format!("expected a whole number from 0 to {max}, got {got}")
            }
            Kind::UnknownField { name, valid } => unknown_field(name, valid),
            Kind::Missing(name) => format!("the required field `{name}` is missing"),
            Kind::DuplicateField(_) => "is given twice (each field may appear once)".to_string(),
            Kind::DuplicateKey(key) => format!("{key:?} is given twice"),
            Kind::Invalid(message) => message.clone(),
            Kind::TooMany(count) => {
                format!("{count} problems found; the rest of the configuration was not checked")
            }
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field(), self.message())
    }
}

impl std::error::Error for Problem {}

/// serde's constructors hand over each problem's structure; only `custom` carries words, which
/// are a domain type's own.
impl serde::de::Error for Problem {
    fn custom<T: fmt::Display>(message: T) -> Problem {
        Problem::unplaced(Kind::Invalid(message.to_string()))
    }

    fn invalid_type(
        unexpected: serde::de::Unexpected,
        expected: &dyn serde::de::Expected,
    ) -> Problem {
        Problem::unplaced(Kind::WrongType {
            expected: Expected::Described(expected.to_string()),
            got: Got::from(unexpected),
        })
    }

    fn invalid_value(
        unexpected: serde::de::Unexpected,
        expected: &dyn serde::de::Expected,
    ) -> Problem {
        Problem::invalid_type(unexpected, expected)
    }

    fn invalid_length(length: usize, expected: &dyn serde::de::Expected) -> Problem {
        Problem::unplaced(Kind::Invalid(format!(
            "expected {expected}, got a list of {length}"
        )))
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Problem {
        Problem::unplaced(Kind::Invalid(format!(
            "{variant:?} is not one of {}",
            backticked(expected)
        )))
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Problem {
        Problem::unplaced(Kind::UnknownField {
            name: field.to_string(),
            valid: expected,
        })
    }

    fn missing_field(field: &'static str) -> Problem {
        Problem::unplaced(Kind::Missing(field))
    }

    fn duplicate_field(field: &'static str) -> Problem {
        Problem::unplaced(Kind::DuplicateField(field.to_string()))
    }
}

impl From<serde::de::Unexpected<'_>> for Got {
    fn from(unexpected: serde::de::Unexpected<'_>) -> Got {
        use serde::de::Unexpected;
        match unexpected {
            Unexpected::Bool(value) => Got::Bool(value),
            Unexpected::Unsigned(value) => Got::Integer(value.into()),
            Unexpected::Signed(value) => Got::Integer(value.into()),
            Unexpected::Float(value) => Got::Float(value),
            Unexpected::Char(value) => Got::Text(value.to_string()),
            Unexpected::Str(value) => Got::Text(value.to_string()),
            Unexpected::Unit | Unexpected::Option => Got::Null,
            Unexpected::Seq => Got::List,
            Unexpected::Map => Got::Object,
            other => Got::Other(other.to_string()),
        }
    }
}

/// Every problem of a configuration (at least one), in reading order; `Display` gives one per
/// line.
#[derive(Debug, Clone, PartialEq)]
pub struct Problems(Vec<Problem>);

impl Problems {
    /// `problems` must not be empty.
    pub(crate) fn new(problems: Vec<Problem>) -> Problems {
        Problems(problems)
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Problem> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first in reading order.
    pub fn first(&self) -> Option<&Problem> {
        self.0.first()
    }

    /// At most `limit` problems as lines, and a last line saying how many more there are.
    pub fn bounded(&self, limit: usize) -> Vec<String> {
        let mut lines: Vec<String> = self.0.iter().take(limit).map(Problem::to_string).collect();
        if self.0.len() > limit {
            let more = self.0.len() - limit;
            lines.push(format!(
                "… and {more} more problem{} (`kubectl maintenance validate` lists them all)",
                if more == 1 { "" } else { "s" }
            ));
        }
        lines
    }
}

impl<'a> IntoIterator for &'a Problems {
    type Item = &'a Problem;
    type IntoIter = std::slice::Iter<'a, Problem>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, problem) in self.0.iter().enumerate() {
            if n > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

fn syntax_words(error: &SyntaxError) -> String {
    let quote_hint = |base: &str| match error.here {
        Some(b'\'') => format!("{base} (JSON needs double quotes, not single quotes)"),
        Some(b'T' | b'F' | b'N') => {
            format!("{base} (true, false and null are written in lower case)")
        }
        _ => base.to_string(),
    };
    match error.syntax {
        Syntax::KeyMustBeAString => match error.here {
            Some(b'}') => "expected a quoted field name (JSON does not allow trailing commas)".into(),
            Some(b'\'') => "expected a quoted field name (JSON needs double quotes, not single quotes)".into(),
            Some(b) if b.is_ascii_alphabetic() || b == b'_' => {
                "expected a quoted field name (field names need double quotes)".into()
            }
            _ => "expected a quoted field name".into(),
        },
        Syntax::TrailingComma => match error.here {
            Some(close @ (b'}' | b']')) => format!(
                "a comma before `{}` (JSON does not allow trailing commas)",
                char::from(close)
            ),
            _ => "a comma before the closing bracket (JSON does not allow trailing commas)".into(),
        },
        Syntax::ExpectedColon => "expected `:` after the field name".into(),
        Syntax::ExpectedObjectCommaOrEnd => {
            "expected `,` before the next field, or `}` to close the object (is a comma missing?)".into()
        }
        Syntax::ExpectedListCommaOrEnd => {
            "expected `,` before the next item, or `]` to close the list (is a comma missing?)".into()
        }
        Syntax::ExpectedSomeIdent => {
            "not a JSON value (true, false and null are written in lower case; text needs double quotes)".into()
        }
        Syntax::ExpectedSomeValue => quote_hint(
            "expected a value: a string in double quotes, a number, true, false, null, a list or an object",
        ),
        Syntax::EofWhileParsingObject => "the text ends before the object is closed (a `}` is missing)".into(),
        Syntax::EofWhileParsingList => "the text ends before the list is closed (a `]` is missing)".into(),
        Syntax::EofWhileParsingString => "the text ends inside a string (a closing `\"` is missing)".into(),
        Syntax::EofWhileParsingValue => "the text ends where a value was expected".into(),
        Syntax::InvalidEscape => {
            "invalid escape in a string (after a backslash: \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX)".into()
        }
        Syntax::InvalidNumber => "invalid number".into(),
        Syntax::NumberOutOfRange => "the number is too large".into(),
        Syntax::ControlCharacterInString => {
            "a line break or control character inside a string (write it as \\n, \\t or \\uXXXX)".into()
        }
        Syntax::InvalidUnicodeEscape => "invalid \\uXXXX escape in a string".into(),
        Syntax::NotUtf8 => "a string that is not UTF-8 text".into(),
        Syntax::RecursionLimitExceeded => "nested too deeply".into(),
        Syntax::TrailingCharacters => {
            "unexpected text after the end of the configuration (it must be one JSON object)".into()
        }
    }
}

fn expected_words(expected: &Expected) -> String {
    match expected {
        Expected::Bool => "true or false".into(),
        Expected::WholeNumber => "a whole number".into(),
        Expected::Number => "a number".into(),
        Expected::Text => "a string".into(),
        Expected::List => "a list".into(),
        Expected::Object => "an object".into(),
        Expected::ObjectOfStrings => "an object of strings".into(),
        Expected::Null => "null".into(),
        Expected::Described(words) => words.clone(),
    }
}

fn got_words(got: &Got) -> String {
    match got {
        Got::Null => "null".into(),
        Got::Bool(value) => value.to_string(),
        Got::Integer(value) => value.to_string(),
        Got::Float(value) => float(*value),
        Got::Text(text) => shortened(&format!("{text:?}")),
        Got::List => "a list".into(),
        Got::Object => "an object".into(),
        Got::Other(what) => what.clone(),
    }
}

/// A float as serde_json writes it: the shortest digits that read back the same, plain from
/// 1e-5 to 1e16 (with `.0` when whole), else with an exponent (`1e+20`).
fn float(value: f64) -> String {
    let scientific = format!("{value:e}");
    let (digits, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if !value.is_finite() || (-5..=15).contains(&exponent) {
        let plain = value.to_string();
        return match plain.contains(['.', 'i', 'N']) {
            true => plain,
            false => format!("{plain}.0"),
        };
    }
    let sign = if exponent < 0 { '-' } else { '+' };
    format!("{digits}e{sign}{}", exponent.unsigned_abs())
}

fn shortened(quoted: &str) -> String {
    match quoted.char_indices().nth(MAX_QUOTED) {
        Some((cut, _)) => format!("{}…\" ({} bytes)", &quoted[..cut], quoted.len()),
        None => quoted.to_string(),
    }
}

fn backticked(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn unknown_field(name: &str, valid: &[&str]) -> String {
    if valid.is_empty() {
        return format!("unknown field `{name}`; this object takes no fields");
    }
    let list = backticked(valid);
    match closest(name, valid) {
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
    use super::*;

    #[test]
    fn floats_read_as_serde_json_writes_them() {
        for (value, text) in [
            (1e20, "1e+20"),
            (1.5e20, "1.5e+20"),
            (503.5, "503.5"),
            (1.5, "1.5"),
            (100.0, "100.0"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1e-5, "0.00001"),
            (1e-6, "1e-6"),
            (-0.0, "-0.0"),
            (-1e20, "-1e+20"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
        ] {
            assert_eq!(float(value), text, "{value:?}");
        }
    }

    #[test]
    fn paths_read_as_written() {
        let path = FieldPath::default()
            .key("routes")
            .index(2)
            .key("hosts")
            .index(0);
        assert_eq!(path.to_string(), "routes[2].hosts[0]");
        assert_eq!(FieldPath::default().to_string(), ".");
        assert!(FieldPath::default().key("routes").covers(&path));
        assert!(!path.covers(&FieldPath::default().key("routes")));
    }

    #[test]
    fn a_few_problems_and_how_many_more() {
        let problems = Problems::new(
            (0..13)
                .map(|n| Problem::check(FieldPath::default().key("x").index(n), "bad"))
                .collect(),
        );
        let lines = problems.bounded(10);
        assert_eq!(lines.len(), 11);
        assert_eq!(lines[0], "x[0]: bad");
        assert_eq!(
            lines[10],
            "… and 3 more problems (`kubectl maintenance validate` lists them all)"
        );
        assert_eq!(problems.to_string().lines().count(), 13);
    }
}
