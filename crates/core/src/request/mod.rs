//! The request target as the matchers see it: the `:path` ([`path`]) and the `:authority`
//! (`hostname`), normalized so that no encoding trick reads differently here and upstream.

pub mod hostname;
pub mod method;
pub mod path;
