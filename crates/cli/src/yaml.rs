//! YAML manifests, read with the place of every node in the text, and changed in place: an edit
//! rewrites only the text of the values that change, so comments, key order, quoting and the
//! other documents stay as the user wrote them.
//!
//! Scalars are read as kubectl reads them (YAML 1.1 through sigs.k8s.io/yaml: `yes`/`on` are
//! booleans), and the forms where that differs from YAML 1.2 in a way that could surprise
//! (`0755`, `1_000`, `0b1`) are refused with a request to quote them. Strings are written so
//! that both readings agree (`"yes"`, `"0755"`, `"a\u2028b"` quoted).

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use serde_json::{Map, Number, Value};

/// Deeper nesting than any manifest has: refused rather than risk the stack.
const MAX_DEPTH: usize = 200;

/// A node of a document: its value and where it is in the text (byte offsets).
#[derive(Debug, Clone)]
pub struct Node {
    pub start: usize,
    pub end: usize,
    pub value: Value,
    body: Body,
}

#[derive(Debug, Clone)]
enum Body {
    Scalar {
        block: bool,
    },
    /// An alias (`*name`): its value is the anchored node's; its text is not that node's.
    Alias,
    Seq {
        items: Vec<Node>,
        flow: bool,
    },
    Map {
        entries: Vec<(Node, Node)>,
        flow: bool,
    },
}

/// The documents of a YAML stream (an empty document is a null root).
pub fn parse(text: &str) -> Result<Vec<Node>, String> {
    let mut reader = Reader {
        text,
        offsets: text
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(text.len()))
            .collect(),
        parser: Parser::new_from_str(text),
        anchors: HashMap::new(),
    };
    let mut documents = Vec::new();
    loop {
        match reader.next()? {
            (Event::StreamStart | Event::DocumentEnd, _) => {}
            (Event::StreamEnd, _) => return Ok(documents),
            (Event::DocumentStart(_), _) => {
                let (event, span) = reader.next()?;
                documents.push(reader.node(event, span, 0)?);
            }
            (event, span) => return Err(reader.unexpected(&event, span)),
        }
    }
}

struct Reader<'a> {
    text: &'a str,
    /// Byte offset of each character index (the parser counts characters).
    offsets: Vec<usize>,
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    anchors: HashMap<usize, Value>,
}

