//! Languages of the maintenance response: BCP 47 tags (RFC 5646, well-formedness) for the
//! configuration, and the choice among the configured ones by `Accept-Language` (RFC 9110
//! q-values, RFC 4647 section 3.4 lookup: `fr-CA` falls back to `fr`).

use std::fmt;

use serde::Deserialize;

/// Why a configured language tag is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagProblem {
    Empty,
    Malformed { tag: String, flaw: TagFlaw },
}

/// What is wrong in a malformed tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagFlaw {
    TooLong,
    Subtags,
    PrivateUseMissing,
    Language,
    RepeatedVariant,
    Unexpected(String),
    RepeatedExtension,
    EmptyExtension,
}

impl fmt::Display for TagProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (tag, flaw) = match self {
            TagProblem::Empty => return f.write_str("must not be empty"),
            TagProblem::Malformed { tag, flaw } => (tag, flaw),
        };
        write!(f, "{tag:?} is not a BCP 47 language tag (")?;
        match flaw {
            TagFlaw::TooLong => f.write_str("longer than 64 characters")?,
            TagFlaw::Subtags => {
                f.write_str("subtags are 1 to 8 letters or digits, separated by '-'")?
            }
            TagFlaw::PrivateUseMissing => f.write_str("'x' needs a private-use subtag")?,
            TagFlaw::Language => {
                f.write_str("it must start with a 2-3 letter ISO 639 language code such as \"en\"")?
            }
            TagFlaw::RepeatedVariant => f.write_str("a variant is repeated")?,
            TagFlaw::Unexpected(subtag) => write!(f, "unexpected subtag {subtag:?}")?,
            TagFlaw::RepeatedExtension => f.write_str("an extension is repeated")?,
            TagFlaw::EmptyExtension => {
                f.write_str("an extension needs subtags of 2 to 8 characters")?
            }
        }
        f.write_str(")")
    }
}

/// A well-formed BCP 47 language tag from the configuration, as written (see [`check_tag`]);
/// ordered as written, so translations keep a stable order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub struct LanguageTag(String);

impl LanguageTag {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl TryFrom<String> for LanguageTag {
    type Error = TagProblem;

