//! A small JSON reader for the plugin configuration: a serde `Deserializer` that names the field
//! an error is in (`routes[2].hosts[0]`).
//!
//! It replaces `serde_json` and `serde_path_to_error`, which together with the floating-point
//! formatting they pull in were most of the wasm. It reads strict JSON (RFC 8259) with integer
//! numbers only: a number with a fraction or an exponent is reported as the wrong type, since no
//! configuration field is a float (and parsing floats would bring the float code back).

use std::borrow::Cow;
use std::fmt::{self, Display};

use serde::de::Error as _;

use serde::de::{
    self, DeserializeSeed, EnumAccess, Expected, IntoDeserializer, MapAccess, SeqAccess,
    Unexpected, VariantAccess, Visitor,
};

/// Deepest nesting of arrays and objects accepted (the configuration needs 4).
const MAX_DEPTH: usize = 32;

/// What is wrong, and in which field: `routes[2].hosts[0]`, `.` for the document itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub field: String,
    pub message: String,
    /// Whether `field` is final; an error takes the path where it is first seen.
    located: bool,
}

impl Error {
    fn locate(mut self, path: &[Segment]) -> Error {
        if !self.located {
            self.field = render_path(path);
            self.located = true;
        }
        self
    }
}

impl Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: Display>(message: T) -> Error {
        Error {
            field: String::new(),
            message: message.to_string(),
            located: false,
        }
    }

    // Both overridden only to describe the unexpected value without serde's float formatting.
    fn invalid_type(unexpected: Unexpected, expected: &dyn Expected) -> Error {
        Error::custom(format_args!(
            "invalid type: {}, expected {expected}",
            describe(unexpected)
        ))
    }

    fn invalid_value(unexpected: Unexpected, expected: &dyn Expected) -> Error {
        Error::custom(format_args!(
            "invalid value: {}, expected {expected}",
            describe(unexpected)
        ))
    }
}

fn describe(unexpected: Unexpected) -> String {
    match unexpected {
        Unexpected::Bool(value) => format!("boolean `{value}`"),
        Unexpected::Unsigned(value) => format!("integer `{value}`"),
        Unexpected::Signed(value) => format!("integer `{value}`"),
        Unexpected::Float(_) => "floating point number".into(),
        Unexpected::Char(value) => format!("character {value:?}"),
        Unexpected::Str(value) => format!("string {value:?}"),
        Unexpected::Bytes(_) => "byte array".into(),
        Unexpected::Unit => "null".into(),
        Unexpected::Option => "option".into(),
        Unexpected::NewtypeStruct => "newtype struct".into(),
        Unexpected::Seq => "array".into(),
        Unexpected::Map => "object".into(),
        Unexpected::Enum => "enum".into(),
        Unexpected::UnitVariant => "unit variant".into(),
        Unexpected::NewtypeVariant => "newtype variant".into(),
        Unexpected::TupleVariant => "tuple variant".into(),
        Unexpected::StructVariant => "struct variant".into(),
        Unexpected::Other(other) => other.into(),
    }
}

/// One step of the path to the value being read; `None` between members or elements.
enum Segment {
    Key(Option<String>),
    Index(Option<usize>),
}

fn render_path(path: &[Segment]) -> String {
    let mut rendered = String::new();
    for segment in path {
        match segment {
            Segment::Key(Some(key)) => {
                if !rendered.is_empty() {
                    rendered.push('.');
                }
                rendered.push_str(key);
            }
            Segment::Index(Some(index)) => {
                rendered.push('[');
                rendered.push_str(&index.to_string());
                rendered.push(']');
            }
            Segment::Key(None) | Segment::Index(None) => {}
        }
    }
    if rendered.is_empty() {
        rendered.push('.');
    }
    rendered
}

/// Reads one `T` from a JSON document; anything but whitespace after it is an error.
pub fn from_slice<'de, T: de::Deserialize<'de>>(input: &'de [u8]) -> Result<T, Error> {
    let text = std::str::from_utf8(input).map_err(|e| {
        Error::custom(format_args!(
            "is not valid UTF-8 (at byte {})",
            e.valid_up_to()
        ))
        .locate(&[])
    })?;
    let mut reader = Reader {
        text,
        pos: 0,
        path: Vec::new(),
    };
    let value = T::deserialize(&mut reader).map_err(|e| e.locate(&[]))?;
    reader.skip_whitespace();
    if reader.pos < text.len() {
        return Err(reader
            .syntax("unexpected data after the configuration")
            .locate(&[]));
    }
    Ok(value)
}