impl<'a> Reader<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), String> {
        match self.parser.next() {
            Some(Ok(next)) => Ok(next),
            Some(Err(e)) => Err(format!(
                "line {}, column {}: {}",
                e.marker().line(),
                e.marker().col() + 1,
                e.info()
            )),
            None => Err("the YAML ends too early".to_string()),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        self.offsets
            .get(char_index)
            .copied()
            .unwrap_or(self.text.len())
    }

    fn at(&self, span: Span) -> String {
        format!(
            "line {}, column {}",
            span.start.line(),
            span.start.col() + 1
        )
    }

    fn unexpected(&self, event: &Event, span: Span) -> String {
        format!("{}: unexpected {event:?}", self.at(span))
    }

    fn node(&mut self, event: Event<'a>, span: Span, depth: usize) -> Result<Node, String> {
        if depth > MAX_DEPTH {
            return Err(format!("{}: nested too deeply", self.at(span)));
        }
        let start = self.byte(span.start.index());
        let node = match event {
            Event::Scalar(text, style, anchor, tag) => {
                let tag = tag.map(|t| format!("{}{}", t.handle, t.suffix));
                let value = resolve(&text, style, tag.as_deref())
                    .map_err(|e| format!("{}: {e}", self.at(span)))?;
                let end = self.scalar_end(start, self.byte(span.end.index()), style);
                let block = matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
                let start = if block {
                    // The span starts at the content; the node at its `|` or `>` header.
                    self.text[..start].rfind(['|', '>']).unwrap_or(start)
                } else {
                    start
                };
                self.anchor(anchor, &value);
                Node {
                    start,
                    end,
                    value,
                    body: Body::Scalar { block },
                }
            }
            Event::Alias(id) => {
                let value =
                    self.anchors.get(&id).cloned().ok_or_else(|| {
                        format!("{}: an alias of an unknown anchor", self.at(span))
                    })?;
                Node {
                    start,
                    end: self.byte(span.end.index()),
                    value,
                    body: Body::Alias,
                }
            }
            Event::SequenceStart(anchor, _) => {
                let mut items: Vec<Node> = Vec::new();
                loop {
                    let (event, item_span) = self.next()?;
                    if let Event::SequenceEnd = event {
                        let (end, flow) =
                            self.collection_end(item_span, items.last().map(|n| n.end));
                        let value = Value::Array(items.iter().map(|n| n.value.clone()).collect());
                        self.anchor(anchor, &value);
                        break Node {
                            start,
                            end,
                            value,
                            body: Body::Seq { items, flow },
                        };
                    }
                    items.push(self.node(event, item_span, depth + 1)?);
                }
            }
            Event::MappingStart(anchor, _) => {
                let mut entries: Vec<(Node, Node)> = Vec::new();
                let mut object = Map::new();
                loop {
                    let (event, key_span) = self.next()?;
                    if let Event::MappingEnd = event {
                        let (end, flow) =
                            self.collection_end(key_span, entries.last().map(|(_, v)| v.end));
                        let value = Value::Object(object);
                        self.anchor(anchor, &value);
                        break Node {
                            start,
                            end,
                            value,
                            body: Body::Map { entries, flow },
                        };
                    }
                    let key = self.node(event, key_span, depth + 1)?;
                    let name =
                        key_string(&key).map_err(|e| format!("{}: {e}", self.at(key_span)))?;
                    let (event, value_span) = self.next()?;
                    let value = self.node(event, value_span, depth + 1)?;
                    if object.insert(name.clone(), value.value.clone()).is_some() {
                        return Err(format!(
                            "{}: the key {name:?} is given twice",
                            self.at(key_span)
                        ));
                    }
                    entries.push((key, value));
                }
            }
            other => return Err(self.unexpected(&other, span)),
        };
        Ok(node)
    }

    /// Where a sequence or mapping ends (the byte after it), from its end event's span and the
    /// end of its last item, and whether it is in flow style (`[...]`, `{...}`: the end event
    /// spans the closing bracket).
    fn collection_end(&self, end_span: Span, last_item_end: Option<usize>) -> (usize, bool) {
        let flow = end_span.end.index() > end_span.start.index();
        // A flow end's span runs on over a trailing comment: just its bracket.
        let end = match (flow, last_item_end) {
            (true, _) => self.byte(end_span.start.index()) + 1,
            (false, None) => self.byte(end_span.end.index()),
            (false, Some(last)) => last,
        };
        (end, flow)
    }

    fn anchor(&mut self, anchor: usize, value: &Value) {
        if anchor != 0 {
            self.anchors.insert(anchor, value.clone());
        }
    }

    /// Where a scalar's text ends: the parser's span runs on past a quoted scalar (over a
    /// trailing comment) and past a block scalar (over the next line's indentation).
    fn scalar_end(&self, start: usize, span_end: usize, style: ScalarStyle) -> usize {
        let text = self.text.as_bytes();
        match style {
            ScalarStyle::Plain => span_end,
            ScalarStyle::DoubleQuoted | ScalarStyle::SingleQuoted => {
                let quote = if matches!(style, ScalarStyle::DoubleQuoted) {
                    b'"'
                } else {
                    b'\''
                };
                let Some(open) = text[start..].iter().position(|&b| b == quote) else {
                    return span_end;
                };
                let mut i = start + open + 1;
                while i < text.len() {
                    match text[i] {
                        b'\\' if quote == b'"' => i += 2,
                        b'\'' if quote == b'\'' && text.get(i + 1) == Some(&b'\'') => i += 2,
                        b if b == quote => return i + 1,
                        _ => i += 1,
                    }
                }
                span_end
            }
            _ => {
                let mut end = span_end.min(text.len());
                while end > start && text[end - 1].is_ascii_whitespace() {
                    end -= 1;
                }
                end
            }
        }
    }
}

