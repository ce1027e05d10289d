//! Reads the configuration JSON into [`RawConfig`] with serde_json's parser and one serde
//! visitor driven by a description of the schema ([`Shape`]), instead of the derived
//! deserializers: those make serde_json compile its deserializer again for every struct, list
//! and option of the schema (tens of KB of wasm). The visitor raises exactly the errors the
//! derived deserializers raise (same serde messages, at the same point of the text, so JSON
//! syntax errors are unchanged too) and records the path of the failing field
//! (`routes[2].hosts[0]`) as `serde_path_to_error` gives it. Its errors' texts are written here
//! (what serde_json's `invalid_type` writes), not through serde's `Unexpected`, whose
//! formatting of floats alone costs about 17 KB of wasm. The derives in `schema.rs` stay the
//! documented definition of the schema: the tests read many broken and valid configurations
//! both ways and require the same result.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};

use super::schema::*;

/// A JSON value of the schema.
enum Shape {
    Bool,
    U32,
    U64,
    Text,
    /// `null` or the inner shape (an `Option`).
    Nullable(&'static Shape),
    List(&'static Shape),
    /// A list of strings, kept as strings as they are read (not as a list of nodes converted
    /// afterwards: with 10,000 bypass paths both lists would exist at once in VM memory).
    Texts,
    /// `routes`: a list of routes, each compiled as soon as it is read (`CompiledRoutes`), so
    /// the raw routes never all exist at once (VM memory never shrinks).
    Routes,
    Struct(&'static Record),
    /// An object of any keys (a `BTreeMap`; a repeated key keeps its last value).
    Map(&'static Shape),
    /// An object of strings whose keys must be unique (`schema::unique_keys`).
    UniqueStrings,
    /// `response.assets`: assets by name, each name once (`AssetsConfig`'s deserializer).
    Assets,
}

/// A struct of the schema: its name as serde's derive calls it, and its fields in order.
struct Record {
    /// `struct RawRoute`.
    name: &'static str,
    /// `struct RawRoute with 4 elements` (when read from a list).
    as_list: &'static str,
    names: &'static [&'static str],
    fields: &'static [(Shape, Missing)],
}

/// What a field left out means.
#[derive(PartialEq)]
enum Missing {
    /// An error (`missing field`).
    Required,
    /// Its default (`#[serde(default)]`).
    Default,
    /// `None` (an `Option` without `#[serde(default)]`: from a list, it is still required).
    None,
}

use Missing::{Default as Dflt, None as Opt, Required as Req};
use Shape::*;

const OPT_TEXT: Shape = Nullable(&Text);
const OPT_U64: Shape = Nullable(&U64);
const OPT_BOOL: Shape = Nullable(&Bool);
const OPT_TEXTS: Shape = Nullable(&Texts);
const TEXTS: Shape = Texts;

static WORDS: Record = Record {
    name: "struct RawWords",
    as_list: "struct RawWords with 2 elements",
    names: &["expected_back", "default_reason"],
    fields: &[(OPT_TEXT, Opt), (OPT_TEXT, Opt)],
};
static TRANSLATION: Record = Record {
    name: "struct RawTranslation",
    as_list: "struct RawTranslation with 4 elements",
    names: &["title", "reason", "html", "words"],
    fields: &[
        (OPT_TEXT, Opt),
        (OPT_TEXT, Opt),
        (OPT_TEXT, Opt),
        (Nullable(&Struct(&WORDS)), Opt),
    ],
};
static WINDOW: Record = Record {
    name: "struct RawWindow",
    as_list: "struct RawWindow with 2 elements",
    names: &["start", "end"],
    fields: &[(OPT_TEXT, Opt), (OPT_TEXT, Opt)],
};
static RECURRING: Record = Record {
    name: "struct RawRecurring",
    as_list: "struct RawRecurring with 4 elements",
    names: &["days", "start", "end", "utc_offset"],
    fields: &[(OPT_TEXTS, Opt), (Text, Req), (Text, Req), (OPT_TEXT, Opt)],
};
static FALLBACK: Record = Record {
    name: "struct RawUpstreamFallback",
    as_list: "struct RawUpstreamFallback with 1 element",
    names: &["statuses"],
    fields: &[(Nullable(&List(&U32)), Opt)],
};
static ROUTE: Record = Record {
    name: "struct RawRoute",
    as_list: "struct RawRoute with 4 elements",
    names: &["hosts", "path_prefix", "path", "methods"],
    fields: &[
        (OPT_TEXTS, Opt),
        (OPT_TEXT, Opt),
        (OPT_TEXT, Opt),
        (OPT_TEXTS, Opt),
    ],
};
static TOKEN: Record = Record {
    name: "struct RawToken",
    as_list: "struct RawToken with 3 elements",
    names: &["header", "sha256", "not_after"],
    fields: &[(Text, Req), (Text, Req), (OPT_TEXT, Opt)],
};
static COOKIE: Record = Record {
    name: "struct RawCookie",
    as_list: "struct RawCookie with 6 elements",
    names: &[
        "name",
        "sha256",
        "max_age",
        "secure",
        "set_path",
        "not_after",
    ],
    fields: &[
        (Text, Req),
        (Text, Req),
        (OPT_U64, Opt),
        (OPT_BOOL, Opt),
        (OPT_TEXT, Opt),
        (OPT_TEXT, Opt),
    ],
};
static JWT_RULE: Record = Record {
    name: "struct JwtRuleConfig",
    as_list: "struct JwtRuleConfig with 3 elements",
    names: &["payload", "claim", "any_of"],
    fields: &[(Text, Req), (Text, Req), (TEXTS, Req)],
};
static BYPASS: Record = Record {
    name: "struct RawBypass",
    as_list: "struct RawBypass with 7 elements",
    names: &[
        "paths", "tokens", "cookie", "cidrs", "header", "acme", "jwt",
    ],
    fields: &[
        (TEXTS, Dflt),
        (List(&Struct(&TOKEN)), Dflt),
        (Nullable(&Struct(&COOKIE)), Opt),
        (TEXTS, Dflt),
        (OPT_TEXT, Opt),
        (OPT_BOOL, Opt),
        (Nullable(&List(&Struct(&JWT_RULE))), Opt),
    ],
};
static ASSET: Record = Record {
    name: "struct AssetConfig",
    as_list: "struct AssetConfig with 3 elements",
    names: &["content_type", "body", "body_base64"],
    fields: &[(Text, Req), (OPT_TEXT, Opt), (OPT_TEXT, Opt)],
};
static RESPONSE: Record = Record {
    name: "struct RawResponse",
    as_list: "struct RawResponse with 7 elements",
    names: &[
        "headers",
        "html",
        "refresh",
        "words",
        "assets",
        "assets_path",
        "logo",
    ],
    fields: &[
        (UniqueStrings, Dflt),
        (OPT_TEXT, Opt),
        (OPT_U64, Opt),
        (Nullable(&Struct(&WORDS)), Opt),
        (Nullable(&Assets), Opt),
        (OPT_TEXT, Opt),
        (OPT_TEXT, Opt),
    ],
};
static CORS: Record = Record {
    name: "struct CorsConfig",
    as_list: "struct CorsConfig with 3 elements",
    names: &["allow_origins", "max_age", "allow_credentials"],
    fields: &[(TEXTS, Req), (OPT_U64, Opt), (Bool, Dflt)],
};
static CONFIG: Record = Record {
    name: "struct RawConfig",
    as_list: "struct RawConfig with 17 elements",
    names: &[
        "enabled",
        "reason",
        "title",
        "status",
        "retry_after",
        "routes",
        "bypass",
        "response",
        "windows",
        "recurring",
        "upstream_fallback",
        "dry_run",
        "status_path",
        "notice_before",
        "language",
        "translations",
        "cors",
    ],
    fields: &[
        (Bool, Dflt),
        (Text, Dflt),
        (OPT_TEXT, Opt),
        (Nullable(&U32), Opt),
        (OPT_U64, Opt),
        (Nullable(&Routes), Opt),
        (Struct(&BYPASS), Dflt),
        (Struct(&RESPONSE), Dflt),
        (Nullable(&List(&Struct(&WINDOW))), Opt),
        (Nullable(&List(&Struct(&RECURRING))), Opt),
        (Nullable(&Struct(&FALLBACK)), Opt),
        (Bool, Dflt),
        (OPT_TEXT, Opt),
        (OPT_U64, Opt),
        (OPT_TEXT, Opt),
        (Nullable(&Map(&Struct(&TRANSLATION))), Opt),
        (Nullable(&Struct(&CORS)), Opt),
    ],
};

/// A value read: `Null` also stands for a field left out (its default, or `None`).
enum Node {
    Null,
    Bool(bool),
    Number(u64),
    Text(String),
    List(Vec<Node>),
    Texts(Vec<String>),
    Routes(CompiledRoutes),
    /// A struct's fields, in the order of its [`Record`].
    Fields(Vec<Node>),
    /// An object's entries, in the order written.
    Entries(Vec<(String, Node)>),
}

/// Where a value is: the chain from the document down.
enum Step<'a> {
    Root,
    Field(&'a Step<'a>, &'a str),
    Item(&'a Step<'a>, usize),
}

impl Step<'_> {
    /// As `serde_path_to_error` writes it (`routes[2].hosts[0]`), and as configuration errors
    /// always gave it: `.` for the document, without trailing `?` or `.` (which an odd unknown
    /// key such as `""` or `"a?"` would leave).
    fn render(&self) -> String {
        let mut steps = Vec::new();
        let mut at = self;
        loop {
            match at {
                Step::Root => break,
                Step::Field(parent, _) | Step::Item(parent, _) => {
                    steps.push(at);
                    at = parent;
                }
            }
        }
        let mut path = String::new();
        for (n, step) in steps.iter().rev().enumerate() {
            match step {
                Step::Field(_, name) => {
                    if n > 0 {
                        path.push('.');
                    }
                    path.push_str(name);
                }
                Step::Item(_, index) => {
                    path.push('[');
                    path.push_str(&index.to_string());
                    path.push(']');
                }
                Step::Root => {}
            }
        }
        match path.trim_end_matches('?').trim_end_matches('.') {
            "" => ".".to_string(),
            known => known.to_string(),
        }
    }
}

/// The visitor (and seed) reading one value of `shape` at `at`; `failure` keeps the path of
/// the first error raised.
struct Reader<'a> {
    shape: &'static Shape,
    at: &'a Step<'a>,
    failure: &'a RefCell<Option<String>>,
}

impl<'a> Reader<'a> {
    fn fail<E: de::Error>(&self, at: &Step, error: E) -> E {
        let mut failure = self.failure.borrow_mut();
        if failure.is_none() {
            *failure = Some(at.render());
        }
        error
    }

