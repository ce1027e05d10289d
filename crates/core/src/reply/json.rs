//! A tiny JSON object writer for the documents the plugin sends (the status document, problem
//! details). Hand-written rather than serde's serializer, which costs far more wasm than the
//! few flat objects need; its output is what `serde_json::to_string` writes (compact, members
//! in the order given, the same string escapes), and the tests check that.

/// Writes one JSON object, member by member, in the order of the calls.
pub(crate) struct Object {
    text: String,
}

impl Object {
    pub(crate) fn new() -> Self {
        // The documents are a few hundred bytes: one allocation rather than one per doubling.
        let mut text = String::with_capacity(256);
        text.push('{');
        Object { text }
    }

    fn key(&mut self, name: &str) {
        if self.text.len() > 1 {
            self.text.push(',');
        }
        push_string(&mut self.text, name);
        self.text.push(':');
    }

    pub(crate) fn string(&mut self, name: &str, value: &str) -> &mut Self {
        self.key(name);
        push_string(&mut self.text, value);
        self
    }

    /// A string, or `null` for `None`.
    pub(crate) fn string_or_null(&mut self, name: &str, value: Option<&str>) -> &mut Self {
        match value {
            Some(value) => self.string(name, value),
            None => self.raw(name, "null"),
        }
    }

    pub(crate) fn bool(&mut self, name: &str, value: bool) -> &mut Self {
        self.raw(name, if value { "true" } else { "false" })
    }

    pub(crate) fn number(&mut self, name: &str, value: u16) -> &mut Self {
        self.raw(name, &value.to_string())
    }

    /// A member whose value is already JSON (`null`, a number, a nested object's text).
    pub(crate) fn raw(&mut self, name: &str, json: &str) -> &mut Self {
        self.key(name);
        self.text.push_str(json);
        self
    }

    pub(crate) fn finish(&mut self) -> String {
        let mut text = std::mem::take(&mut self.text);
        text.push('}');
        text
    }
}

/// `value` as a JSON string: `"` and `\` escaped, control characters as `\n`-style or `\u00XX`
/// escapes, everything else (non-ASCII included) as is.
fn push_string(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let byte = c as u8;
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 0x0f)]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_as_serde_json_does() {
        let mut every: String = (0u32..0x80).filter_map(char::from_u32).collect();
        every.push_str("é€😀\u{7f}\u{2028}\"\\/");
        for text in [
            "",
            "plain",
            "a\"b\\c",
            "line\nbreak\r\ttab",
            "\u{0}\u{1f}",
            every.as_str(),
        ] {
            let mut ours = String::new();
            push_string(&mut ours, text);
            assert_eq!(ours, serde_json::to_string(text).unwrap(), "{text:?}");
            let back: String = serde_json::from_str(&ours).unwrap();
            assert_eq!(back, text);
        }
    }

    #[test]
    fn objects_keep_member_order_and_types() {
        assert_eq!(Object::new().finish(), "{}");
        let text = Object::new()
            .bool("on", true)
            .bool("off", false)
            .number("status", 503)
            .string("title", "Back \"soon\"")
            .string_or_null("until", None)
            .string_or_null("since", Some("x"))
            .raw("next", "{\"a\":1}")
            .finish();
        assert_eq!(
            text,
            r#"{"on":true,"off":false,"status":503,"title":"Back \"soon\"","until":null,"since":"x","next":{"a":1}}"#
        );
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["next"]["a"], 1);
    }
}