struct Reader<'de> {
    text: &'de str,
    pos: usize,
    path: Vec<Segment>,
}

impl<'de> Reader<'de> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.pos += 1;
        }
    }

    fn slice(&self, start: usize, end: usize) -> &'de str {
        self.text.get(start..end).unwrap_or_default()
    }

    /// A syntax error at the current position.
    fn syntax(&self, what: &str) -> Error {
        let before = self.text.as_bytes().get(..self.pos).unwrap_or_default();
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        Error::custom(format_args!("{what} at line {line} column {column}"))
    }

    fn keyword(&mut self, word: &str) -> Result<(), Error> {
        if self
            .text
            .as_bytes()
            .get(self.pos..)
            .unwrap_or_default()
            .starts_with(word.as_bytes())
        {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.syntax("expected a JSON value"))
        }
    }

    fn enter(&mut self, segment: Segment) -> Result<(), Error> {
        if self.path.len() >= MAX_DEPTH {
            return Err(self.syntax("nested too deeply"));
        }
        self.pos += 1;
        self.path.push(segment);
        Ok(())
    }

    fn set_segment(&mut self, segment: Segment) {
        if let Some(last) = self.path.last_mut() {
            *last = segment;
        }
    }

    /// A string, the reader being at its opening quote.
    fn string(&mut self) -> Result<Cow<'de, str>, Error> {
        self.pos += 1;
        let mut owned: Option<String> = None;
        let mut run = self.pos;
        loop {
            match self.peek() {
                None => return Err(self.syntax("unterminated string")),
                Some(b'"') => {
                    let tail = self.slice(run, self.pos);
                    self.pos += 1;
                    return Ok(match owned {
                        None => Cow::Borrowed(tail),
                        Some(mut text) => {
                            text.push_str(tail);
                            Cow::Owned(text)
                        }
                    });
                }
                Some(b'\\') => {
                    let text = owned.get_or_insert_with(String::new);
                    text.push_str(self.slice(run, self.pos));
                    self.pos += 1;
                    let escaped = self.peek();
                    self.pos += 1;
                    text.push(match escaped {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => self.unicode_escape()?,
                        _ => return Err(self.syntax("invalid escape in a string")),
                    });
                    run = self.pos;
                }
                Some(0x00..=0x1f) => {
                    return Err(self.syntax("control character in a string (escape it)"))
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let digits = self.text.get(self.pos..self.pos + 4).unwrap_or_default();
        match u32::from_str_radix(digits, 16) {
            Ok(value) if digits.bytes().all(|b| b.is_ascii_hexdigit()) => {
                self.pos += 4;
                Ok(value)
            }
            _ => Err(self.syntax("invalid \\u escape")),
        }
    }

    /// The character of a `\uXXXX` escape (two for a surrogate pair), after the `u`.
    fn unicode_escape(&mut self) -> Result<char, Error> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if !(self.eat(b'\\') && self.eat(b'u')) {
                    return Err(self.syntax("unpaired surrogate in a \\u escape"));
                }
                match self.hex4()? {
                    low @ 0xDC00..=0xDFFF => 0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00),
                    _ => return Err(self.syntax("unpaired surrogate in a \\u escape")),
                }
            }
            _ => first,
        };
        char::from_u32(code).ok_or_else(|| self.syntax("unpaired surrogate in a \\u escape"))
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Token<'de>, Error> {
        let start = self.pos;
        let negative = self.eat(b'-');
        let integer_start = self.pos;
        let integer_digits = self.digits();
        let integer = self.slice(integer_start, self.pos);
        if integer_digits == 0 || (integer_digits > 1 && integer.starts_with('0')) {
            return Err(self.syntax("invalid number"));
        }
        let mut whole = true;
        if self.eat(b'.') {
            whole = false;
            if self.digits() == 0 {
                return Err(self.syntax("invalid number"));
            }
        }
        if self.eat(b'e') || self.eat(b'E') {
            whole = false;
            let _sign = self.eat(b'+') || self.eat(b'-');
            if self.digits() == 0 {
                return Err(self.syntax("invalid number"));
            }
        }
        let text = self.slice(start, self.pos);
        let magnitude = integer.bytes().try_fold(0u64, |value, digit| {
            value.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
        });
        Ok(match (whole, negative, magnitude) {
            (false, _, _) => Token::Unsupported(format!("number {text}")),
            (true, false, Some(value)) => Token::Unsigned(value),
            (true, true, Some(value)) => match 0i64.checked_sub_unsigned(value) {
                Some(value) => Token::Signed(value),
                None => Token::Unsupported(format!("number {text} (out of range)")),
            },
            (true, _, None) => Token::Unsupported(format!("number {text} (out of range)")),
        })
    }

    /// Reads a scalar, or the opening of an array or object. Not generic, so the parsing is
    /// compiled once rather than once per visitor.
    fn token(&mut self) -> Result<Token<'de>, Error> {
        self.skip_whitespace();
        match self.peek() {
            None => Err(self.syntax("unexpected end of input")),
            Some(b'n') => self.keyword("null").map(|()| Token::Null),
            Some(b't') => self.keyword("true").map(|()| Token::Bool(true)),
            Some(b'f') => self.keyword("false").map(|()| Token::Bool(false)),
            Some(b'"') => self.string().map(Token::Str),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'[') => self.enter(Segment::Index(None)).map(|()| Token::Array),
            Some(b'{') => self.enter(Segment::Key(None)).map(|()| Token::Object),
            Some(_) => Err(self.syntax("expected a JSON value")),
        }
    }

    /// After a visitor read an array or object: it must have read all of it.
    fn leave(&mut self, ended: bool) -> Result<(), Error> {
        let result = if ended {
            Ok(())
        } else {
            Err(self.syntax("expected fewer elements").locate(&self.path))
        };
        self.path.pop();
        result
    }

    /// An error leaving an array or object.
    fn fail(&mut self, error: Error) -> Error {
        let error = error.locate(&self.path);
        self.path.pop();
        error
    }

    /// Before an element: `Ok(false)` at the end of the array.
    fn element(&mut self, count: usize, ended: &mut bool) -> Result<bool, Error> {
        self.set_segment(Segment::Index(None));
        if *ended {
            return Ok(false);
        }
        self.skip_whitespace();
        if self.eat(b']') {
            *ended = true;
            return Ok(false);
        }
        if count > 0 && !self.eat(b',') {
            return Err(self.syntax("expected ',' or ']'"));
        }
        self.set_segment(Segment::Index(Some(count)));
        Ok(true)
    }

    /// Before a member: its name, `None` at the end of the object.
    fn member(&mut self, first: bool, ended: &mut bool) -> Result<Option<Cow<'de, str>>, Error> {
        self.set_segment(Segment::Key(None));
        if *ended {
            return Ok(None);
        }
        self.skip_whitespace();
        if self.eat(b'}') {
            *ended = true;
            return Ok(None);
        }
        if !first && !self.eat(b',') {
            return Err(self.syntax("expected ',' or '}'"));
        }
        self.skip_whitespace();
        if self.peek() != Some(b'"') {
            return Err(self.syntax("expected a field name in double quotes"));
        }
        let key = self.string()?;
        self.set_segment(Segment::Key(Some(key.to_string())));
        self.skip_whitespace();
        if !self.eat(b':') {
            return Err(self.syntax("expected ':'"));
        }
        Ok(Some(key))
    }
}

