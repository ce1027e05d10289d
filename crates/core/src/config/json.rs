//! The JSON text of a configuration, byte by byte: whitespace, literals, numbers, strings, and
//! whole values checked and skipped. Syntax errors are typed ([`Syntax`]) and placed where
//! serde_json places them (`line 5, column 22`: the byte that was read last, or peeked at), so
//! their wording stays what operators have seen; `reader.rs` builds values on top of this.

use std::borrow::Cow;

/// Nesting deeper than this is refused (serde_json's limit).
const MAX_DEPTH: usize = 127;

/// What is wrong with the JSON text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Syntax {
    KeyMustBeAString,
    TrailingComma,
    ExpectedColon,
    ExpectedObjectCommaOrEnd,
    ExpectedListCommaOrEnd,
    /// `tru`, `nul`: a literal misspelt.
    ExpectedSomeIdent,
    ExpectedSomeValue,
    EofWhileParsingObject,
    EofWhileParsingList,
    EofWhileParsingString,
    EofWhileParsingValue,
    InvalidEscape,
    InvalidNumber,
    NumberOutOfRange,
    ControlCharacterInString,
    /// A `\uXXXX` escape that is not a character (a lone surrogate).
    InvalidUnicodeEscape,
    /// Bytes in a string that are not UTF-8.
    NotUtf8,
    RecursionLimitExceeded,
    TrailingCharacters,
}

/// A syntax error and where: line and column from 1, as editors count (in bytes); `here` is the
/// byte at that place, for hints such as "JSON needs double quotes".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub(crate) syntax: Syntax,
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) here: Option<u8>,
}

/// A JSON number as serde_json reads it: integers that fit stay integers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Number {
    Unsigned(u64),
    Negative(i64),
    Float(f64),
}

/// A position in the text and the reading primitives.
pub(crate) struct Lexer<'t> {
    text: &'t [u8],
    index: usize,
}