/// A mapping key as a JSON object key: kubectl writes a non-string key's YAML value as text.
fn key_string(key: &Node) -> Result<String, String> {
    match (&key.body, &key.value) {
        (Body::Scalar { .. }, Value::String(s)) if s == "<<" => {
            Err("merge keys (<<) are not supported: write the fields out".into())
        }
        (Body::Scalar { .. } | Body::Alias, Value::String(s)) => Ok(s.clone()),
        (Body::Scalar { .. } | Body::Alias, Value::Null) => Ok("null".into()),
        (Body::Scalar { .. } | Body::Alias, Value::Bool(b)) => Ok(b.to_string()),
        (Body::Scalar { .. } | Body::Alias, Value::Number(n)) => Ok(n.to_string()),
        _ => Err("a mapping key must be a plain value, not a list or a mapping".into()),
    }
}

/// A scalar's JSON value. Plain scalars are typed as kubectl types them; quoted and block
/// scalars, and `!!str`, are strings.
fn resolve(text: &str, style: ScalarStyle, tag: Option<&str>) -> Result<Value, String> {
    const CORE: &str = "tag:yaml.org,2002:";
    match tag {
        None => {}
        Some(tag) if tag == format!("{CORE}str") => return Ok(Value::String(text.to_string())),
        Some(tag) => {
            let core = tag.strip_prefix(CORE).unwrap_or("");
            if !["int", "float", "bool", "null"].contains(&core) {
                return Err(format!("the tag {tag} is not supported"));
            }
        }
    }
    if style != ScalarStyle::Plain {
        return Ok(Value::String(text.to_string()));
    }
    Ok(match text {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "y" | "Y" | "on" | "On" | "ON" => {
            Value::Bool(true)
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "n" | "N" | "off" | "Off" | "OFF" => {
            Value::Bool(false)
        }
        _ => match number(text)? {
            Some(number) => Value::Number(number),
            None => Value::String(text.to_string()),
        },
    })
}

/// A plain scalar that kubectl reads as a number, as a JSON number (integral floats as
/// integers, as kubectl's YAML-to-JSON conversion writes them).
fn number(text: &str) -> Result<Option<Number>, String> {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let ambiguous = || {
        Err(format!(
            "{text:?} reads as a number to kubectl and as text in YAML 1.2: quote it if it is \
             text, or write the number in plain decimal"
        ))
    };
    if let Some(hex) = unsigned.strip_prefix("0x") {
        if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return i64::from_str_radix(hex, 16)
                .map(|n| Some(Number::from(if text.starts_with('-') { -n } else { n })))
                .map_err(|_| format!("{text:?} is too large"));
        }
    }
    if let Some(octal) = unsigned.strip_prefix("0o") {
        if !octal.is_empty() && octal.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            return i64::from_str_radix(octal, 8)
                .map(|n| Some(Number::from(if text.starts_with('-') { -n } else { n })))
                .map_err(|_| format!("{text:?} is too large"));
        }
    }
    if unsigned.starts_with("0b") {
        return ambiguous();
    }
    if unsigned.contains('_') && digits(&unsigned.replace('_', "")) {
        return ambiguous();
    }
    if digits(unsigned) {
        if unsigned.len() > 1 && unsigned.starts_with('0') {
            return ambiguous();
        }
        if let Ok(n) = text.parse::<i64>() {
            return Ok(Some(Number::from(n)));
        }
        if let Ok(n) = text.parse::<u64>() {
            return Ok(Some(Number::from(n)));
        }
    }
    let lower = unsigned.to_ascii_lowercase();
    if lower == ".inf" || lower == ".nan" {
        return Err(format!("{text:?}: JSON has no infinity or NaN"));
    }
    if is_float(unsigned) {
        let value: f64 = text
            .parse()
            .map_err(|_| format!("{text:?} is not a number"))?;
        if value.is_finite() && value.fract() == 0.0 && value.abs() < 9.0e15 {
            // Exact: |value| < 2^53.
            #[allow(clippy::cast_possible_truncation)]
            return Ok(Some(Number::from(value as i64)));
        }
        return Ok(Number::from_f64(value));
    }
    Ok(None)
}