/// What [`Reader::token`] found.
enum Token<'de> {
    Null,
    Bool(bool),
    Str(Cow<'de, str>),
    Unsigned(u64),
    Signed(i64),
    /// A number this reader does not represent (fraction, exponent, out of range), described.
    Unsupported(String),
    Array,
    Object,
}

impl<'de> de::Deserializer<'de> for &mut Reader<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.token()? {
            Token::Null => visitor.visit_unit(),
            Token::Bool(value) => visitor.visit_bool(value),
            Token::Str(Cow::Borrowed(text)) => visitor.visit_borrowed_str(text),
            Token::Str(Cow::Owned(text)) => visitor.visit_string(text),
            Token::Unsigned(value) => visitor.visit_u64(value),
            Token::Signed(value) => visitor.visit_i64(value),
            Token::Unsupported(what) => {
                Err(de::Error::invalid_type(Unexpected::Other(&what), &visitor))
            }
            Token::Array => {
                let mut ended = false;
                let elements = Elements {
                    reader: self,
                    count: 0,
                    ended: &mut ended,
                };
                match visitor.visit_seq(elements) {
                    Ok(value) => self.leave(ended).map(|()| value),
                    Err(e) => Err(self.fail(e)),
                }
            }
            Token::Object => {
                let mut ended = false;
                let members = Members {
                    reader: self,
                    first: true,
                    ended: &mut ended,
                };
                match visitor.visit_map(members) {
                    Ok(value) => self.leave(ended).map(|()| value),
                    Err(e) => Err(self.fail(e)),
                }
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.skip_whitespace();
        if self.peek() == Some(b'n') {
            self.keyword("null")?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    /// `"Variant"` for a unit variant, `{"Variant": value}` for the others.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.skip_whitespace();
        match self.peek() {
            Some(b'"') => visitor.visit_enum(self.string()?.into_deserializer()),
            Some(b'{') => {
                self.enter(Segment::Key(None))?;
                self.skip_whitespace();
                if self.peek() != Some(b'"') {
                    return Err(self.syntax("expected a variant name in double quotes"));
                }
                let variant = self.string()?;
                self.set_segment(Segment::Key(Some(variant.to_string())));
                self.skip_whitespace();
                if !self.eat(b':') {
                    return Err(self.syntax("expected ':'"));
                }
                let value = visitor
                    .visit_enum(Variant {
                        reader: &mut *self,
                        name: variant,
                    })
                    .and_then(|value| {
                        self.skip_whitespace();
                        if self.eat(b'}') {
                            Ok(value)
                        } else {
                            Err(self.syntax("expected '}' after the variant's value"))
                        }
                    })
                    .map_err(|e| e.locate(&self.path));
                self.path.pop();
                value
            }
            _ => self.deserialize_any(visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

struct Elements<'a, 'de> {
    reader: &'a mut Reader<'de>,
    count: usize,
    ended: &'a mut bool,
}

impl<'de> SeqAccess<'de> for Elements<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if !self.reader.element(self.count, self.ended)? {
            return Ok(None);
        }
        self.count += 1;
        seed.deserialize(&mut *self.reader)
            .map(Some)
            .map_err(|e| e.locate(&self.reader.path))
    }
}

struct Members<'a, 'de> {
    reader: &'a mut Reader<'de>,
    first: bool,
    ended: &'a mut bool,
}

impl<'de> MapAccess<'de> for Members<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let first = std::mem::replace(&mut self.first, false);
        let Some(key) = self.reader.member(first, self.ended)? else {
            return Ok(None);
        };
        seed.deserialize(key.into_deserializer())
            .map(Some)
            .map_err(|e: Error| e.locate(&self.reader.path))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(&mut *self.reader)
            .map_err(|e| e.locate(&self.reader.path))
    }
}

struct Variant<'a, 'de> {
    reader: &'a mut Reader<'de>,
    name: Cow<'de, str>,
}

impl<'a, 'de> EnumAccess<'de> for Variant<'a, 'de> {
    type Error = Error;
    type Variant = &'a mut Reader<'de>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), Error> {
        let name = seed.deserialize(self.name.into_deserializer())?;
        Ok((name, self.reader))
    }
}