impl<'t> Lexer<'t> {
    pub(crate) fn new(text: &'t [u8]) -> Lexer<'t> {
        Lexer { text, index: 0 }
    }

    /// Bytes read so far (where the next value starts, once whitespace is skipped).
    pub(crate) fn offset(&self) -> usize {
        self.index
    }

    /// The next byte after whitespace, not consumed.
    pub(crate) fn peek(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.text.get(self.index) {
            self.index += 1;
        }
        self.text.get(self.index).copied()
    }

    pub(crate) fn eat(&mut self) {
        self.index += 1;
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.text.get(self.index).copied();
        if byte.is_some() {
            self.index += 1;
        }
        byte
    }

    /// An error at the byte read last.
    pub(crate) fn error(&self, syntax: Syntax) -> SyntaxError {
        self.error_at(self.index, 0).with(syntax)
    }

    /// An error at the byte peeked at (the last byte at the end of the text).
    pub(crate) fn peek_error(&self, syntax: Syntax) -> SyntaxError {
        self.error_at((self.index + 1).min(self.text.len()), 0)
            .with(syntax)
    }

    /// Where the first `index` bytes end, `back` columns earlier.
    fn error_at(&self, index: usize, back: usize) -> SyntaxError {
        let before = &self.text[..index];
        let start_of_line = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |newline| newline + 1);
        let mut line = 1 + before[..start_of_line]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        let mut column = (index - start_of_line).saturating_sub(back);
        // serde_json says column 0 for a line break itself: that is the end of the line before.
        if column == 0 && line > 1 {
            let previous = before[..start_of_line - 1]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |newline| newline + 1);
            line -= 1;
            column = start_of_line - previous;
            return SyntaxError {
                syntax: Syntax::TrailingCharacters,
                line,
                column,
                here: self.text.get(start_of_line - 1).copied(),
            };
        }
        SyntaxError {
            syntax: Syntax::TrailingCharacters,
            line,
            column,
            here: column
                .checked_sub(1)
                .and_then(|offset| self.text.get(start_of_line + offset))
                .copied(),
        }
    }

    /// The rest of `true`, `false` or `null` once its first byte is read.
    pub(crate) fn literal(&mut self, rest: &[u8]) -> Result<(), SyntaxError> {
        for expected in rest {
            match self.next() {
                None => return Err(self.error(Syntax::EofWhileParsingValue)),
                Some(byte) if byte != *expected => {
                    return Err(self.error(Syntax::ExpectedSomeIdent))
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// A number starting at the next byte (`-` or a digit).
    pub(crate) fn number(&mut self) -> Result<Number, SyntaxError> {
        let start = self.index;
        let negative = self.text.get(self.index) == Some(&b'-');
        if negative {
            self.eat();
        }
        let mut all_zero = true;
        let mut integer: Option<u64> = Some(0);
        match self.next() {
            None => return Err(self.error(Syntax::EofWhileParsingValue)),
            Some(b'0') => {
                if let Some(b'0'..=b'9') = self.text.get(self.index) {
                    return Err(self.peek_error(Syntax::InvalidNumber));
                }
            }
            Some(digit @ b'1'..=b'9') => {
                all_zero = false;
                integer = Some(u64::from(digit - b'0'));
                while let Some(&digit @ b'0'..=b'9') = self.text.get(self.index) {
                    self.eat();
                    integer = integer
                        .and_then(|n| n.checked_mul(10))
                        .and_then(|n| n.checked_add(u64::from(digit - b'0')));
                }
            }
            Some(_) => return Err(self.error(Syntax::InvalidNumber)),
        }
        let mut float = false;
        if self.text.get(self.index) == Some(&b'.') {
            float = true;
            self.eat();
            let digits = self.digits(&mut all_zero);
            if digits == 0 {
                return Err(self.peek_error(match self.text.get(self.index) {
                    Some(_) => Syntax::InvalidNumber,
                    None => Syntax::EofWhileParsingValue,
                }));
            }
        }
        if let Some(b'e' | b'E') = self.text.get(self.index) {
            float = true;
            self.eat();
            let positive = match self.text.get(self.index) {
                Some(b'-') => {
                    self.eat();
                    false
                }
                Some(b'+') => {
                    self.eat();
                    true
                }
                _ => true,
            };
            let mut exponent: i32 = match self.next() {
                None => return Err(self.error(Syntax::EofWhileParsingValue)),
                Some(digit @ b'0'..=b'9') => i32::from(digit - b'0'),
                Some(_) => return Err(self.error(Syntax::InvalidNumber)),
            };
            while let Some(&digit @ b'0'..=b'9') = self.text.get(self.index) {
                self.eat();
                match exponent
                    .checked_mul(10)
                    .and_then(|n| n.checked_add(i32::from(digit - b'0')))
                {
                    Some(next) => exponent = next,
                    // serde_json gives up here on a huge positive exponent of a non-zero number.
                    None if positive && !all_zero => {
                        return Err(self.error(Syntax::NumberOutOfRange))
                    }
                    None => exponent = i32::MAX,
                }
            }
        }
        match (float, integer, negative) {
            (false, Some(n), false) => return Ok(Number::Unsigned(n)),
            (false, Some(n), true) if n <= 1 << 63 => {
                // `-0` and everything down to i64::MIN.
                return Ok(Number::Negative(0i64.wrapping_sub_unsigned(n)));
            }
            _ => {}
        }
        let written = std::str::from_utf8(&self.text[start..self.index]).unwrap_or("0");
        match written.parse::<f64>() {
            Ok(value) if value.is_finite() => Ok(Number::Float(value)),
            _ => Err(self.error(Syntax::NumberOutOfRange)),
        }
    }

    fn digits(&mut self, all_zero: &mut bool) -> usize {
        let mut count = 0;
        while let Some(&digit @ b'0'..=b'9') = self.text.get(self.index) {
            self.eat();
            *all_zero &= digit == b'0';
            count += 1;
        }
        count
    }

    /// A string whose opening quote was read last: borrowed from the text unless it has escapes.
    pub(crate) fn string(&mut self) -> Result<Cow<'t, str>, SyntaxError> {
        let start = self.index;
        let mut decoded: Option<Vec<u8>> = None;
        let mut copied = start;
        loop {
            let Some(&byte) = self.text.get(self.index) else {
                return Err(self.error(Syntax::EofWhileParsingString));
            };
            match byte {
                b'"' => {
                    let bytes = match &mut decoded {
                        Some(buffer) => {
                            buffer.extend_from_slice(&self.text[copied..self.index]);
                            Cow::Owned(std::mem::take(buffer))
                        }
                        None => Cow::Borrowed(&self.text[start..self.index]),
                    };
                    self.eat();
                    return self.utf8(bytes);
                }
                b'\\' => {
                    let buffer = decoded.get_or_insert_with(Vec::new);
                    buffer.extend_from_slice(&self.text[copied..self.index]);
                    self.eat();
                    self.escape(buffer)?;
                    copied = self.index;
                }
                0x00..=0x1f => {
                    self.eat();
                    return Err(self.error(Syntax::ControlCharacterInString));
                }
                _ => self.eat(),
            }
        }
    }

    fn utf8(&self, bytes: Cow<'t, [u8]>) -> Result<Cow<'t, str>, SyntaxError> {
        let length = bytes.len();
        let checked = match bytes {
            Cow::Borrowed(bytes) => std::str::from_utf8(bytes).map(Cow::Borrowed),
            Cow::Owned(bytes) => String::from_utf8(bytes)
                .map(Cow::Owned)
                .map_err(|e| e.utf8_error()),
        };
        // serde_json points back from the closing quote by the decoded bytes after the valid
        // ones (approximate when the string has escapes).
        checked.map_err(|e| {
            self.error_at(self.index, length - e.valid_up_to())
                .with(Syntax::NotUtf8)
        })
    }

    /// An escape after its backslash, appended to `buffer` as UTF-8 (WTF-8 for what the checks
    /// below let through, which is nothing unpaired).
    fn escape(&mut self, buffer: &mut Vec<u8>) -> Result<(), SyntaxError> {
        let Some(byte) = self.next() else {
            return Err(self.error(Syntax::EofWhileParsingString));
        };
        let simple = match byte {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => return self.unicode_escape(buffer),
            _ => return Err(self.error(Syntax::InvalidEscape)),
        };
        buffer.push(simple);
        Ok(())
    }

    fn hex_escape(&mut self) -> Result<u16, SyntaxError> {
        let Some(digits) = self.text.get(self.index..self.index + 4) else {
            self.index = self.text.len();
            return Err(self.error(Syntax::EofWhileParsingString));
        };
        self.index += 4;
        digits
            .iter()
            .try_fold(0u16, |value, &digit| {
                crate::bytes::hex_value(digit).map(|digit| value << 4 | u16::from(digit))
            })
            .ok_or_else(|| self.error(Syntax::InvalidEscape))
    }

    fn unicode_escape(&mut self, buffer: &mut Vec<u8>) -> Result<(), SyntaxError> {
        let first = self.hex_escape()?;
        let code = match first {
            0xdc00..=0xdfff => return Err(self.error(Syntax::InvalidUnicodeEscape)),
            0xd800..=0xdbff => {
                for expected in [b'\\', b'u'] {
                    match self.text.get(self.index) {
                        None => return Err(self.error(Syntax::EofWhileParsingString)),
                        Some(&byte) => {
                            self.eat();
                            if byte != expected {
                                return Err(self.error(Syntax::InvalidUnicodeEscape));
                            }
                        }
                    }
                }
                let second = self.hex_escape()?;
                if !(0xdc00..=0xdfff).contains(&second) {
                    return Err(self.error(Syntax::InvalidUnicodeEscape));
                }
                0x1_0000 + ((u32::from(first) - 0xd800) << 10 | (u32::from(second) - 0xdc00))
            }
            code => u32::from(code),
        };
        let character = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
        let mut encoded = [0; 4];
        buffer.extend_from_slice(character.encode_utf8(&mut encoded).as_bytes());
        Ok(())
    }

    /// A `:` after an object's key.
    pub(crate) fn colon(&mut self) -> Result<(), SyntaxError> {
        match self.peek() {
            Some(b':') => {
                self.eat();
                Ok(())
            }
            Some(_) => Err(self.peek_error(Syntax::ExpectedColon)),
            None => Err(self.peek_error(Syntax::EofWhileParsingObject)),
        }
    }

    /// Before the next item of a list (`first`: none was read yet): `true` when there is one
    /// (its first byte not consumed), `false` at the `]` (consumed).
    pub(crate) fn next_item(&mut self, first: bool) -> Result<bool, SyntaxError> {
        self.next_entry(first, b']')
    }

    /// Before the next member of an object: `true` when there is one, its key's opening quote
    /// consumed; `false` at the `}` (consumed).
    pub(crate) fn next_member(&mut self, first: bool) -> Result<bool, SyntaxError> {
        if !self.next_entry(first, b'}')? {
            return Ok(false);
        }
        match self.peek() {
            Some(b'"') => {
                self.eat();
                Ok(true)
            }
            _ => Err(self.peek_error(Syntax::KeyMustBeAString)),
        }
    }

    fn next_entry(&mut self, first: bool, close: u8) -> Result<bool, SyntaxError> {
        let (missing_comma, eof) = match close {
            b']' => (Syntax::ExpectedListCommaOrEnd, Syntax::EofWhileParsingList),
            _ => (
                Syntax::ExpectedObjectCommaOrEnd,
                Syntax::EofWhileParsingObject,
            ),
        };
        let next = match self.peek() {
            Some(byte) if byte == close => {
                self.eat();
                return Ok(false);
            }
            Some(b',') if !first => {
                self.eat();
                self.peek()
            }
            Some(byte) if first => Some(byte),
            Some(_) => return Err(self.peek_error(missing_comma)),
            None => return Err(self.peek_error(eof)),
        };
        match next {
            Some(byte) if byte == close => Err(self.peek_error(Syntax::TrailingComma)),
            Some(_) => Ok(true),
            None => Err(self.peek_error(Syntax::EofWhileParsingValue)),
        }
    }

    /// Opens a list or an object (`[` or `{` peeked), within the depth limit.
    pub(crate) fn open(&mut self, depth: &mut usize) -> Result<(), SyntaxError> {
        if *depth >= MAX_DEPTH {
            return Err(self.peek_error(Syntax::RecursionLimitExceeded));
        }
        *depth += 1;
        self.eat();
        Ok(())
    }

    /// Checks and skips one value (`depth`: lists and objects around it).
    pub(crate) fn skip_value(&mut self, depth: usize) -> Result<(), SyntaxError> {
        let mut depth = depth;
        match self.peek() {
            None => Err(self.peek_error(Syntax::EofWhileParsingValue)),
            Some(b'n') => self.eat_literal(b"ull"),
            Some(b't') => self.eat_literal(b"rue"),
            Some(b'f') => self.eat_literal(b"alse"),
            Some(b'-' | b'0'..=b'9') => self.number().map(drop),
            Some(b'"') => {
                self.eat();
                self.string().map(drop)
            }
            Some(b'[') => {
                self.open(&mut depth)?;
                let mut first = true;
                while self.next_item(first)? {
                    first = false;
                    self.skip_value(depth)?;
                }
                Ok(())
            }
            Some(b'{') => {
                self.open(&mut depth)?;
                let mut first = true;
                while self.next_member(first)? {
                    first = false;
                    self.string()?;
                    self.colon()?;
                    self.skip_value(depth)?;
                }
                Ok(())
            }
            Some(_) => Err(self.peek_error(Syntax::ExpectedSomeValue)),
        }
    }

    fn eat_literal(&mut self, rest: &[u8]) -> Result<(), SyntaxError> {
        self.eat();
        self.literal(rest)
    }

    /// Checks the whole text: one value and nothing after it but whitespace.
    pub(crate) fn check_document(&mut self) -> Result<(), SyntaxError> {
        self.skip_value(0)?;
        match self.peek() {
            Some(_) => Err(self.peek_error(Syntax::TrailingCharacters)),
            None => Ok(()),
        }
    }
}

impl SyntaxError {
    fn with(mut self, syntax: Syntax) -> SyntaxError {
        self.syntax = syntax;
        self
    }
}