/// `[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?` or `\.[0-9]+(...)`: YAML 1.1's float (sign removed).
fn is_float(text: &str) -> bool {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            digits(whole) && digits(fraction) && !(whole.is_empty() && fraction.is_empty())
        }
        None => !mantissa.is_empty() && digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

/// A string as a YAML scalar: plain when every reader takes it as this very string, else
/// double-quoted with every line break and invisible character escaped.
pub fn scalar(text: &str) -> String {
    if plain_is_safe(text) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Characters written as `\uXXXX`: controls, and the line and paragraph separators a YAML 1.1
/// reader (kubectl's) takes as line breaks, folding the spaces around them.
fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{85}')
}

fn plain_is_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    let reads_as_text = matches!(
        resolve(text, ScalarStyle::Plain, None),
        Ok(Value::String(ref s)) if s == text
    );
    reads_as_text
        && !first.is_ascii_digit()
        && !"-?:,[]{}#&*!|>'\"%@`<=.+ ".contains(first)
        && !text.ends_with([' ', ':'])
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.contains([',', '[', ']', '{', '}'])
        && !text.chars().any(|c| needs_escape(c) || c == '\t')
}

/// A JSON value in YAML's flow style, on one line.
pub fn flow(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar(s),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(flow).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", scalar(k), flow(v)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
    }
}

/// `key: value` in block style: nested mappings as indented blocks, the rest in flow style.
/// The first line is not indented (it follows what precedes the key on its line); the lines of
/// nested mappings are indented from `column`, the key's.
fn block_entry(key: &str, value: &Value, column: usize, newline: &str) -> String {
    match value {
        Value::Object(map) if !map.is_empty() => {
            let mut out = format!("{key}:");
            let pad = " ".repeat(column + 2);
            for (k, v) in map {
                out.push_str(newline);
                out.push_str(&pad);
                out.push_str(&block_entry(&scalar(k), v, column + 2, newline));
            }
            out
        }
        _ => format!("{key}: {}", flow(value)),
    }
}

/// One text replacement: `text[start..end]` becomes `with`.
#[derive(Debug)]
struct Edit {
    start: usize,
    end: usize,
    with: String,
}

/// Why an in-place edit was not possible (the caller then edits more coarsely).
#[derive(Debug)]
struct Unsupported;

/// `text` changed so that document `index` reads as `new` (every other document unchanged).
/// Only the values that differ are rewritten, down to the single scalar where possible; when
/// that is not possible the node at `pointer` (the plugin configuration) is rewritten whole.
/// The result is read back and compared with what was asked: an error rather than a manifest
/// that says anything else.
pub fn edit(
    text: &str,
    documents: &[Node],
    index: usize,
    new: &Value,
    pointer: &str,
) -> Result<String, String> {
    let root = documents
        .get(index)
        .ok_or("the document to change is missing")?;
    let editor = Editor {
        text,
        newline: if text.contains("\r\n") { "\r\n" } else { "\n" },
    };
    for coarse in [None, Some(pointer)] {
        let mut edits = Vec::new();
        if editor
            .node(root, None, new, "", coarse, &mut edits)
            .is_err()
        {
            continue;
        }
        let changed = apply(text, edits);
        let Ok(read_back) = parse(&changed) else {
            continue;
        };
        let same = read_back.len() == documents.len()
            && read_back
                .iter()
                .zip(documents)
                .enumerate()
                .all(|(i, (after, before))| {
                    if i == index {
                        after.value == *new
                    } else {
                        after.value == before.value
                    }
                });
        if same {
            return Ok(changed);
        }
    }
    Err(
        "cannot change the manifest's text in place (unusual YAML around the plugin \
         configuration); nothing written"
            .to_string(),
    )
}