    /// The error for a value of the wrong JSON type (`got`: what serde_json's `invalid_type`
    /// would say it found).
    fn wrong<E: de::Error>(&self, got: &str) -> E {
        let error = E::custom(format!("invalid type: {got}, expected {}", self.expected()));
        self.fail(self.at, error)
    }

    /// The error for a number of the right type out of range.
    fn out_of_range<E: de::Error>(&self, got: &str) -> E {
        let error = E::custom(format!(
            "invalid value: {got}, expected {}",
            self.expected()
        ));
        self.fail(self.at, error)
    }

    /// What serde's own visitors say they expect.
    fn expected(&self) -> &'static str {
        match self.inner() {
            Bool => "a boolean",
            U32 => "u32",
            U64 => "u64",
            Text => "a string",
            List(_) | Texts | Routes => "a sequence",
            Struct(record) => record.name,
            Map(_) => "a map",
            UniqueStrings => "an object of strings",
            Assets => "an object of assets by name",
            Nullable(_) => "option",
        }
    }

    /// The shape expected, seeing through `Nullable` (only `null` is read differently).
    fn inner(&self) -> &'static Shape {
        match self.shape {
            Nullable(inner) => inner,
            shape => shape,
        }
    }

    fn child<'b>(&'b self, shape: &'static Shape, at: &'b Step<'b>) -> Reader<'b> {
        Reader {
            shape,
            at,
            failure: self.failure,
        }
    }
}

