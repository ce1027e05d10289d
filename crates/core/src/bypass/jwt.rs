//! `bypass.jwt`: requests pass by the claims of a JWT that Envoy's `jwt_authn` filter (Istio's
//! `RequestAuthentication`, Envoy Gateway's `SecurityPolicy`) verified before this filter ran.
//!
//! The claims are read only from the payload that filter stored in the stream's dynamic
//! metadata (namespace [`NAMESPACE`], key = the provider's `payload_in_metadata`), never by
//! decoding a token: a token that is missing, forged or expired leaves no payload there.
//!
//! Envoy (1.40) gives a wasm filter the stream's dynamic metadata as the property `metadata`: a
//! serialized `envoy.config.core.v3.Metadata` protobuf. Its `google.protobuf.Struct` values keep
//! their JSON types there (a deeper property path would flatten strings and lists into the same
//! untyped bytes), so this module reads that protobuf itself, borrowing from the bytes.

use std::fmt;

use serde::Deserialize;

/// The dynamic-metadata namespace `jwt_authn` writes verified payloads under.
pub const NAMESPACE: &str = "envoy.filters.http.jwt_authn";
/// Most rules in `bypass.jwt`.
pub const MAX_RULES: usize = 16;
/// Most values in one `any_of`.
pub const MAX_VALUES: usize = 64;
/// Most segments in one claim path.
pub const MAX_CLAIM_SEGMENTS: usize = 8;

/// A rule on the claims of a verified JWT: the request passes when `claim` holds one of
/// `any_of`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct JwtRuleConfig {
    /// The key the verified payload is stored under: the `jwt_authn` provider's
    /// `payload_in_metadata` (Istio 1.21 and later: `payload`; older Istio and Envoy Gateway:
    /// the token's issuer, e.g. `https://login.example.com`).
    pub payload: PayloadKey,
    /// The claim to test: a name (`role`) or a dotted path into nested objects
    /// (`realm_access.roles`), at most 8 segments; a name that itself holds dots
    /// (`https://example.com/roles`) is found too.
    pub claim: ClaimPath,
    /// The request passes when the claim is a string equal to one of these, or a list holding
    /// one of them (`groups`). 1 to 64 values, none empty; compared exactly (case matters).
    pub any_of: Vec<ClaimValue>,
}

/// `payload`: a metadata key, not empty.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub struct PayloadKey(String);

/// `claim`: a dotted path of non-empty segments.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub struct ClaimPath(String);

/// One of `any_of`: not empty.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub struct ClaimValue(String);

/// Why a value of a `bypass.jwt` rule is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtValueProblem {
    EmptyPayload,
    /// Empty, an empty segment (`a..b`, `.a`, `a.`), or too many segments.
    BadClaim(String),
    EmptyValue,
}

impl fmt::Display for JwtValueProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JwtValueProblem::EmptyPayload => f.write_str(
                "must not be empty: give the jwt_authn provider's payload_in_metadata (Istio \
                 1.21 and later: \"payload\"; Envoy Gateway: the issuer)",
            ),
            JwtValueProblem::BadClaim(claim) => write!(
                f,
                "{claim:?} is not a claim name or dotted path such as \"realm_access.roles\" (no \
                 empty segment, at most {MAX_CLAIM_SEGMENTS} segments)"
            ),
            JwtValueProblem::EmptyValue => f.write_str("must not be empty"),
        }
    }
}

impl TryFrom<String> for PayloadKey {
    type Error = JwtValueProblem;

    fn try_from(key: String) -> Result<PayloadKey, JwtValueProblem> {
        match key.is_empty() {
            true => Err(JwtValueProblem::EmptyPayload),
            false => Ok(PayloadKey(key)),
        }
    }
}

impl TryFrom<String> for ClaimPath {
    type Error = JwtValueProblem;

    fn try_from(claim: String) -> Result<ClaimPath, JwtValueProblem> {
        let segments = claim.split('.');
        if claim.is_empty()
            || segments.clone().any(str::is_empty)
            || segments.count() > MAX_CLAIM_SEGMENTS
        {
            return Err(JwtValueProblem::BadClaim(claim));
        }
        Ok(ClaimPath(claim))
    }
}

impl TryFrom<String> for ClaimValue {
    type Error = JwtValueProblem;

    fn try_from(value: String) -> Result<ClaimValue, JwtValueProblem> {
        match value.is_empty() {
            true => Err(JwtValueProblem::EmptyValue),
            false => Ok(ClaimValue(value)),
        }
    }
}