    fn try_from(tag: String) -> Result<LanguageTag, TagProblem> {
        check_tag(&tag).map(|()| LanguageTag(tag))
    }
}

/// Checks that `tag` is a well-formed BCP 47 language tag (`en`, `fr-CA`, `zh-Hant-TW`,
/// `sr-Latn`, `es-419`, `de-CH-1996`, `x-private`); the error says why not. Registry checks
/// (whether `xx` is an assigned language) are left out: well-formed tags are accepted.
pub fn check_tag(tag: &str) -> Result<(), TagProblem> {
    let why = |flaw: TagFlaw| {
        Err(TagProblem::Malformed {
            tag: tag.to_string(),
            flaw,
        })
    };
    if tag.is_empty() {
        return Err(TagProblem::Empty);
    }
    if tag.len() > 64 {
        return why(TagFlaw::TooLong);
    }
    let subtags: Vec<&str> = tag.split('-').collect();
    if subtags
        .iter()
        .any(|s| s.is_empty() || s.len() > 8 || !s.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        return why(TagFlaw::Subtags);
    }
    let alpha = |s: &str| s.bytes().all(|b| b.is_ascii_alphabetic());
    let digit = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mut rest = subtags.as_slice();
    // Private use only: `x-...`.
    if rest[0].eq_ignore_ascii_case("x") {
        return if rest.len() > 1 {
            Ok(())
        } else {
            why(TagFlaw::PrivateUseMissing)
        };
    }
    let language = rest[0];
    // RFC 5646 also reserves 4-8 letter language subtags, but none is assigned: what such a
    // tag most likely is, is a mistake such as "english".
    if !(alpha(language) && (2..=3).contains(&language.len())) {
        return why(TagFlaw::Language);
    }
    rest = &rest[1..];
    // Up to three extended language subtags after a 2-3 letter language.
    let mut extlangs = 0;
    while extlangs < 3 {
        match rest.first() {
            Some(s) if s.len() == 3 && alpha(s) => {
                rest = &rest[1..];
                extlangs += 1;
            }
            _ => break,
        }
    }
    if let Some(s) = rest.first() {
        if s.len() == 4 && alpha(s) {
            rest = &rest[1..]; // script
        }
    }
    if let Some(s) = rest.first() {
        if (s.len() == 2 && alpha(s)) || (s.len() == 3 && digit(s)) {
            rest = &rest[1..]; // region
        }
    }
    let mut variants: Vec<String> = Vec::new();
    while let Some(s) = rest.first() {
        let variant =
            (5..=8).contains(&s.len()) || (s.len() == 4 && s.as_bytes()[0].is_ascii_digit());
        if !variant {
            break;
        }
        let lower = s.to_ascii_lowercase();
        if variants.contains(&lower) {
            return why(TagFlaw::RepeatedVariant);
        }
        variants.push(lower);
        rest = &rest[1..];
    }
    let mut singletons: Vec<u8> = Vec::new();
    while let Some(s) = rest.first() {
        if s.len() != 1 {
            return why(TagFlaw::Unexpected(s.to_string()));
        }
        let singleton = s.as_bytes()[0].to_ascii_lowercase();
        if singleton == b'x' {
            return if rest.len() > 1 {
                Ok(())
            } else {
                why(TagFlaw::PrivateUseMissing)
            };
        }
        if singletons.contains(&singleton) {
            return why(TagFlaw::RepeatedExtension);
        }
        singletons.push(singleton);
        let count = rest[1..].iter().take_while(|s| s.len() >= 2).count();
        if count == 0 {
            return why(TagFlaw::EmptyExtension);
        }
        rest = &rest[1 + count..];
    }
    Ok(())
}

/// The languages a configuration offers: the default (`language`) and each translation's tag,
/// in the order of the configuration's translations.
#[derive(Debug, Clone, Default)]
pub struct Languages {
    /// The translations' tags; a choice is an index into them, `None` being the default.
    pub tags: Vec<String>,
    /// The default language's tag.
    pub default: String,
}

/// Most `Accept-Language` entries looked at: a long header cannot make the lookup expensive.
const MAX_RANGES: usize = 32;

impl Languages {
    /// The translation to answer in for this `Accept-Language` header (`None`: the default
    /// language). Language ranges are tried from the highest quality down (on equal quality in
    /// header order); each is tried whole, then with its last subtag cut off, and so on (RFC
    /// 4647 lookup: `fr-CA` falls back to `fr`), against the default language and the
    /// translations. `*`, `q=0` and no match at all give the default.
    pub fn choose(&self, accept_language: Option<&[u8]>) -> Option<usize> {
        let header = accept_language?;
        let mut ranges: Vec<(u16, &[u8])> = Vec::new();
        for entry in header.split(|&b| b == b',').take(MAX_RANGES) {
            let mut parts = entry.split(|&b| b == b';');
            let range = parts.next().unwrap_or_default().trim_ascii();
            let Some(quality) = crate::reply::format::quality(parts) else {
                continue;
            };
            if quality > 0 && !range.is_empty() {
                ranges.push((quality, range));
            }
        }
        // Stable: equal qualities keep the header's order.
        ranges.sort_by_key(|&(quality, _)| std::cmp::Reverse(quality));
        for (_, range) in ranges {
            if range == b"*" {
                return None;
            }
            let mut candidate = range;
            loop {
                if candidate.eq_ignore_ascii_case(self.default.as_bytes()) {
                    return None;
                }
                if let Some(index) = self
                    .tags
                    .iter()
                    .position(|tag| candidate.eq_ignore_ascii_case(tag.as_bytes()))
                {
                    return Some(index);
                }
                let Some(cut) = candidate.iter().rposition(|&b| b == b'-') else {
                    break;
                };
                candidate = &candidate[..cut];
                // A single-character subtag (an extension's singleton) is cut with what follows.
                if candidate.len() >= 2 && candidate[candidate.len() - 2] == b'-' {
                    candidate = &candidate[..candidate.len() - 2];
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_tags_pass() {
        for tag in [
            "en",
            "fr-CA",
            "zh-Hant-TW",
            "sr-Latn",
            "es-419",
            "de-CH-1996",
            "x-klingon",
            "en-US-x-twain",
            "zh-yue-HK",
            "de-DE-u-co-phonebk",
            "EN-gb",
        ] {
            assert_eq!(check_tag(tag), Ok(()), "{tag}");
        }
    }

    #[test]
    fn malformed_tags_fail_with_a_reason() {
        for tag in [
            "",
            "e",
            "english1",
            "fr_CA",
            "fr-",
            "-fr",
            "abcd",
            "fr-CA-CA",
            "en-a",
            "en-x",
            "de-1996-1996",
            "en-a-bb-a-cc",
            "fr CA",
            "fr-Latn-Latn",
            "français",
        ] {
            let problem = check_tag(tag).unwrap_err().to_string();
            assert!(
                tag.is_empty() || problem.contains("is not a BCP 47 language tag"),
                "{tag}: {problem}"
            );
        }
    }

    fn offered(tags: &[&str]) -> Languages {
        Languages {
            tags: tags.iter().map(|tag| tag.to_string()).collect(),
            default: "en".to_string(),
        }
    }

    fn choose(languages: &Languages, header: &str) -> Option<usize> {
        languages.choose(Some(header.as_bytes()))
    }

    #[test]
    fn exact_tags_and_case() {
        let languages = offered(&["fr", "de-CH"]);
        assert_eq!(choose(&languages, "fr"), Some(0));
        assert_eq!(choose(&languages, "DE-ch"), Some(1));
        assert_eq!(choose(&languages, "en"), None);
        assert_eq!(languages.choose(None), None);
    }

    #[test]
    fn lookup_falls_back_from_a_region_not_to_one() {
        let languages = offered(&["fr", "de-CH"]);
        assert_eq!(choose(&languages, "fr-CA"), Some(0));
        assert_eq!(choose(&languages, "fr-Latn-CA-x-private"), Some(0));
        assert_eq!(choose(&languages, "de-CH-u-co-phonebk"), Some(1));
        // Lookup never widens a range: "de" does not pick "de-CH".
        assert_eq!(choose(&languages, "de"), None);
        // The default language wins when the range falls back to it first.
        assert_eq!(choose(&languages, "en-GB, fr"), None);
    }

    #[test]
    fn q_values_order_the_ranges() {
        let languages = offered(&["fr", "de"]);
        assert_eq!(choose(&languages, "fr;q=0.5, de;q=0.8"), Some(1));
        assert_eq!(choose(&languages, "de;q=0.8, fr;q=0.8"), Some(1));
        assert_eq!(choose(&languages, "ja, fr;q=0.1"), Some(0));
        assert_eq!(choose(&languages, "fr;q=0, de;q=0.1"), Some(1));
        assert_eq!(choose(&languages, "fr;q=bad, de;q=0.1"), Some(1));
        assert_eq!(choose(&languages, "*, fr;q=0.5"), None);
    }

    #[test]
    fn no_match_and_garbage_give_the_default() {
        let languages = offered(&["fr"]);
        for header in ["ja", "", ",,,", "fr;q=0", "-", "f", "\u{e9}t\u{e9}", "x-fr"] {
            assert_eq!(choose(&languages, header), None, "{header:?}");
        }
        let long = "ja,".repeat(1000) + "fr";
        assert_eq!(choose(&languages, &long), None);
    }
}