/// An integer as serde_json's errors quote it (`` integer `-1` ``).
fn found_integer(value: impl fmt::Display) -> String {
    format!("integer `{value}`")
}

impl<'de> DeserializeSeed<'de> for Reader<'_> {
    type Value = Node;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Reader<'_> {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.expected())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        match self.shape {
            Nullable(_) => Ok(Node::Null),
            _ => Err(self.wrong("null")),
        }
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Node, E> {
        match self.inner() {
            Bool => Ok(Node::Bool(value)),
            _ => Err(self.wrong(if value {
                "boolean `true`"
            } else {
                "boolean `false`"
            })),
        }
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Node, E> {
        match self.inner() {
            U64 => Ok(Node::Number(value)),
            U32 if value <= u64::from(u32::MAX) => Ok(Node::Number(value)),
            U32 => Err(self.out_of_range(&found_integer(value))),
            _ => Err(self.wrong(&found_integer(value))),
        }
    }

    /// serde_json gives only negative numbers as `i64`.
    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Node, E> {
        match self.inner() {
            U32 | U64 => match u64::try_from(value) {
                Ok(value) => self.visit_u64(value),
                Err(_) => Err(self.out_of_range(&found_integer(value))),
            },
            _ => Err(self.wrong(&found_integer(value))),
        }
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Node, E> {
        Err(self.wrong(&format!(
            "floating point `{}`",
            zmij::Buffer::new().format(value)
        )))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Node, E> {
        match self.inner() {
            Text => Ok(Node::Text(value.to_string())),
            _ => Err(self.wrong(&format!("string {value:?}"))),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        match self.inner() {
            List(item) => {
                let mut items = Vec::new();
                loop {
                    let at = Step::Item(self.at, items.len());
                    match seq.next_element_seed(self.child(item, &at))? {
                        Some(node) => items.push(node),
                        None => return Ok(Node::List(items)),
                    }
                }
            }
            Texts => {
                let mut texts = Vec::new();
                loop {
                    let at = Step::Item(self.at, texts.len());
                    match seq.next_element_seed(self.child(&Text, &at))? {
                        Some(Node::Text(text)) => texts.push(text),
                        // The reader gives only text for `Text` (or fails).
                        Some(_) => texts.push(String::new()),
                        None => return Ok(Node::Texts(texts)),
                    }
                }
            }
            Routes => {
                static ROUTE_SHAPE: Shape = Struct(&ROUTE);
                let mut routes = CompiledRoutes::default();
                for index in 0.. {
                    let at = Step::Item(self.at, index);
                    match seq.next_element_seed(self.child(&ROUTE_SHAPE, &at))? {
                        Some(node) => routes.add(route(node)),
                        None => break,
                    }
                }
                Ok(Node::Routes(routes.finish()))
            }
            // As serde's derive does: the fields in order, from a list.
            Struct(record) => {
                let mut fields = Vec::new();
                for (index, (shape, missing)) in record.fields.iter().enumerate() {
                    let at = Step::Item(self.at, index);
                    match seq.next_element_seed(self.child(shape, &at))? {
                        Some(node) => fields.push(node),
                        None if *missing == Dflt => fields.push(Node::Null),
                        None => {
                            let error = A::Error::invalid_length(index, &record.as_list);
                            return Err(self.fail(self.at, error));
                        }
                    }
                }
                Ok(Node::Fields(fields))
            }
            _ => Err(self.wrong("sequence")),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        match self.inner() {
            Struct(record) => {
                let mut fields: Vec<Option<Node>> = record.fields.iter().map(|_| None).collect();
                while let Some(key) = map.next_key::<String>()? {
                    let Some(index) = record.names.iter().position(|name| *name == key) else {
                        let at = Step::Field(self.at, &key);
                        return Err(self.fail(&at, A::Error::unknown_field(&key, record.names)));
                    };
                    let name = record.names[index];
                    if fields[index].is_some() {
                        return Err(self.fail(self.at, A::Error::duplicate_field(name)));
                    }
                    let at = Step::Field(self.at, name);
                    fields[index] =
                        Some(map.next_value_seed(self.child(&record.fields[index].0, &at))?);
                }
                let mut nodes = Vec::new();
                for (index, field) in fields.into_iter().enumerate() {
                    match (field, &record.fields[index].1) {
                        (Some(node), _) => nodes.push(node),
                        (None, Req) => {
                            let error = A::Error::missing_field(record.names[index]);
                            return Err(self.fail(self.at, error));
                        }
                        (None, _) => nodes.push(Node::Null),
                    }
                }
                Ok(Node::Fields(nodes))
            }
            Map(value) => self.entries(&mut map, value, false),
            UniqueStrings => self.entries(&mut map, &Text, true),
            Assets => self.assets(&mut map),
            _ => Err(self.wrong("map")),
        }
    }
}

impl Reader<'_> {
    fn entries<'de, A: MapAccess<'de>>(
        &self,
        map: &mut A,
        value: &'static Shape,
        unique: bool,
    ) -> Result<Node, A::Error> {
        let mut entries: Vec<(String, Node)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let at = Step::Field(self.at, &key);
            let node = map.next_value_seed(self.child(value, &at))?;
            if unique && entries.iter().any(|(seen, _)| *seen == key) {
                let error = A::Error::custom(format!("{key:?}{GIVEN_TWICE}"));
                return Err(self.fail(self.at, error));
            }
            entries.push((key, node));
        }
        Ok(Node::Entries(entries))
    }
}

impl Reader<'_> {
    /// `response.assets`: a repeated name is refused as soon as it is read, before its value
    /// (as `AssetsConfig`'s deserializer does).
    fn assets<'de, A: MapAccess<'de>>(&self, map: &mut A) -> Result<Node, A::Error> {
        static ASSET_SHAPE: Shape = Struct(&ASSET);
        let mut entries: Vec<(String, Node)> = Vec::new();
        while let Some(name) = map.next_key::<String>()? {
            if entries.iter().any(|(seen, _)| *seen == name) {
                let error = A::Error::custom(format!("{name:?}{GIVEN_TWICE}"));
                return Err(self.fail(self.at, error));
            }
            let at = Step::Field(self.at, &name);
            let node = map.next_value_seed(self.child(&ASSET_SHAPE, &at))?;
            entries.push((name, node));
        }
        Ok(Node::Entries(entries))
    }
}

/// Reads the configuration; a data error comes with the path of the failing field.
pub(super) fn read(
    deserializer: &mut serde_json::Deserializer<serde_json::de::SliceRead<'_>>,
) -> Result<RawConfig, (serde_json::Error, Option<String>)> {
    static SHAPE: Shape = Struct(&CONFIG);
    let failure = RefCell::new(None);
    let reader = Reader {
        shape: &SHAPE,
        at: &Step::Root,
        failure: &failure,
    };
    match reader.deserialize(deserializer) {
        Ok(node) => Ok(config(node)),
        Err(error) => Err((error, failure.into_inner())),
    }
}

// From nodes to the schema's structs. The reader checked every shape, so a node of another
// kind cannot occur here; it would read as the field's default.

fn fields<const N: usize>(node: Node) -> [Node; N] {
    let mut fields = match node {
        Node::Fields(fields) => fields.into_iter(),
        _ => Vec::new().into_iter(),
    };
    std::array::from_fn(|_| fields.next().unwrap_or(Node::Null))
}

fn boolean(node: Node) -> Option<bool> {
    match node {
        Node::Bool(value) => Some(value),
        _ => None,
    }
}

fn number(node: Node) -> Option<u64> {
    match node {
        Node::Number(value) => Some(value),
        _ => None,
    }
}

/// A `u32` field: the reader checked the range.
fn number32(node: Node) -> Option<u32> {
    number(node).and_then(|value| u32::try_from(value).ok())
}

fn text(node: Node) -> Option<String> {
    match node {
        Node::Text(value) => Some(value),
        _ => None,
    }
}

fn list<T>(node: Node, item: fn(Node) -> T) -> Option<Vec<T>> {
    match node {
        Node::List(items) => Some(items.into_iter().map(item).collect()),
        _ => None,
    }
}

fn texts(node: Node) -> Option<Vec<String>> {
    match node {
        Node::Texts(texts) => Some(texts),
        _ => None,
    }
}

fn present(node: Node) -> Option<Node> {
    match node {
        Node::Null => None,
        node => Some(node),
    }
}

fn config(node: Node) -> RawConfig {
    let [enabled, reason, title, status, retry_after, routes, bypass_, response_, windows, recurring_, fallback, dry_run, status_path, notice_before, language, translations, cors_] =
        fields(node);
    RawConfig {
        enabled: boolean(enabled).unwrap_or_default(),
        reason: text(reason).unwrap_or_default(),
        title: text(title),
        status: number32(status),
        retry_after: number(retry_after),
        routes: match routes {
            Node::Routes(routes) => Some(routes),
            _ => None,
        },
        bypass: bypass(bypass_),
        response: response(response_),
        windows: list(windows, window),
        recurring: list(recurring_, recurring),
        upstream_fallback: present(fallback).map(|node| {
            let [statuses] = fields(node);
            RawUpstreamFallback {
                statuses: list(statuses, |n| number32(n).unwrap_or_default()),
            }
        }),
        dry_run: boolean(dry_run).unwrap_or_default(),
        status_path: text(status_path),
        notice_before: number(notice_before),
        language: text(language),
        translations: match translations {
            Node::Entries(entries) => Some(
                entries
                    .into_iter()
                    .map(|(key, node)| (key, translation(node)))
                    .collect::<BTreeMap<_, _>>(),
            ),
            _ => None,
        },
        cors: present(cors_).map(cors),
    }
}

fn cors(node: Node) -> CorsConfig {
    let [allow_origins, max_age, allow_credentials] = fields(node);
    CorsConfig {
        allow_origins: texts(allow_origins).unwrap_or_default(),
        max_age: number(max_age),
        allow_credentials: boolean(allow_credentials).unwrap_or_default(),
    }
}

fn route(node: Node) -> RawRoute {
    let [hosts, path_prefix, path, methods] = fields(node);
    RawRoute {
        hosts: texts(hosts),
        path_prefix: text(path_prefix),
        path: text(path),
        methods: texts(methods),
    }
}

fn window(node: Node) -> RawWindow {
    let [start, end] = fields(node);
    RawWindow {
        start: text(start),
        end: text(end),
    }
}

fn recurring(node: Node) -> RawRecurring {
    let [days, start, end, utc_offset] = fields(node);
    RawRecurring {
        days: texts(days),
        start: text(start).unwrap_or_default(),
        end: text(end).unwrap_or_default(),
        utc_offset: text(utc_offset),
    }
}

fn words(node: Node) -> Option<RawWords> {
    let [expected_back, default_reason] = fields(present(node)?);
    Some(RawWords {
        expected_back: text(expected_back),
        default_reason: text(default_reason),
    })
}

fn translation(node: Node) -> RawTranslation {
    let [title, reason, html, words_] = fields(node);
    RawTranslation {
        title: text(title),
        reason: text(reason),
        html: text(html),
        words: words(words_),
    }
}

fn bypass(node: Node) -> RawBypass {
    let [paths, tokens, cookie, cidrs, header, acme, jwt] = fields(node);
    RawBypass {
        paths: texts(paths).unwrap_or_default(),
        tokens: list(tokens, |node| {
            let [header, sha256, not_after] = fields(node);
            RawToken {
                header: text(header).unwrap_or_default(),
                sha256: text(sha256).unwrap_or_default(),
                not_after: text(not_after),
            }
        })
        .unwrap_or_default(),
        cookie: present(cookie).map(|node| {
            let [name, sha256, max_age, secure, set_path, not_after] = fields(node);
            RawCookie {
                name: text(name).unwrap_or_default(),
                sha256: text(sha256).unwrap_or_default(),
                max_age: number(max_age),
                secure: boolean(secure),
                set_path: text(set_path),
                not_after: text(not_after),
            }
        }),
        cidrs: texts(cidrs).unwrap_or_default(),
        header: text(header),
        acme: boolean(acme),
        jwt: list(jwt, |node| {
            let [payload, claim, any_of] = fields(node);
            JwtRuleConfig {
                payload: text(payload).unwrap_or_default(),
                claim: text(claim).unwrap_or_default(),
                any_of: texts(any_of).unwrap_or_default(),
            }
        }),
    }
}

fn response(node: Node) -> RawResponse {
    let [headers, html, refresh, words_, assets, assets_path, logo] = fields(node);
    RawResponse {
        headers: match headers {
            Node::Entries(entries) => entries
                .into_iter()
                .map(|(key, value)| (key, text(value).unwrap_or_default()))
                .collect(),
            _ => BTreeMap::new(),
        },
        html: text(html),
        refresh: number(refresh),
        words: words(words_),
        assets: match assets {
            Node::Entries(entries) => Some(AssetsConfig(
                entries
                    .into_iter()
                    .map(|(name, node)| {
                        let [content_type, body, body_base64] = fields(node);
                        let asset = AssetConfig {
                            content_type: text(content_type).unwrap_or_default(),
                            body: text(body),
                            body_base64: text(body_base64),
                        };
                        (name, asset)
                    })
                    .collect(),
            )),
            _ => None,
        },
        assets_path: text(assets_path),
        logo: text(logo),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::super::{parse, wording, ConfigError, RawConfig};
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
            "[\"x\", \"y\"]",
            "[\"x\", \"y\", null, null, null, null, null]",
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
                for key in ["zz \"odd\" \\ key", "", "a.", "b?"] {
                    let mut unknown = members.clone();
                    unknown.push((key.into(), Json::Scalar("1".into())));
                    out.push(Json::Object(unknown));
                }
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
                                  "set_path": "/set", "not_after": "2030-01-01T00:00:00Z"},
                       "acme": false,
                       "jwt": [{"payload": "p", "claim": "a.b", "any_of": ["x"]}]},
            "response": {"headers": {"x-a": "b", "x-\"q\"": "c"}, "html": "<p>", "refresh": 30,
                         "words": {"expected_back": "e", "default_reason": "d"},
                         "assets": {"a.svg": {"content_type": "image/svg+xml", "body": "<svg/>"},
                                    "b.woff2": {"content_type": "font/woff2", "body_base64": "AA=="}},
                         "assets_path": "/s", "logo": "a.svg"},
            "cors": {"allow_origins": ["https://a.example"], "max_age": 5, "allow_credentials": true},
            "windows": [{"start": "2030-01-01T00:00:00Z", "end": "2030-01-02T00:00:00Z"}],
            "recurring": [{"days": ["mon"], "start": "01:00", "end": "02:00", "utc_offset": "Z"}],
            "upstream_fallback": {"statuses": [502, 503]},
            "dry_run": false, "status_path": "/s", "notice_before": 60, "language": "en",
            "translations": {"fr": {"title": "t", "reason": "r", "html": "<p>",
                                    "words": {"expected_back": "e"}}}
        })
    }

    /// What the derived deserializers with `serde_path_to_error` (as configuration errors were
    /// first made) give: the configuration read, or the error.
    fn reference(text: &str) -> Result<String, ConfigError> {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        match serde_path_to_error::deserialize::<_, RawConfig>(&mut deserializer) {
            Ok(raw) => Ok(format!("{raw:?}")),
            Err(e) => {
                let path = e.path().to_string();
                let field = match path.trim_end_matches('?').trim_end_matches('.') {
                    "" => ".".to_string(),
                    known => known.to_string(),
                };
                Err(wording::config_error(&field, e.inner(), text.as_bytes()))
            }
        }
    }

    fn ours(text: &str) -> Result<String, ConfigError> {
        let mut deserializer = serde_json::Deserializer::from_slice(text.as_bytes());
        match read(&mut deserializer) {
            Ok(raw) => Ok(format!("{raw:?}")),
            Err((e, path)) => Err(wording::config_error(
                path.as_deref().unwrap_or("."),
                &e,
                text.as_bytes(),
            )),
        }
    }

    #[test]
    fn reads_as_the_derived_deserializers_do() {
        let (mut accepted, mut refused) = (0, 0);
        for pretty in [false, true] {
            let mut full = String::new();
            write(&tree(&everything()), pretty, 0, &mut full);
            assert!(ours(&full).is_ok(), "{full}");
            for mutant in mutants(&tree(&everything())) {
                let mut text = String::new();
                write(&mutant, pretty, 0, &mut text);
                let expected = reference(&text);
                assert_eq!(ours(&text), expected, "{text}");
                match expected {
                    Ok(_) => accepted += 1,
                    Err(_) => refused += 1,
                }
            }
        }
        // Broken JSON too: every cut of the full configuration.
        let mut full = String::new();
        write(&tree(&everything()), true, 0, &mut full);
        for cut in 0..full.len() {
            let text = &full[..cut];
            if text.starts_with('{') {
                assert_eq!(ours(text), reference(text), "{text}");
            }
        }
        assert!(accepted > 300 && refused > 1000, "{accepted} {refused}");
    }

    #[test]
    fn records_name_each_field_once() {
        for record in [
            &WORDS,
            &TRANSLATION,
            &WINDOW,
            &RECURRING,
            &FALLBACK,
            &ROUTE,
            &TOKEN,
            &COOKIE,
            &JWT_RULE,
            &BYPASS,
            &ASSET,
            &RESPONSE,
            &CORS,
            &CONFIG,
        ] {
            let count = record.names.len();
            assert_eq!(record.fields.len(), count, "{}", record.name);
            let plural = if count == 1 { "" } else { "s" };
            assert_eq!(
                record.as_list,
                format!("{} with {count} element{plural}", record.name)
            );
            let mut names = record.names.to_vec();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), count, "{}", record.name);
        }
    }

    /// The fields and exact messages tests/bad_configs.json pins (checked end to end in Envoy's
    /// log too).
    #[test]
    fn bad_configs_corpus_messages() {
        let corpus: Vec<Value> =
            serde_json::from_str(include_str!("../../../../tests/bad_configs.json")).unwrap();
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