impl<'de> VariantAccess<'de> for &mut Reader<'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        de::Deserialize::deserialize(self)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_any(self, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_any(self, visitor)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        #[serde(default)]
        flag: bool,
        count: Option<u32>,
        delta: Option<i64>,
        #[serde(default)]
        names: Vec<String>,
        #[serde(default)]
        items: Vec<Item>,
        #[serde(default)]
        map: BTreeMap<String, String>,
        mode: Option<Mode>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Item {
        name: String,
        #[serde(default)]
        tags: Vec<String>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Mode {
        Quiet,
        Loud(u32),
    }

    fn read(text: &str) -> Result<Doc, Error> {
        from_slice(text.as_bytes())
    }

    fn field_of(text: &str) -> String {
        match read(text) {
            Ok(doc) => panic!("accepted {text}: {doc:?}"),
            Err(e) => e.field,
        }
    }

    #[test]
    fn reads_a_document() {
        let doc = read(
            r#" {"flag": true, "count": 42, "delta": -7, "names": ["a", "b\"c\\\/\n\t\u00e9\ud83d\ude80"],
                "items": [{"name": "x", "tags": []}, {"name": "y", "tags": ["t"]}],
                "map": {"k": "v", "K2": ""}, "mode": "quiet"} "#,
        )
        .unwrap();
        assert!(doc.flag);
        assert_eq!(doc.count, Some(42));
        assert_eq!(doc.delta, Some(-7));
        assert_eq!(doc.names, ["a", "b\"c\\/\n\té🚀"]);
        assert_eq!(doc.items[1].tags, ["t"]);
        assert_eq!(doc.map["K2"], "");
        assert_eq!(doc.mode, Some(Mode::Quiet));
        assert_eq!(
            read(r#"{"mode": {"loud": 3}}"#).unwrap().mode,
            Some(Mode::Loud(3))
        );
        assert_eq!(read(r#"{"count": null}"#).unwrap().count, None);
        assert_eq!(
            read(r#"{"delta": -9223372036854775808}"#).unwrap().delta,
            Some(i64::MIN)
        );
        assert_eq!(read("{}").unwrap(), read(" { } ").unwrap());
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            (r#"{"flg": true}"#, "flg"),
            (r#"{"flag": "yes"}"#, "flag"),
            (r#"{"flag": true, "flag": false}"#, "flag"),
            (r#"{"count": -1}"#, "count"),
            (r#"{"count": 1.5}"#, "count"),
            (r#"{"count": 1e3}"#, "count"),
            (r#"{"count": 99999999999999999999}"#, "count"),
            (r#"{"delta": -9223372036854775809}"#, "delta"),
            (r#"{"names": ["a", 1]}"#, "names[1]"),
            (
                r#"{"items": [{"name": "x"}, {"nam": "y"}]}"#,
                "items[1].nam",
            ),
            (r#"{"items": [{"name": "x"}, {}]}"#, "items[1]"),
            (
                r#"{"items": [{"name": "x", "tags": [true]}]}"#,
                "items[0].tags[0]",
            ),
            (r#"{"map": {"a b": 1}}"#, "map.a b"),
            (r#"{"mode": "noisy"}"#, "mode"),
            (r#"{"mode": {"loud": "x"}}"#, "mode.loud"),
            (r#"{"names": ["a" "b"]}"#, "names"),
            (r#"{"names": ["a",]}"#, "names[1]"),
            (r#"{"flag": true"#, "."),
            (r#"{"flag": true,}"#, "."),
            (r#"{"flag": tru}"#, "flag"),
            (r#"{"count": 01}"#, "count"),
            (r#"{"count": -}"#, "count"),
            (r#"{"names": ["\x"]}"#, "names[0]"),
            (r#"{"names": ["\ud800"]}"#, "names[0]"),
            ("{\"names\": [\"a\nb\"]}", "names[0]"),
            (r#"{"names": ["unterminated]}"#, "names[0]"),
            (r#"{flag: true}"#, "."),
            (r#"{} {}"#, "."),
            (r#"[]"#, "."),
            (r#""#, "."),
            (r#"nul"#, "."),
        ];
        for (text, field) in cases {
            assert_eq!(field_of(text), field, "{text}");
        }
        let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(from_slice::<de::IgnoredAny>(nested(MAX_DEPTH).as_bytes()).is_ok());
        let too_deep = from_slice::<de::IgnoredAny>(nested(100).as_bytes()).unwrap_err();
        assert!(
            too_deep.message.starts_with("nested too deeply"),
            "{too_deep}"
        );
        assert_eq!(
            from_slice::<Doc>(b"{\"names\": [\"\xff\"]}")
                .unwrap_err()
                .field,
            "."
        );
    }

    #[test]
    fn messages_say_what_is_wrong_and_where() {
        let message = |text: &str| read(text).unwrap_err().message;
        assert_eq!(
            message(r#"{"flag": "yes"}"#),
            r#"invalid type: string "yes", expected a boolean"#
        );
        assert_eq!(
            message(r#"{"count": 1.5}"#),
            "invalid type: number 1.5, expected u32"
        );
        assert_eq!(
            message(r#"{"count": -1}"#),
            "invalid value: integer `-1`, expected u32"
        );
        assert!(message(r#"{"flg": 1}"#).starts_with("unknown field `flg`, expected one of `flag`"));
        assert_eq!(
            message("{\n  \"flag\": true\n  \"count\": 1}"),
            "expected ',' or '}' at line 3 column 3"
        );
        assert_eq!(
            message(r#"{} x"#),
            "unexpected data after the configuration at line 1 column 4"
        );
    }
}
