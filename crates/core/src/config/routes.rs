//! `routes`, each compiled as soon as it is read: with 10,000 routes, the raw routes and the
//! compiled ones together would take more VM memory (which never shrinks) than the compiled
//! ones alone. What a single route gets wrong across its fields is noted for `conflicts.rs`.

use serde::de::{Deserialize, Deserializer, SeqAccess, Visitor};

use super::schema::RawRoute;
use crate::request::hostname::HostPattern;
use crate::scope::{PathCondition, Route};

/// What a route gets wrong across its fields, or by an empty list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RouteFlaw {
    BothPaths,
    NoHosts,
    NoMethods,
}

/// The routes read, compiled.
#[derive(Debug, Default)]
pub struct Routes {
    routes: Vec<Route>,
    /// Flaws by route, as numbered among the routes read (`Places` gives the written index).
    pub(crate) flaws: Vec<(usize, RouteFlaw)>,
}

impl Routes {
    pub(crate) fn len(&self) -> usize {
        self.routes.len()
    }

    pub(crate) fn into_routes(self) -> Vec<Route> {
        self.routes
    }

    /// The memory the routes take once indexed, `entry` bytes counted for each route, host and
    /// path besides their text.
    pub(crate) fn memory(&self, entry: usize) -> usize {
        let text = |text: &str| entry + text.len();
        self.routes
            .iter()
            .map(|route| {
                let hosts: usize = route
                    .hosts
                    .iter()
                    .flatten()
                    .map(|host| match host {
                        HostPattern::Any => entry,
                        HostPattern::Suffix(name) | HostPattern::Exact(name) => text(name),
                    })
                    .sum();
                let path = match &route.path {
                    Some(PathCondition::Prefix(path) | PathCondition::Exact(path)) => text(path),
                    None => 0,
                };
                let methods: usize = route.methods.iter().flatten().map(|m| text(m)).sum();
                entry + hosts + path + methods
            })
            .sum()
    }

    fn add(&mut self, raw: RawRoute) {
        let number = self.routes.len();
        let mut flaw = |flaw| self.flaws.push((number, flaw));
        if raw.path.is_some() && raw.path_prefix.is_some() {
            flaw(RouteFlaw::BothPaths);
        }
        if raw.hosts.as_ref().is_some_and(Vec::is_empty) {
            flaw(RouteFlaw::NoHosts);
        }
        if raw.methods.as_ref().is_some_and(Vec::is_empty) {
            flaw(RouteFlaw::NoMethods);
        }
        let path = match (raw.path, raw.path_prefix) {
            (Some(path), _) => Some(PathCondition::Exact(path.into_string().into())),
            (None, Some(prefix)) => Some(PathCondition::Prefix(prefix.into_string().into())),
            (None, None) => None,
        };
        self.routes.push(Route {
            hosts: raw.hosts.map(Vec::into_boxed_slice),
            path,
            methods: raw.methods.map(|methods| {
                methods
                    .into_iter()
                    .map(|method| method.into_string().into_boxed_str())
                    .collect()
            }),
        });
    }
}

impl<'de> Deserialize<'de> for Routes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Routes, D::Error> {
        struct Each;

        impl<'de> Visitor<'de> for Each {
            type Value = Routes;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of routes")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Routes, A::Error> {
                let mut routes = Routes::default();
                while let Some(raw) = seq.next_element::<RawRoute>()? {
                    routes.add(raw);
                }
                routes.routes.shrink_to_fit();
                Ok(routes)
            }
        }

        deserializer.deserialize_seq(Each)
    }
}

/// In the reference, `routes` is what is written: a list of routes.
#[cfg(not(target_arch = "wasm32"))]
impl schemars::JsonSchema for Routes {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Routes".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <Vec<RawRoute>>::json_schema(generator)
    }
}