/// What `bypass.jwt` says as a whole that its values alone cannot (`config/conflicts.rs`
/// reports these): the list, or the `rule`-th rule read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtFinding {
    NoRules,
    TooManyRules(usize),
    EmptyAnyOf { rule: usize },
    TooManyValues { rule: usize, count: usize },
}

impl fmt::Display for JwtFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JwtFinding::NoRules => f.write_str("is empty; omit it to let no one through by JWT"),
            JwtFinding::TooManyRules(count) => {
                write!(f, "has {count} rules; at most {MAX_RULES} are allowed")
            }
            JwtFinding::EmptyAnyOf { .. } => {
                f.write_str("is empty, which lets no one through; list the values that pass")
            }
            JwtFinding::TooManyValues { count, .. } => {
                write!(f, "has {count} values; at most {MAX_VALUES} are allowed")
            }
        }
    }
}

/// The findings about `bypass.jwt`, in reading order.
pub fn findings(rules: &[JwtRuleConfig]) -> Vec<JwtFinding> {
    let mut found = Vec::new();
    if rules.is_empty() {
        found.push(JwtFinding::NoRules);
    }
    if rules.len() > MAX_RULES {
        found.push(JwtFinding::TooManyRules(rules.len()));
    }
    for (rule, config) in rules.iter().enumerate() {
        match config.any_of.len() {
            0 => found.push(JwtFinding::EmptyAnyOf { rule }),
            count if count > MAX_VALUES => found.push(JwtFinding::TooManyValues { rule, count }),
            _ => {}
        }
    }
    found
}

/// The bytes the rules take, for the memory budget.
pub fn memory_bytes(rules: &[JwtRuleConfig]) -> usize {
    rules
        .iter()
        .map(|rule| {
            64 + rule.payload.0.len()
                + rule.claim.0.len()
                + rule.any_of.iter().map(|v| 24 + v.0.len()).sum::<usize>()
        })
        .sum()
}

/// One compiled rule.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    payload: String,
    claim: String,
    any_of: Vec<String>,
}

/// The compiled `bypass.jwt` rules; a request passes when any rule does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JwtRules {
    rules: Vec<Rule>,
}

/// Compiles `bypass.jwt` (checked: see [`findings`]).
pub fn compile(rules: Vec<JwtRuleConfig>) -> JwtRules {
    let rules = (rules.into_iter())
        .map(|rule| Rule {
            payload: rule.payload.0,
            claim: rule.claim.0,
            any_of: rule.any_of.into_iter().map(|value| value.0).collect(),
        })
        .collect();
    JwtRules { rules }
}

impl JwtRules {
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether the verified payloads in `metadata` (the `metadata` property: a serialized
    /// `envoy.config.core.v3.Metadata`) satisfy a rule. Malformed metadata satisfies none.
    pub fn accepts(&self, metadata: Option<&[u8]>) -> bool {
        let Some(payloads) = metadata.and_then(|metadata| namespace_struct(metadata, NAMESPACE))
        else {
            return false;
        };
        self.rules.iter().any(|rule| {
            struct_field(payloads, &rule.payload)
                .and_then(Value::read)
                .and_then(|payload| match payload {
                    Value::Struct(claims) => lookup(claims, &rule.claim, 0),
                    _ => None,
                })
                .is_some_and(|claim| claim.matches(&rule.any_of))
        })
    }
}

// The protobuf wire format, just what `Metadata`, `Struct`, `Value` and `ListValue` need.

/// One field of a message: its number, and its bytes when length-delimited (the scalars claims
/// need are never compared, only recognized).
enum Field<'a> {
    Varint(u32),
    Fixed64(u32),
    Bytes(u32, &'a [u8]),
    Fixed32,
}

/// The fields of a message in order; `Err(())` at the first malformed byte.
struct Fields<'a>(&'a [u8]);

