//! Reads the configuration into the schema's types through their serde derives, with a
//! `serde::Deserializer` of its own over the JSON text whose error is a [`Problem`]:
//! - it knows the field path of every value, and places each problem there;
//! - it answers a type mismatch itself, from what the schema asked for (`deserialize_bool` met
//!   `"yes"`: expected true or false, got "yes"), and refuses a list where an object is asked
//!   for (serde's derives would read an object's fields from a list, in order);
//! - unknown and repeated fields are recorded and skipped, and reading goes on;
//! - any other problem stops the pass; the value at fault is then skipped (as if absent) and
//!   the text read again, so one reading reports every problem, up to [`MAX_PROBLEMS`].
//!
//! The text's syntax is checked before (`Lexer::check_document`): a pass meets no syntax error.

use std::borrow::Cow;
use std::cell::Cell;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};

use super::json::{Lexer, Number, Syntax};
use super::problem::{Expected, FieldPath, Got, Kind, Problem, Step};

/// Reading stops looking for more after this many problems.
pub(crate) const MAX_PROBLEMS: usize = 100;

/// One step of the path being read; keys are borrowed from the text.
#[derive(Clone)]
enum At<'t> {
    Key(Cow<'t, str>),
    Index(usize),
}

/// What reading found.
pub(super) struct Reading<T> {
    /// The value, when the last pass got through (with the values at fault skipped).
    pub(super) value: Option<T>,
    /// Every problem met, in reading order.
    pub(super) problems: Vec<Problem>,
    /// The values skipped.
    pub(super) skipped: Vec<FieldPath>,
}

/// Reads `T` from `text`, whose syntax is valid.
pub(super) fn read<T: DeserializeOwned>(text: &[u8]) -> Reading<T> {
    let mut skips: Vec<FieldPath> = Vec::new();
    let mut problems: Vec<Problem> = Vec::new();
    loop {
        let mut reader = Reader {
            lexer: Lexer::new(text),
            path: Vec::new(),
            depth: 0,
            skips: &skips,
            found: Vec::new(),
        };
        let result = T::deserialize(&mut reader);
        for problem in reader.found {
            if !problems.contains(&problem) {
                problems.push(problem);
            }
        }
        let problem = match result {
            Ok(value) => {
                problems.sort_by_key(Problem::offset);
                return Reading {
                    value: Some(value),
                    problems,
                    skipped: skips,
                };
            }
            Err(problem) => problem,
        };
        let place = problem.place();
        // A required field missing because its value was skipped is no news.
        let consequence = match problem.kind() {
            Kind::Missing(name) => {
                let field = place.key(name);
                problems.iter().any(|p| p.place() == field)
            }
            _ => false,
        };
        if !consequence && !problems.contains(&problem) {
            problems.push(problem);
        }
        if place.is_document() || skips.contains(&place) || problems.len() >= MAX_PROBLEMS {
            if problems.len() >= MAX_PROBLEMS {
                let count = problems.len();
                problems.push(Problem::new(
                    FieldPath::default(),
                    Kind::TooMany(count),
                    usize::MAX,
                ));
            }
            problems.sort_by_key(Problem::offset);
            return Reading {
                value: None,
                problems,
                skipped: skips,
            };
        }
        skips.push(place);
    }
}

struct Reader<'t, 's> {
    lexer: Lexer<'t>,
    path: Vec<At<'t>>,
    /// Lists and objects around the value being read.
    depth: usize,
    /// Values to read as if absent (each had a problem in an earlier pass).
    skips: &'s [FieldPath],
    /// Problems that did not stop this pass.
    found: Vec<Problem>,
}

