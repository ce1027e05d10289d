//! The compiled configuration the filter consults per request.

use std::sync::Arc;

use crate::bypass::Bypass;
use crate::reply::assets::Assets;
use crate::reply::cors::Cors;
use crate::reply::language::Languages;
use crate::reply::maintenance::{MaintenanceResponse, ResponseSpec};
use crate::reply::status_endpoint::StatusEndpoint;
use crate::schedule::calendar::format_rfc3339;
use crate::schedule::Schedule;
use crate::scope::Scope;

/// The compiled configuration the filter consults per request.
#[derive(Debug)]
pub struct Plan {
    pub(crate) enabled: bool,
    pub(crate) reason: String,
    pub(crate) scope: Scope,
    /// In-scope requests that still go upstream.
    pub(crate) bypass: Bypass,
    /// The maintenance response with no window end to announce.
    pub(crate) response: Arc<MaintenanceResponse>,
    /// What `response` was rendered from, to render it again for each window's end.
    pub(crate) response_spec: ResponseSpec,
    /// When `enabled` maintenance applies; `None`: always.
    pub(crate) schedule: Option<Schedule>,
    /// Upstream response statuses replaced with the maintenance response; empty: none.
    pub(crate) fallback_statuses: Vec<u16>,
    /// `dry_run`: decide as usual, answer nothing (see `plugin.rs`). For the status endpoint too.
    pub(crate) dry_run: bool,
    /// `status_path`: answered by the plugin itself (`status.rs`).
    pub(crate) status_endpoint: Option<StatusEndpoint>,
    /// `notice_before`, in seconds (`notice.rs`).
    pub(crate) notice_before: Option<i64>,
    /// The languages a request can choose the maintenance response in (`language.rs`).
    pub(crate) languages: Languages,
    /// `cors`: who may read what the plugin answers (`cors.rs`).
    pub(crate) cors: Option<Cors>,
    /// `response.assets`: the page's own files (`assets.rs`).
    pub(crate) assets: Option<Assets>,
}

impl Plan {
    /// One line describing the effective state, logged whenever a configuration is applied.
    pub fn summary(&self) -> String {
        let routes = match self.scope.route_count() {
            0 => "all requests".to_string(),
            count => format!("{count} route(s)"),
        };
        let mut summary = format!(
            "maintenance {}; status {}; scope: {routes}; bypass paths: {}; reason: {:?}",
            if self.enabled { "ENABLED" } else { "disabled" },
            self.response.status,
            self.bypass.paths.len(),
            self.reason,
        );
        if !self.bypass.tokens.is_empty() {
            summary.push_str(&format!("; bypass tokens: {}", self.bypass.tokens.len()));
        }
        if let Some(cookie) = &self.bypass.cookie {
            summary.push_str(match cookie.set_path {
                Some(_) => "; bypass cookie with link",
                None => "; bypass cookie",
            });
        }
        if !self.bypass.networks.is_empty() {
            summary.push_str(&format!(
                "; bypass networks: {}",
                self.bypass.networks.len()
            ));
        }
        if let Some(schedule) = &self.schedule {
            summary.push_str(&format!(
                "; windows: {} planned, {} weekly",
                schedule.windows.len(),
                schedule.weekly.len()
            ));
        }
        if let Some(header) = &self.bypass.header {
            summary.push_str(&format!("; bypass header: {header}"));
        }
        if !self.bypass.jwt.is_empty() {
            summary.push_str(&format!("; bypass jwt rules: {}", self.bypass.jwt.len()));
        }
        if !self.bypass.acme {
            summary.push_str("; ACME challenges not bypassed");
        }
        if self.cors.is_some() {
            summary.push_str("; cors");
        }
        if let Some(assets) = &self.assets {
            summary.push_str(&format!("; assets: {} at {}", assets.len(), assets.path()));
        }
        if !self.bypass.expiries.is_empty() {
            summary.push_str("; expiring credentials");
        }
        if self.dry_run {
            summary.push_str("; DRY RUN (nothing is answered)");
        }
        if !self.fallback_statuses.is_empty() {
            let statuses: Vec<String> = self.fallback_statuses.iter().map(u16::to_string).collect();
            summary.push_str(&format!("; upstream fallback on {}", statuses.join(", ")));
        }
        if let Some(endpoint) = &self.status_endpoint {
            summary.push_str(&format!("; status path {}", endpoint.path()));
        }
        if let Some(seconds) = self.notice_before {
            summary.push_str(&format!("; notice {seconds} s before windows"));
        }
        if !self.languages.tags.is_empty() {
            summary.push_str(&format!(
                "; languages: {}, {}",
                self.languages.default,
                self.languages.tags.join(", ")
            ));
        }
        summary
    }

    /// Whether deciding a request needs the clock: windows, or credentials that expire.
    pub fn uses_clock(&self) -> bool {
        self.schedule.is_some() || !self.bypass.expiries.is_empty()
    }

    /// The next planned period after `now` (`start`, `end`; `end` `None` when open-ended), if
    /// maintenance is enabled and follows a schedule with one ahead.
    pub fn next_period(&self, now: i64) -> Option<(i64, Option<i64>)> {
        if !self.enabled {
            return None;
        }
        self.schedule.as_ref()?.next_period(now)
    }

    /// Whether maintenance applies at `now` (unix seconds; ignored without a schedule).
    pub fn in_effect(&self, now: i64) -> bool {
        self.enabled
            && self
                .schedule
                .as_ref()
                .is_none_or(|schedule| schedule.contains(now))
    }

    /// Where the schedule stands at `now`, for the log; `None` without one.
    pub fn schedule_status(&self, now: i64) -> Option<String> {
        let state = self.schedule.as_ref()?.state_at(now);
        Some(match (state.active, state.next_transition) {
            (Some(_), Some(end)) => {
                format!("inside a maintenance window until {}", format_rfc3339(end))
            }
            (Some(_), None) => "inside a maintenance window with no end".to_string(),
            (None, Some(start)) => format!(
                "outside maintenance windows; the next opens at {}",
                format_rfc3339(start)
            ),
            (None, None) => "outside maintenance windows; none is ahead".to_string(),
        })
    }
}
