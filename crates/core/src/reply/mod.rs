//! Everything the plugin answers or adds to an answer: the maintenance response in each format
//! and language, the replies it sends itself as the host sends them (`local`), the status
//! endpoint, the advance notice, and which upstream responses `upstream_fallback` replaces.

pub mod assets;
pub mod cors;
pub mod current_window;
pub mod format;
pub(crate) mod json;
pub mod language;
pub mod local;
pub mod maintenance;
pub mod notice;
pub mod page;
pub mod status;
pub mod status_endpoint;
pub mod upstream_fallback;