impl<'t> Reader<'t, '_> {
    fn field_path(&self) -> FieldPath {
        FieldPath::new(
            self.path
                .iter()
                .map(|at| match at {
                    At::Key(key) => Step::Key(key.to_string()),
                    At::Index(index) => Step::Index(*index),
                })
                .collect(),
        )
    }

    fn problem(&self, kind: Kind, offset: usize) -> Problem {
        Problem::new(self.field_path(), kind, offset)
    }

    /// Places a problem raised by a visitor or a domain type at the value being read.
    fn place(&self, problem: Problem, offset: usize) -> Problem {
        problem.placed(|| self.field_path(), offset)
    }

    fn skipped(&self) -> bool {
        !self.skips.is_empty()
            && self.skips.iter().any(|skip| {
                skip.steps().len() == self.path.len()
                    && skip
                        .steps()
                        .iter()
                        .zip(&self.path)
                        .all(|(step, at)| match (step, at) {
                            (Step::Key(name), At::Key(key)) => name == key,
                            (Step::Index(a), At::Index(b)) => a == b,
                            _ => false,
                        })
            })
    }

    /// The first byte of the next value, not consumed.
    fn start(&mut self) -> Result<u8, Problem> {
        match self.lexer.peek() {
            Some(byte) => Ok(byte),
            None => Err(Problem::syntax(
                self.lexer.peek_error(Syntax::EofWhileParsingValue),
            )),
        }
    }

    fn skip_value(&mut self) -> Result<(), Problem> {
        self.lexer.skip_value(self.depth).map_err(Problem::syntax)
    }

    fn number(&mut self) -> Result<Number, Problem> {
        self.lexer.number().map_err(Problem::syntax)
    }

    fn string(&mut self) -> Result<Cow<'t, str>, Problem> {
        self.lexer.eat();
        self.lexer.string().map_err(Problem::syntax)
    }

    fn literal(&mut self, rest: &[u8]) -> Result<(), Problem> {
        self.lexer.eat();
        self.lexer.literal(rest).map_err(Problem::syntax)
    }

    /// Reads the value that is there instead of the one expected.
    fn found(&mut self) -> Result<Got, Problem> {
        Ok(match self.start()? {
            b'n' => {
                self.literal(b"ull")?;
                Got::Null
            }
            b't' => {
                self.literal(b"rue")?;
                Got::Bool(true)
            }
            b'f' => {
                self.literal(b"alse")?;
                Got::Bool(false)
            }
            b'-' | b'0'..=b'9' => match self.number()? {
                Number::Unsigned(n) => Got::Integer(n.into()),
                Number::Negative(n) => Got::Integer(n.into()),
                Number::Float(value) => Got::Float(value),
            },
            b'"' => Got::Text(self.string()?.into_owned()),
            b'[' => {
                self.skip_value()?;
                Got::List
            }
            b'{' => {
                self.skip_value()?;
                Got::Object
            }
            _ => {
                return Err(Problem::syntax(
                    self.lexer.peek_error(Syntax::ExpectedSomeValue),
                ))
            }
        })
    }

    /// The problem of a value of another JSON type than `expected`.
    fn wrong(&mut self, expected: Expected) -> Problem {
        let offset = self.lexer.offset();
        match self.found() {
            Ok(got) => self.problem(Kind::WrongType { expected, got }, offset),
            Err(problem) => problem,
        }
    }

    /// A whole number up to `max`.
    fn unsigned<'de, V: Visitor<'de>>(
        &mut self,
        max: u64,
        visitor: V,
    ) -> Result<V::Value, Problem> {
        let offset = self.lexer.offset();
        match self.start()? {
            b'-' | b'0'..=b'9' => match self.number()? {
                Number::Unsigned(n) if n <= max => visitor.visit_u64(n),
                Number::Unsigned(n) => {
                    Err(self.problem(Kind::OutOfRange { got: n.into(), max }, offset))
                }
                Number::Negative(n) => {
                    Err(self.problem(Kind::OutOfRange { got: n.into(), max }, offset))
                }
                Number::Float(value) => Err(self.problem(
                    Kind::WrongType {
                        expected: Expected::WholeNumber,
                        got: Got::Float(value),
                    },
                    offset,
                )),
            },
            _ => Err(self.wrong(Expected::WholeNumber)),
        }
    }

    /// A whole number, negative or not (the visitor checks its range).
    fn signed<'de, V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Problem> {
        let offset = self.lexer.offset();
        match self.start()? {
            b'-' | b'0'..=b'9' => match self.number()? {
                Number::Unsigned(n) => visitor.visit_u64(n),
                Number::Negative(n) => visitor.visit_i64(n),
                Number::Float(value) => Err(self.problem(
                    Kind::WrongType {
                        expected: Expected::WholeNumber,
                        got: Got::Float(value),
                    },
                    offset,
                )),
            },
            _ => Err(self.wrong(Expected::WholeNumber)),
        }
    }

    /// Consumes what is left of a list or object a visitor did not read to its end.
    fn finish(&mut self, close: u8, mut first: bool) -> Result<(), Problem> {
        loop {
            let more = match close {
                b']' => self.lexer.next_item(first),
                _ => self.lexer.next_member(first),
            }
            .map_err(Problem::syntax)?;
            if !more {
                return Ok(());
            }
            if close == b'}' {
                self.lexer.string().map_err(Problem::syntax)?;
                self.lexer.colon().map_err(Problem::syntax)?;
            }
            self.skip_value()?;
            first = false;
        }
    }

    fn object<'de, V: Visitor<'de>>(
        &mut self,
        fields: Option<&'static [&'static str]>,
        visitor: V,
    ) -> Result<V::Value, Problem>
    where
        't: 'de,
    {
        let offset = self.lexer.offset();
        self.lexer.open(&mut self.depth).map_err(Problem::syntax)?;
        let saved = self.path.len();
        let mut members = Members {
            reader: &mut *self,
            fields,
            seen: Vec::new(),
            first: true,
            done: false,
        };
        let result = visitor.visit_map(&mut members);
        let (first, done) = (members.first, members.done);
        self.path.truncate(saved);
        self.depth -= 1;
        match result {
            Ok(value) => {
                if !done {
                    self.finish(b'}', first)?;
                }
                Ok(value)
            }
            Err(problem) => Err(self.place(problem, offset)),
        }
    }
}

