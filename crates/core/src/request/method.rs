//! HTTP method names as routes give them.

use std::fmt;

use serde::Deserialize;

/// An upper-case method name (`POST`), matched exactly against the request's `:method`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub struct Method(String);

/// A method name that is not upper-case letters, `-` and `_` (as written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodProblem(String);

impl fmt::Display for MethodProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not an upper-case HTTP method name such as \"POST\"",
            self.0
        )
    }
}

impl Method {
    pub fn into_string(self) -> String {
        self.0
    }
}

impl TryFrom<String> for Method {
    type Error = MethodProblem;

    fn try_from(name: String) -> Result<Method, MethodProblem> {
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b == b'-' || b == b'_');
        match valid {
            true => Ok(Method(name)),
            false => Err(MethodProblem(name)),
        }
    }
}
