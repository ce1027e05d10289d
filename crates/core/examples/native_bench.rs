//! Natively times what the filter does with a configuration: `config::parse` (parse, validate,
//! compile: what `on_configure` does) and `decide` for one request (what
//! `on_http_request_headers` does once the headers are read). `make bench` runs it on its
//! 10,000-route configuration:
//! `cargo run --release --example native_bench -- CONFIG.json [HOST PATH ACCEPT]`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use maintenance_core::config;
use maintenance_core::decision::{decide, Decision, RequestFacts};
use maintenance_core::reply::format::choose;

const PARSE_RUNS: usize = 15;
const DECIDE_RUNS: u32 = 200_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: native_bench CONFIG.json [HOST PATH ACCEPT]")?;
    let host = args.next().unwrap_or_else(|| "shop.example.com".into());
    let request_path = args.next().unwrap_or_else(|| "/catalog/item?id=42".into());
    let accept = args.next().unwrap_or_else(|| "text/html".into());
    let bytes = std::fs::read(&path)?;

    let mut times: Vec<Duration> = Vec::with_capacity(PARSE_RUNS);
    let mut plan = config::parse(&bytes)?;
    for _ in 0..PARSE_RUNS {
        let start = Instant::now();
        plan = config::parse(black_box(&bytes))?;
        times.push(start.elapsed());
    }
    times.sort();
    let parse_ms = times[PARSE_RUNS / 2].as_secs_f64() * 1e3;

    let request = RequestFacts {
        method: b"GET",
        authority: Some(host.as_bytes()),
        path: request_path.as_bytes(),
        ..RequestFacts::default()
    };
    // What the filter does per request: decide, and pick the response format when it replies.
    let decide_and_format = |plan, request| {
        let decision = decide(plan, request, 0);
        let format = matches!(decision, Decision::Maintenance | Decision::PassWithFallback)
            .then(|| choose(None, Some(accept.as_bytes())));
        (decision, format)
    };
    let (decision, _) = decide_and_format(&plan, &request);
    let start = Instant::now();
    for _ in 0..DECIDE_RUNS {
        black_box(decide_and_format(black_box(&plan), black_box(&request)));
    }
    let decide_ns = start.elapsed().as_secs_f64() * 1e9 / f64::from(DECIDE_RUNS);

    println!(
        "config::parse {parse_ms:.1} ms (median of {PARSE_RUNS}, {} KiB), decide {decide_ns:.0} ns ({decision:?}); {}",
        bytes.len() / 1024,
        plan.summary()
    );
    Ok(())
}