impl<'de, 't: 'de> de::Deserializer<'de> for &mut Reader<'t, '_> {
    type Error = Problem;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        match self.start()? {
            b'n' => {
                self.literal(b"ull")?;
                visitor.visit_unit()
            }
            b't' => {
                self.literal(b"rue")?;
                visitor.visit_bool(true)
            }
            b'f' => {
                self.literal(b"alse")?;
                visitor.visit_bool(false)
            }
            b'-' | b'0'..=b'9' => match self.number()? {
                Number::Unsigned(n) => visitor.visit_u64(n),
                Number::Negative(n) => visitor.visit_i64(n),
                Number::Float(value) => visitor.visit_f64(value),
            },
            b'"' => match self.string()? {
                Cow::Borrowed(text) => visitor.visit_borrowed_str(text),
                Cow::Owned(text) => visitor.visit_string(text),
            },
            b'[' => self.deserialize_seq(visitor),
            b'{' => self.object(None, visitor),
            _ => Err(Problem::syntax(
                self.lexer.peek_error(Syntax::ExpectedSomeValue),
            )),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        match self.start()? {
            b't' => {
                self.literal(b"rue")?;
                visitor.visit_bool(true)
            }
            b'f' => {
                self.literal(b"alse")?;
                visitor.visit_bool(false)
            }
            _ => Err(self.wrong(Expected::Bool)),
        }
    }

    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        self.unsigned(u8::MAX.into(), visitor)
    }

    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        self.unsigned(u16::MAX.into(), visitor)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        self.unsigned(u32::MAX.into(), visitor)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        self.unsigned(u64::MAX, visitor)
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        self.signed(visitor)
    }

    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        self.signed(visitor)
    }

    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        self.signed(visitor)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        self.signed(visitor)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        match self.start()? {
            b'-' | b'0'..=b'9' => match self.number()? {
                Number::Unsigned(n) => visitor.visit_u64(n),
                Number::Negative(n) => visitor.visit_i64(n),
                Number::Float(value) => visitor.visit_f64(value),
            },
            _ => Err(self.wrong(Expected::Number)),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        match self.start()? {
            b'"' => match self.string()? {
                Cow::Borrowed(text) => visitor.visit_borrowed_str(text),
                Cow::Owned(text) => visitor.visit_string(text),
            },
            _ => Err(self.wrong(Expected::Text)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        self.deserialize_str(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        match self.start()? {
            b'n' => {
                self.literal(b"ull")?;
                visitor.visit_none()
            }
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        match self.start()? {
            b'n' => {
                self.literal(b"ull")?;
                visitor.visit_unit()
            }
            _ => Err(self.wrong(Expected::Null)),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Problem> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Problem> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        let offset = self.lexer.offset();
        if self.start()? != b'[' {
            return Err(self.wrong(Expected::List));
        }
        self.lexer.open(&mut self.depth).map_err(Problem::syntax)?;
        let mut items = Items {
            reader: &mut *self,
            index: 0,
            done: false,
        };
        let result = visitor.visit_seq(&mut items);
        let (first, done) = (items.index == 0, items.done);
        self.depth -= 1;
        match result {
            Ok(value) => {
                if !done {
                    self.finish(b']', first)?;
                }
                Ok(value)
            }
            Err(problem) => Err(self.place(problem, offset)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Problem> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Problem> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        match self.start()? {
            b'{' => self.object(None, visitor),
            _ => {
                let expected = map_expected(visitor);
                Err(self.wrong(expected))
            }
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Problem> {
        match self.start()? {
            b'{' => self.object(Some(fields), visitor),
            // Also a list: serde's derives would take the fields from it in order.
            _ => Err(self.wrong(Expected::Object)),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Problem> {
        match self.start()? {
            b'"' => {
                let variant = self.string()?.into_owned();
                visitor.visit_enum(variant.into_deserializer())
            }
            _ => Err(self.wrong(Expected::Text)),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        self.skip_value()?;
        visitor.visit_unit()
    }
}

/// A list's items.
struct Items<'r, 't, 's> {
    reader: &'r mut Reader<'t, 's>,
    /// Items met so far, skipped ones included (paths keep the written index).
    index: usize,
    /// Whether the closing `]` was read.
    done: bool,
}

impl<'de, 't: 'de> SeqAccess<'de> for Items<'_, 't, '_> {
    type Error = Problem;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Problem> {
        loop {
            let more = self
                .reader
                .lexer
                .next_item(self.index == 0)
                .map_err(Problem::syntax)?;
            if !more {
                self.done = true;
                return Ok(None);
            }
            self.reader.path.push(At::Index(self.index));
            self.index += 1;
            if self.reader.skipped() {
                self.reader.skip_value()?;
                self.reader.path.pop();
                continue;
            }
            let offset = self.reader.lexer.offset();
            let result = seed
                .deserialize(&mut *self.reader)
                .map_err(|problem| self.reader.place(problem, offset));
            self.reader.path.pop();
            return result.map(Some);
        }
    }
}

/// An object's members: a struct's (`fields`: the names it has) or a map's.
struct Members<'r, 't, 's> {
    reader: &'r mut Reader<'t, 's>,
    fields: Option<&'static [&'static str]>,
    seen: Vec<Cow<'t, str>>,
    /// No member read yet.
    first: bool,
    /// Whether the closing `}` was read.
    done: bool,
}

impl<'t> Members<'_, 't, '_> {
    /// Records an unknown or repeated member (whose key is last on the path): `true` when it is
    /// one, to be skipped.
    fn refused(&mut self, key: &str, offset: usize) -> bool {
        let kind = match self.fields {
            Some(fields) if !fields.contains(&key) => Kind::UnknownField {
                name: key.to_string(),
                valid: fields,
            },
            _ if self.seen.iter().any(|seen| seen == key) => match self.fields {
                Some(_) => Kind::DuplicateField(key.to_string()),
                None => Kind::DuplicateKey(key.to_string()),
            },
            _ => return false,
        };
        let at = self.reader.path.len() - 1;
        let parent = FieldPath::new(self.reader.field_path().steps()[..at].to_vec());
        self.reader.found.push(Problem::new(parent, kind, offset));
        true
    }
}

impl<'de, 't: 'de> MapAccess<'de> for Members<'_, 't, '_> {
    type Error = Problem;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Problem> {
        loop {
            let more = self
                .reader
                .lexer
                .next_member(self.first)
                .map_err(Problem::syntax)?;
            if !more {
                self.done = true;
                return Ok(None);
            }
            self.first = false;
            let offset = self.reader.lexer.offset() - 1;
            let key = self.reader.lexer.string().map_err(Problem::syntax)?;
            self.reader.path.push(At::Key(key.clone()));
            if self.reader.skipped() || self.refused(&key, offset) {
                self.reader.lexer.colon().map_err(Problem::syntax)?;
                self.reader.skip_value()?;
                self.reader.path.pop();
                continue;
            }
            self.seen.push(key.clone());
            // The key's own problems (a domain type as key) are the member's.
            return seed
                .deserialize(Key(key))
                .map(Some)
                .map_err(|problem| self.reader.place(problem, offset));
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Problem> {
        self.reader.lexer.colon().map_err(Problem::syntax)?;
        self.reader.lexer.peek();
        let offset = self.reader.lexer.offset();
        let result = seed
            .deserialize(&mut *self.reader)
            .map_err(|problem| self.reader.place(problem, offset));
        self.reader.path.pop();
        result
    }
}

/// An object's key, as a value.
struct Key<'t>(Cow<'t, str>);

impl<'de, 't: 'de> de::Deserializer<'de> for Key<'t> {
    type Error = Problem;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        match self.0 {
            Cow::Borrowed(key) => visitor.visit_borrowed_str(key),
            Cow::Owned(key) => visitor.visit_string(key),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Problem> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

/// What a map should have been, in JSON words: "an object of strings" when its values are
/// strings. Found by handing the map's visitor one entry whose value tells what it is read as
/// (never its key, which a domain type may refuse).
fn map_expected<'de, V: Visitor<'de>>(visitor: V) -> Expected {
    let strings = Cell::new(false);
    // The probe always fails: only what it learnt counts.
    let _ = visitor.visit_map(Probe { strings: &strings });
    match strings.get() {
        true => Expected::ObjectOfStrings,
        false => Expected::Object,
    }
}

struct Probe<'p> {
    strings: &'p Cell<bool>,
}

fn probed() -> Problem {
    de::Error::custom("probed")
}

impl<'de> MapAccess<'de> for Probe<'_> {
    type Error = Problem;

    /// Maps read entry by entry (`next_entry`) are probed; others see an empty object.
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        _: K,
    ) -> Result<Option<K::Value>, Problem> {
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, _: V) -> Result<V::Value, Problem> {
        Err(probed())
    }

    fn next_entry_seed<K: DeserializeSeed<'de>, V: DeserializeSeed<'de>>(
        &mut self,
        _key: K,
        value: V,
    ) -> Result<Option<(K::Value, V::Value)>, Problem> {
        let _ = value.deserialize(ProbeValue {
            strings: self.strings,
        });
        Err(probed())
    }
}

struct ProbeValue<'p> {
    strings: &'p Cell<bool>,
}

impl<'de> de::Deserializer<'de> for ProbeValue<'_> {
    type Error = Problem;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Problem> {
        Err(probed())
    }

    fn deserialize_str<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Problem> {
        self.strings.set(true);
        Err(probed())
    }

    fn deserialize_string<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Problem> {
        self.strings.set(true);
        Err(probed())
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Problem> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf unit
        unit_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}