fn varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = bytes.split_first()?;
        *bytes = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<Field<'a>, ()>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.0.is_empty() {
            return None;
        }
        let field = (|| {
            let key = varint(&mut self.0)?;
            let number = u32::try_from(key >> 3).ok()?;
            let field = match key & 7 {
                0 => {
                    varint(&mut self.0)?;
                    Field::Varint(number)
                }
                1 => {
                    self.0 = self.0.get(8..)?;
                    Field::Fixed64(number)
                }
                2 => {
                    let length = usize::try_from(varint(&mut self.0)?).ok()?;
                    let (bytes, rest) = (self.0.get(..length)?, self.0.get(length..)?);
                    self.0 = rest;
                    Field::Bytes(number, bytes)
                }
                5 => {
                    self.0 = self.0.get(4..)?;
                    Field::Fixed32
                }
                // Groups (3, 4) are not used by these messages; anything else is malformed.
                _ => return None,
            };
            Some(field)
        })();
        match field {
            Some(field) => Some(Ok(field)),
            None => {
                // Stop after the error.
                self.0 = &[];
                Some(Err(()))
            }
        }
    }
}

/// A map entry message (`key` = 1, `value` = 2) whose key is `key`: its value's bytes. The last
/// entry with that key wins, as protobuf maps do; malformed input gives `None`.
fn map_value<'a>(message: &'a [u8], map_field: u32, key: &str) -> Option<&'a [u8]> {
    let mut found = None;
    for field in Fields(message) {
        if let Field::Bytes(number, entry) = field.ok()? {
            if number == map_field {
                let (entry_key, value) = entry_parts(entry)?;
                if entry_key == key.as_bytes() {
                    found = Some(value);
                }
            }
        }
    }
    found
}

/// A map entry's key and value bytes (either may be absent: empty).
fn entry_parts(entry: &[u8]) -> Option<(&[u8], &[u8])> {
    let (mut key, mut value): (&[u8], &[u8]) = (&[], &[]);
    for field in Fields(entry) {
        match field.ok()? {
            Field::Bytes(1, bytes) => key = bytes,
            Field::Bytes(2, bytes) => value = bytes,
            _ => {}
        }
    }
    Some((key, value))
}

/// `Metadata.filter_metadata[namespace]`: a `Struct`'s bytes.
fn namespace_struct<'a>(metadata: &'a [u8], namespace: &str) -> Option<&'a [u8]> {
    map_value(metadata, 1, namespace)
}

/// `Struct.fields[name]`: a `Value`'s bytes.
fn struct_field<'a>(message: &'a [u8], name: &str) -> Option<&'a [u8]> {
    map_value(message, 1, name)
}

/// A `google.protobuf.Value`, as far as claims need it.
#[derive(Debug, PartialEq, Eq)]
enum Value<'a> {
    Text(&'a [u8]),
    Struct(&'a [u8]),
    List(&'a [u8]),
    /// A number, a bool or null: never equal to a configured string.
    Other,
}

impl<'a> Value<'a> {
    /// Reads a `Value` message; the last of its `kind` fields wins, as protobuf's `oneof` does.
    fn read(message: &'a [u8]) -> Option<Value<'a>> {
        let mut value = None;
        for field in Fields(message) {
            value = match field.ok()? {
                Field::Bytes(3, text) => Some(Value::Text(text)),
                Field::Bytes(5, inner) => Some(Value::Struct(inner)),
                Field::Bytes(6, inner) => Some(Value::List(inner)),
                Field::Varint(1 | 4) | Field::Fixed64(2) => Some(Value::Other),
                _ => value,
            };
        }
        value
    }

    /// A string equal to one of `any_of`, or a list holding one.
    fn matches(&self, any_of: &[String]) -> bool {
        let equal = |text: &[u8]| any_of.iter().any(|value| value.as_bytes() == text);
        match self {
            Value::Text(text) => equal(text),
            // `ListValue.values` (1): a malformed list matches nothing.
            Value::List(list) => {
                let mut matched = false;
                for field in Fields(list) {
                    match field {
                        Ok(Field::Bytes(1, item)) => {
                            if let Some(Value::Text(text)) = Value::read(item) {
                                matched |= equal(text);
                            }
                        }
                        Ok(_) => {}
                        Err(()) => return false,
                    }
                }
                matched
            }
            Value::Struct(_) | Value::Other => false,
        }
    }
}

/// The claim at the dotted `path` in a `Struct`: at each level the longest field name that is
/// the whole rest of the path, or a prefix of it followed by `.`, is taken (so a name with dots
/// in it is found too).
fn lookup<'a>(claims: &'a [u8], path: &str, depth: usize) -> Option<Value<'a>> {
    if depth > MAX_CLAIM_SEGMENTS {
        return None;
    }
    // (name length, value bytes) of the longest name that fits.
    let mut best: Option<(usize, &[u8])> = None;
    for field in Fields(claims) {
        let Field::Bytes(1, entry) = field.ok()? else {
            continue;
        };
        let (name, value) = entry_parts(entry)?;
        let Ok(name) = std::str::from_utf8(name) else {
            continue;
        };
        let fits = path == name
            || path
                .strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('.'));
        if fits && !name.is_empty() && best.is_none_or(|(length, _)| name.len() >= length) {
            best = Some((name.len(), value));
        }
    }
    let (length, value) = best?;
    let value = Value::read(value)?;
    match path.get(length + 1..) {
        None | Some("") => Some(value),
        Some(rest) => match value {
            Value::Struct(inner) => lookup(inner, rest, depth + 1),
            _ => None,
        },
    }
}

