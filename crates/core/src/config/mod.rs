//! The plugin configuration, from the JSON an operator writes to the [`Plan`] the filter
//! consults per request:
//! - `schema`: the configuration declared once (serde derives and `///` docs); each field's
//!   type (a host pattern, a CIDR, a digest, ... in its own module) checks its value as it is
//!   read;
//! - `json` and `reader`: the text's syntax, then the schema read through serde by a
//!   deserializer of its own that knows where each value is and keeps going after a problem;
//! - `conflicts` and `budget`: checks across fields, and the memory a configuration may take
//!   in each VM;
//! - `problem`: every problem typed, and put into words in one place;
//! - `compile`: the checked configuration assembled into a [`Plan`];
//! - `reference` (native builds): the configuration reference of the documentation.
//!
//! [`parse`] reports every problem of a configuration, not only the first.

use crate::plan::Plan;

mod budget;
mod compile;
mod conflicts;
mod json;
mod problem;
mod reader;
#[cfg(not(target_arch = "wasm32"))]
pub mod reference;
mod routes;
mod schema;

use compile::compile;
use conflicts::Places;
use json::Lexer;
use problem::Kind;
pub use problem::{FieldPath, Problem, Problems};
pub(crate) use schema::RawConfig;

/// The configuration of an empty document: maintenance off.
impl Default for Plan {
    fn default() -> Plan {
        compile(RawConfig::default())
    }
}

/// Parses, checks and compiles the plugin configuration; empty (or all-whitespace) means
/// "off". On failure, every problem found.
pub fn parse(bytes: &[u8]) -> Result<Plan, Problems> {
    read(bytes).map(compile)
}

/// [`parse`], freeing the configuration bytes before compiling: in the VM, whose memory never
/// shrinks, the compiled indexes then reuse the bytes' space.
pub(crate) fn parse_owned(bytes: Vec<u8>) -> Result<Plan, Problems> {
    let raw = read(&bytes)?;
    drop(bytes);
    Ok(compile(raw))
}

/// The JSON read and checked: the configuration, or every problem.
fn read(bytes: &[u8]) -> Result<RawConfig, Problems> {
    let only = |problem| Err(Problems::new(vec![problem]));
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => return Ok(RawConfig::default()),
        Some(b'{') => {}
        Some(_) => return only(Problem::new(FieldPath::default(), Kind::NotAnObject, 0)),
    }
    // A text that is not JSON cannot be read further.
    if let Err(error) = Lexer::new(bytes).check_document() {
        return only(Problem::syntax(error));
    }
    let reading = reader::read::<RawConfig>(bytes);
    let mut problems = reading.problems;
    if let Some(raw) = &reading.value {
        let mut found = conflicts::check(raw, &Places::new(&reading.skipped));
        found.extend(budget::check(raw));
        // A finding about a field already reported is a consequence of that problem.
        let reported: Vec<FieldPath> = problems.iter().map(Problem::place).collect();
        found.retain(|finding| {
            !finding.fields().any(|field| {
                reported
                    .iter()
                    .any(|place| place.covers(&field) || field.covers(place))
            })
        });
        problems.extend(found);
    }
    match reading.value {
        Some(raw) if problems.is_empty() => Ok(raw),
        _ => Err(Problems::new(problems)),
    }
}

#[cfg(test)]
mod tests;