fn apply(text: &str, edits: Vec<Edit>) -> String {
    // Back to front, so earlier offsets stay valid. Of two insertions at one place the one
    // made first (a nested mapping's new entry) must end up first: it is applied last.
    let mut edits: Vec<(usize, Edit)> = edits.into_iter().enumerate().collect();
    edits.sort_by(|(i, a), (j, b)| (b.start, b.end, j).cmp(&(a.start, a.end, i)));
    let mut out = text.to_string();
    for (_, edit) in edits {
        out.replace_range(edit.start..edit.end, &edit.with);
    }
    out
}

struct Editor<'t> {
    text: &'t str,
    newline: &'static str,
}

impl Editor<'_> {
    fn line_start(&self, at: usize) -> usize {
        self.text[..at].rfind('\n').map_or(0, |i| i + 1)
    }

    /// The offset just past the end of the line holding `at` (past its newline).
    fn next_line(&self, at: usize) -> usize {
        self.text[at..]
            .find('\n')
            .map_or(self.text.len(), |i| at + i + 1)
    }

    /// Whether only spaces precede `at` on its line.
    fn first_on_line(&self, at: usize) -> bool {
        self.text[self.line_start(at)..at]
            .bytes()
            .all(|b| b == b' ')
    }

    fn column(&self, at: usize) -> usize {
        self.text[self.line_start(at)..at].chars().count()
    }

    /// Edits that make `node` (the value of `key`, if in a mapping; at JSON pointer `at`) read
    /// as `new`. With `coarse`, the node there is replaced whole rather than edited inside.
    fn node(
        &self,
        node: &Node,
        key: Option<&Node>,
        new: &Value,
        at: &str,
        coarse: Option<&str>,
        edits: &mut Vec<Edit>,
    ) -> Result<(), Unsupported> {
        if node.value == *new {
            return Ok(());
        }
        let whole = coarse == Some(at);
        match (&node.body, new) {
            (
                Body::Map {
                    entries,
                    flow: false,
                },
                Value::Object(wanted),
            ) if !whole && !wanted.is_empty() => self.mapping(entries, wanted, at, coarse, edits),
            (Body::Seq { items, flow: false }, Value::Array(wanted))
                if !whole && items.len() == wanted.len() =>
            {
                for (i, (item, value)) in items.iter().zip(wanted).enumerate() {
                    self.node(item, None, value, &format!("{at}/{i}"), coarse, edits)?;
                }
                Ok(())
            }
            _ => self.replace(node, key, new, edits),
        }
    }

    fn mapping(
        &self,
        entries: &[(Node, Node)],
        wanted: &Map<String, Value>,
        at: &str,
        coarse: Option<&str>,
        edits: &mut Vec<Edit>,
    ) -> Result<(), Unsupported> {
        let name = |key: &Node| key_string(key).map_err(|_| Unsupported);
        let mut present = Vec::new();
        for (key, value) in entries {
            let k = name(key)?;
            match wanted.get(&k) {
                Some(new) => {
                    let pointer = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                    self.node(value, Some(key), new, &pointer, coarse, edits)?;
                }
                None => {
                    // The entry's lines go, from the key's line to the end of the value's.
                    if !self.first_on_line(key.start) {
                        return Err(Unsupported);
                    }
                    edits.push(Edit {
                        start: self.line_start(key.start),
                        end: self.next_line(value.end),
                        with: String::new(),
                    });
                }
            }
            present.push(k);
        }
        let (Some((first_key, _)), Some((_, last_value))) = (entries.first(), entries.last())
        else {
            return Err(Unsupported);
        };
        let column = self.column(first_key.start);
        let mut added = String::new();
        for (k, v) in wanted.iter().filter(|(k, _)| !present.contains(k)) {
            added.push_str(&" ".repeat(column));
            added.push_str(&block_entry(&scalar(k), v, column, self.newline));
            added.push_str(self.newline);
        }
        if !added.is_empty() {
            let at = self.next_line(last_value.end);
            if !self.text[..at].ends_with('\n') {
                added.insert_str(0, self.newline);
            }
            edits.push(Edit {
                start: at,
                end: at,
                with: added,
            });
        }
        Ok(())
    }

    /// Replaces a node. A value written on one line (a scalar, a flow collection) gets its new
    /// value on one line, in flow style; a value in block style gets a block, as the whole
    /// `key: value` entry (the key's text kept).
    fn replace(
        &self,
        node: &Node,
        key: Option<&Node>,
        new: &Value,
        edits: &mut Vec<Edit>,
    ) -> Result<(), Unsupported> {
        let inline = match &node.body {
            Body::Scalar { block } => !*block && node.end > node.start,
            Body::Alias => false,
            Body::Seq { flow, .. } | Body::Map { flow, .. } => *flow,
        };
        let flow_collection = matches!(node.body, Body::Seq { .. } | Body::Map { .. });
        let block_value = matches!(new, Value::Object(map) if !map.is_empty());
        if inline && (flow_collection || !block_value) {
            edits.push(Edit {
                start: node.start,
                end: node.end,
                with: flow(new),
            });
            return Ok(());
        }
        let Some(key) = key else {
            return Err(Unsupported);
        };
        let key_text = &self.text[key.start..key.end];
        if key_text.contains('\n') {
            return Err(Unsupported);
        }
        let column = self.column(key.start);
        let end = if node.end > node.start {
            self.trim_end(node.end)
        } else {
            // No value (`key:`): the entry ends with its colon.
            self.text[key.end..]
                .find(':')
                .map_or(node.end, |i| key.end + i + 1)
        };
        edits.push(Edit {
            start: key.start,
            end,
            with: block_entry(key_text, new, column, self.newline),
        });
        Ok(())
    }

    /// The end of a block value's text, before the line break that ends it.
    fn trim_end(&self, end: usize) -> usize {
        let bytes = self.text.as_bytes();
        let mut end = end;
        while end > 0 && matches!(bytes[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values(text: &str) -> Vec<Value> {
        parse(text).unwrap().into_iter().map(|n| n.value).collect()
    }

    /// Edits document 0 to `new`, checks the result reads as `new`, and returns the text.
    fn edited(text: &str, new: Value) -> String {
        let documents = parse(text).unwrap();
        let out = edit(text, &documents, 0, &new, "/spec/pluginConfig").unwrap();
        assert_eq!(values(&out)[0], new, "{out}");
        out
    }

    #[test]
    fn reads_as_kubectl_reads() {
        let doc = "a: yes\nb: 'yes'\nc: 0x10\nd: 1.5\ne: 2.0\nf: ~\ng:\nh: \"x\\u2028y\"\ni: !!str 12\nj: 2025-06-01T00:00:00Z\nk: [1, {l: m}]\nt: |\n  text\nn: 0o17\n";
        assert_eq!(
            values(doc)[0],
            json!({"a": true, "b": "yes", "c": 16, "d": 1.5, "e": 2, "f": null, "g": null,
                   "h": "x\u{2028}y", "i": "12", "j": "2025-06-01T00:00:00Z", "k": [1, {"l": "m"}],
                   "t": "text\n", "false": 15})
        );
        assert_eq!(values("a: &x {b: 1}\nc: *x\n---\n---\nd: 1\n").len(), 3);
        assert_eq!(values("a: &x {b: 1}\nc: *x\n")[0]["c"], json!({"b": 1}));
        assert_eq!(values("1: a\ntrue: b\n")[0], json!({"1": "a", "true": "b"}));
    }

    #[test]
    fn refuses_what_would_read_differently_or_not_at_all() {
        for (doc, expected) in [
            ("a: 0755", "reads as a number to kubectl"),
            ("a: 1_000", "reads as a number to kubectl"),
            ("a: .inf", "no infinity"),
            ("a: 1\na: 2", "the key \"a\" is given twice"),
            ("<<: {a: 1}", "merge keys"),
            ("a: !foo x", "the tag !foo is not supported"),
            ("a: [1", "line "),
            ("a: *nope", "line 1"),
            ("[a]: 1", "must be a plain value"),
        ] {
            let err = parse(doc).unwrap_err();
            assert!(err.contains(expected), "{doc:?}: {err}");
        }
        let deep = format!("{}1{}", "[".repeat(300), "]".repeat(300));
        assert!(parse(&deep).unwrap_err().contains("recursion limit"));
    }

    #[test]
    fn scalars_are_written_so_every_reader_agrees() {
        for text in [
            "yes",
            "No",
            "on",
            "~",
            "null",
            "",
            " x",
            "x ",
            "0755",
            "12",
            "1.5",
            "1e3",
            "-x",
            "#x",
            "a: b",
            "a #b",
            "x:",
            "[a]",
            "a,b",
            "'q'",
            "\"q\"",
            "a\u{2028}b",
            "a\nb",
            "tab\there",
            ".inf",
            "@x",
            "`x",
            "*x",
            "&x",
            "!x",
            "%x",
            "|x",
            ">x",
            "<<",
            "=",
            "+1",
            "2025-06-01",
        ] {
            let yaml = format!("k: {}", scalar(text));
            assert_eq!(values(&yaml)[0]["k"], json!(text), "{yaml}");
        }
        assert_eq!(scalar("Back soon"), "Back soon");
        assert_eq!(scalar("/healthz"), "/healthz");
        assert_eq!(scalar("a \u{2028} b"), "\"a \\u2028 b\"");
        assert_eq!(
            flow(&json!({"b": [1, "x y", null], "a": {}})),
            "{a: {}, b: [1, x y, null]}"
        );
    }

    const ISTIO: &str = "\
# head comment
apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata:
  name: m   # the name
spec:
  url: oci://x
  pluginConfig:
    enabled: false      # off for now
    # the title
    title: Down
    retry_after: 900
    bypass:
      paths: [/healthz]   # health checks
  phase: AUTHN
---
kind: Other
";

    #[test]
    fn changes_only_the_values_that_differ() {
        let mut new = values(ISTIO)[0].clone();
        let config = &mut new["spec"]["pluginConfig"];
        config["enabled"] = json!(true);
        config["reason"] = json!("Database: it's \"done\" \u{2028} soon");
        config["windows"] = json!([{"end": "2025-06-01T04:00:00Z"}]);
        config["bypass"]["cookie"] = json!({"name": "c", "sha256": "ab"});
        config.as_object_mut().unwrap().remove("retry_after");
        let out = edited(ISTIO, new);
        assert_eq!(
            out,
            "\
# head comment
apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata:
  name: m   # the name
spec:
  url: oci://x
  pluginConfig:
    enabled: true      # off for now
    # the title
    title: Down
    bypass:
      paths: [/healthz]   # health checks
      cookie:
        name: c
        sha256: ab
    reason: \"Database: it's \\\"done\\\" \\u2028 soon\"
    windows: [{end: \"2025-06-01T04:00:00Z\"}]
  phase: AUTHN
---
kind: Other
"
        );
    }

    #[test]
    fn adds_a_configuration_where_there_was_none() {
        let text = "spec:\n  wasm:\n    url: oci://x  # c\n    failStrategy: FAIL_OPEN\n# end\n";
        let mut new = values(text)[0].clone();
        new["spec"]["wasm"]["pluginConfig"] = json!({"enabled": true, "reason": "Back at 15:00"});
        assert_eq!(
            edited(text, new),
            "spec:\n  wasm:\n    url: oci://x  # c\n    failStrategy: FAIL_OPEN\n    pluginConfig:\n      \
             enabled: true\n      reason: Back at 15:00\n# end\n"
        );
        // No newline at the end of the file.
        let text = "spec:\n  url: x";
        let new = json!({"spec": {"url": "x", "pluginConfig": {"enabled": true}}});
        assert_eq!(
            edited(text, new),
            "spec:\n  url: x\n  pluginConfig:\n    enabled: true\n"
        );
    }

    #[test]
    fn flow_empty_and_block_values_are_replaced_in_their_style() {
        let text = "spec:\n  pluginConfig: {enabled: false}   # flow\n  other: 1\n";
        let new = json!({"spec": {"pluginConfig": {"enabled": true, "reason": "x"}, "other": 1}});
        assert_eq!(
            edited(text, new),
            "spec:\n  pluginConfig: {enabled: true, reason: x}   # flow\n  other: 1\n"
        );
        let text = "spec:\n  pluginConfig:\n  other: 1\n";
        let new = json!({"spec": {"pluginConfig": {"enabled": true}, "other": 1}});
        assert_eq!(
            edited(text, new),
            "spec:\n  pluginConfig:\n    enabled: true\n  other: 1\n"
        );
        let text = "c:\n  reason: |\n    old\n    text\n  routes:\n  - hosts: [a]\n  - path_prefix: /b\n  x: 1\n";
        let new = json!({"c": {"reason": "new", "routes": [{"path_prefix": "/c"}], "x": 1}});
        assert_eq!(
            edited(text, new),
            "c:\n  reason: new\n  routes: [{path_prefix: /c}]\n  x: 1\n"
        );
    }

    #[test]
    fn edits_one_entry_of_a_list() {
        let text = "spec:\n  wasm:\n  - name: a\n    config: {keep: me}\n  - name: b\n    config:\n      enabled: false\n      upstream_fallback: {}    # comment\n  # after\n";
        let mut new = values(text)[0].clone();
        new["spec"]["wasm"][1]["config"]["enabled"] = json!(true);
        new["spec"]["wasm"][1]["config"]["routes"] = json!([{"path_prefix": "/x"}]);
        assert_eq!(
            edited(text, new),
            "spec:\n  wasm:\n  - name: a\n    config: {keep: me}\n  - name: b\n    config:\n      enabled: true\n      upstream_fallback: {}    # comment\n      routes: [{path_prefix: /x}]\n  # after\n"
        );
    }

    #[test]
    fn unusual_layouts_fall_back_to_rewriting_the_configuration() {
        // A block list goes with its lines.
        let text = "spec:\n  pluginConfig:\n    routes:\n    - {hosts: [a]}\n    enabled: true\n";
        let new = json!({"spec": {"pluginConfig": {"enabled": false}}});
        assert_eq!(
            edited(text, new),
            "spec:\n  pluginConfig:\n    enabled: false\n"
        );
        // The first key of a list item cannot lose its line alone: the configuration is
        // written anew.
        let text =
            "spec:\n  pluginConfig:\n    routes:\n    - hosts: [a]  # c\n      path_prefix: /x\n";
        let new = json!({"spec": {"pluginConfig": {"routes": [{"path_prefix": "/x"}]}}});
        assert_eq!(
            edited(text, new),
            "spec:\n  pluginConfig:\n    routes: [{path_prefix: /x}]\n"
        );
        // Windows line endings stay.
        let text = "spec:\r\n  pluginConfig:\r\n    enabled: false\r\n";
        let new = json!({"spec": {"pluginConfig": {"enabled": true, "reason": "r"}}});
        assert_eq!(
            edited(text, new),
            "spec:\r\n  pluginConfig:\r\n    enabled: true\r\n    reason: r\r\n"
        );
    }
}