#[cfg(test)]
pub(crate) mod wire {
    //! A protobuf writer for the tests: `Metadata` from JSON payloads, as Envoy serializes it.

    use serde_json::Value as Json;

    fn varint(mut value: u64, out: &mut Vec<u8>) {
        loop {
            let byte = (value & 0x7f) as u8;
            value >>= 7;
            if value == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }

    pub fn bytes_field(number: u32, bytes: &[u8], out: &mut Vec<u8>) {
        varint(u64::from(number) << 3 | 2, out);
        varint(bytes.len() as u64, out);
        out.extend_from_slice(bytes);
    }

    pub fn entry(key: &str, value: &[u8]) -> Vec<u8> {
        let mut entry = Vec::new();
        bytes_field(1, key.as_bytes(), &mut entry);
        bytes_field(2, value, &mut entry);
        entry
    }

    pub fn value(json: &Json) -> Vec<u8> {
        let mut out = Vec::new();
        match json {
            Json::Null => varint(1 << 3, &mut out),
            Json::Bool(flag) => {
                varint(4 << 3, &mut out);
                varint(u64::from(*flag), &mut out);
            }
            Json::Number(number) => {
                varint(2 << 3 | 1, &mut out);
                out.extend_from_slice(&number.as_f64().unwrap_or_default().to_le_bytes());
            }
            Json::String(text) => bytes_field(3, text.as_bytes(), &mut out),
            Json::Array(items) => {
                let mut list = Vec::new();
                for item in items {
                    bytes_field(1, &value(item), &mut list);
                }
                bytes_field(6, &list, &mut out);
            }
            Json::Object(_) => bytes_field(5, &structure(json), &mut out),
        }
        out
    }

    pub fn structure(json: &Json) -> Vec<u8> {
        let mut out = Vec::new();
        if let Json::Object(members) = json {
            for (key, member) in members {
                bytes_field(1, &entry(key, &value(member)), &mut out);
            }
        }
        out
    }

    /// `Metadata` with `payloads` (key → JSON payload) under `namespace`, after another
    /// filter's namespace.
    pub fn metadata(namespace: &str, payloads: &Json) -> Vec<u8> {
        let mut out = Vec::new();
        let other = serde_json::json!({"ignored": "x"});
        bytes_field(
            1,
            &entry("envoy.filters.http.other", &structure(&other)),
            &mut out,
        );
        bytes_field(1, &entry(namespace, &structure(payloads)), &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::wire::*;
    use super::*;
    use serde_json::json;

    fn rules(json: serde_json::Value) -> Result<JwtRules, String> {
        let rules: Vec<JwtRuleConfig> = serde_json::from_value(json).map_err(|e| e.to_string())?;
        match findings(&rules).first() {
            Some(finding) => Err(finding.to_string()),
            None => Ok(compile(rules)),
        }
    }

    fn admin_rule() -> JwtRules {
        rules(json!([{"payload": "jwt_payload", "claim": "role", "any_of": ["admin", "sre"]}]))
            .unwrap()
    }

    fn with(payload: serde_json::Value) -> Vec<u8> {
        metadata(NAMESPACE, &json!({ "jwt_payload": payload }))
    }

    /// What Envoy 1.40 returned for the `metadata` property after jwt_authn verified a token
    /// with `"role": "admin"` (and other claims), captured once from the real proxy.
    const CAPTURED: &str = "0ada010a1c656e766f792e66696c746572732e687474702e6a77745f617574686e12b9010ab6010a0b6a77745f7061796c6f616412a6012aa3010a070a0162120220010a180a0667726f757073120e320c0a031a01610a051a037372650a0e0a016e12091100000000000014400a1c0a0369737312151a1368747470733a2f2f6973737565722e746573740a100a036578701209110000800ed4c4da410a0f0a04726f6c6512071a0561646d696e0a2d0a0c7265616c6d5f616363657373121d2a1b0a190a05726f6c65731210320e0a031a01780a071a0561646d696e";

    fn unhex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|at| u8::from_str_radix(&text[at..at + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn envoys_own_metadata_is_read() {
        let captured = unhex(CAPTURED);
        assert!(admin_rule().accepts(Some(&captured)));
        let groups =
            rules(json!([{"payload": "jwt_payload", "claim": "groups", "any_of": ["sre"]}]))
                .unwrap();
        assert!(groups.accepts(Some(&captured)));
        let nested = rules(
            json!([{"payload": "jwt_payload", "claim": "realm_access.roles", "any_of": ["admin"]}]),
        )
        .unwrap();
        assert!(nested.accepts(Some(&captured)));
        let other_key =
            rules(json!([{"payload": "other", "claim": "role", "any_of": ["admin"]}])).unwrap();
        assert!(!other_key.accepts(Some(&captured)));
        // Every truncation is refused, without panicking.
        for end in 0..captured.len() {
            assert!(!admin_rule().accepts(Some(&captured[..end])), "{end}");
        }
    }

    #[test]
    fn string_claims_match_exactly() {
        let rule = admin_rule();
        assert!(rule.accepts(Some(&with(json!({"role": "admin"})))));
        assert!(rule.accepts(Some(&with(json!({"role": "sre", "sub": "x"})))));
        for refused in [
            json!({"role": "Admin"}),
            json!({"role": "admin "}),
            json!({"role": "user"}),
            json!({"role": ""}),
            json!({"roles": "admin"}),
            json!({"role": null}),
            json!({"role": true}),
            json!({"role": 1}),
            json!({"role": {"admin": "admin"}}),
            json!({}),
        ] {
            assert!(!rule.accepts(Some(&with(refused.clone()))), "{refused}");
        }
        assert!(!rule.accepts(None));
        assert!(!rule.accepts(Some(b"")));
        // The payload under another namespace (another filter's metadata) does not count.
        let elsewhere = metadata(
            "envoy.filters.http.lua",
            &json!({"jwt_payload": {"role": "admin"}}),
        );
        assert!(!rule.accepts(Some(&elsewhere)));
    }

    #[test]
    fn list_claims_match_when_they_hold_a_value() {
        let rule = rules(json!([{"payload": "jwt_payload", "claim": "groups", "any_of": ["ops"]}]))
            .unwrap();
        assert!(rule.accepts(Some(&with(json!({"groups": ["dev", "ops"]})))));
        assert!(!rule.accepts(Some(&with(json!({"groups": ["dev", "opsx"]})))));
        assert!(!rule.accepts(Some(&with(json!({"groups": []})))));
        assert!(!rule.accepts(Some(&with(json!({"groups": [["ops"]]})))));
        assert!(!rule.accepts(Some(&with(json!({"groups": [{"name": "ops"}]})))));
    }

    #[test]
    fn dotted_paths_reach_into_objects_and_names_with_dots() {
        let rule =
            rules(json!([{"payload": "p", "claim": "realm_access.roles", "any_of": ["admin"]}]))
                .unwrap();
        let at = |payload| metadata(NAMESPACE, &json!({ "p": payload }));
        assert!(rule.accepts(Some(&at(
            json!({"realm_access": {"roles": ["user", "admin"]}})
        ))));
        assert!(!rule.accepts(Some(&at(json!({"realm_access": {"roles": ["user"]}})))));
        assert!(!rule.accepts(Some(&at(json!({"realm_access": "admin"})))));
        assert!(!rule.accepts(Some(&at(json!({"realm_access": {"roles": {"admin": 1}}})))));
        // A claim named with the dots itself.
        assert!(rule.accepts(Some(&at(json!({"realm_access.roles": "admin"})))));
        let namespaced = rules(
            json!([{"payload": "p", "claim": "https://example.com/roles", "any_of": ["admin"]}]),
        )
        .unwrap();
        assert!(namespaced.accepts(Some(&at(json!({"https://example.com/roles": ["admin"]})))));
        // The longest name that fits wins: here the nested object is not looked at.
        let both = at(json!({"a": {"b": "admin"}, "a.b": "user"}));
        let rule = rules(json!([{"payload": "p", "claim": "a.b", "any_of": ["admin"]}])).unwrap();
        assert!(!rule.accepts(Some(&both)));
    }

    #[test]
    fn any_rule_lets_a_request_through() {
        let rules = rules(json!([
            {"payload": "https://a.example", "claim": "role", "any_of": ["admin"]},
            {"payload": "https://b.example", "claim": "groups", "any_of": ["staff"]}
        ]))
        .unwrap();
        assert_eq!(rules.len(), 2);
        let b = metadata(
            NAMESPACE,
            &json!({"https://b.example": {"groups": ["staff"]}}),
        );
        assert!(rules.accepts(Some(&b)));
        let a_wrong = metadata(NAMESPACE, &json!({"https://a.example": {"role": "staff"}}));
        assert!(!rules.accepts(Some(&a_wrong)));
    }

    #[test]
    fn repeated_map_keys_keep_the_last_as_protobuf_does() {
        let mut claims = Vec::new();
        bytes_field(1, &entry("role", &value(&json!("admin"))), &mut claims);
        bytes_field(1, &entry("role", &value(&json!("user"))), &mut claims);
        let mut payloads = Vec::new();
        let mut payload = Vec::new();
        bytes_field(5, &claims, &mut payload);
        bytes_field(1, &entry("jwt_payload", &payload), &mut payloads);
        let mut metadata = Vec::new();
        bytes_field(1, &entry(NAMESPACE, &payloads), &mut metadata);
        assert!(!admin_rule().accepts(Some(&metadata)));
    }

    #[test]
    fn malformed_protobuf_is_refused_without_panic() {
        let good = with(json!({"role": "admin", "groups": ["a", "b"]}));
        assert!(admin_rule().accepts(Some(&good)));
        for end in 0..good.len() {
            assert!(!admin_rule().accepts(Some(&good[..end])), "{end}");
        }
        for junk in [
            &b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"[..],
            b"\x0b",
            b"\x0a\xff\xff\xff\xff\x0f",
            b"\x0a\x05ab",
        ] {
            assert!(!admin_rule().accepts(Some(junk)));
        }
    }

    #[test]
    fn bad_rules_say_what_is_wrong() {
        let cases = [
            (json!([]), "is empty; omit it"),
            (
                json!([{"payload": "", "claim": "role", "any_of": ["a"]}]),
                "payload_in_metadata",
            ),
            (
                json!([{"payload": "p", "claim": "", "any_of": ["a"]}]),
                "not a claim name",
            ),
            (
                json!([{"payload": "p", "claim": "a..b", "any_of": ["a"]}]),
                "not a claim name",
            ),
            (
                json!([{"payload": "p", "claim": ".a", "any_of": ["a"]}]),
                "not a claim name",
            ),
            (
                json!([{"payload": "p", "claim": "a.b.c.d.e.f.g.h.i", "any_of": ["a"]}]),
                "at most 8",
            ),
            (
                json!([{"payload": "p", "claim": "role", "any_of": ["a"]}, {"payload": "p", "claim": "role", "any_of": []}]),
                "lets no one through",
            ),
            (
                json!([{"payload": "p", "claim": "role", "any_of": ["a", ""]}]),
                "must not be empty",
            ),
            (json!([{"payload": "p", "claim": "c"}]), "any_of"),
            (
                json!([{"payload": "p", "claim": "c", "any_of": ["a"], "anyof": []}]),
                "anyof",
            ),
        ];
        for (json, message) in cases {
            let error = rules(json.clone()).unwrap_err();
            assert!(error.contains(message), "{json}: {error}");
        }
        let many: Vec<_> = (0..=MAX_RULES)
            .map(|_| json!({"payload": "p", "claim": "c", "any_of": ["a"]}))
            .collect();
        let many: Vec<JwtRuleConfig> = serde_json::from_value(json!(many)).unwrap();
        assert_eq!(findings(&many), [JwtFinding::TooManyRules(MAX_RULES + 1)]);
        let values: Vec<String> = (0..=MAX_VALUES).map(|n| n.to_string()).collect();
        let rule: Vec<JwtRuleConfig> =
            serde_json::from_value(json!([{"payload": "p", "claim": "c", "any_of": values}]))
                .unwrap();
        assert_eq!(
            findings(&rule),
            [JwtFinding::TooManyValues {
                rule: 0,
                count: MAX_VALUES + 1
            }]
        );
    }
}
