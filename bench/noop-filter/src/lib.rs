//! The floor for any proxy-wasm HTTP filter: the SDK's dispatch and one callback.
//!
//! With an empty plugin configuration it returns `Continue` (the floor for a pass-through). With
//! a configuration, it answers every request with a fixed 503 local reply (the floor for a
//! wasm filter's local reply): the configuration is the reply's header lines (`name: value`),
//! a blank line, and the body.

use std::rc::Rc;

use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, BufferType, ContextType};

proxy_wasm::main! {{
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(NoopRoot { reply: None }) });
}}

struct Reply {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

struct NoopRoot {
    reply: Option<Rc<Reply>>,
}

impl Context for NoopRoot {}

impl RootContext for NoopRoot {
    fn on_configure(&mut self, _plugin_configuration_size: usize) -> bool {
        let config = hostcalls::get_buffer(BufferType::PluginConfiguration, 0, usize::MAX)
            .ok()
            .flatten()
            .unwrap_or_default();
        self.reply = parse_reply(&config).map(Rc::new);
        true
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(NoopHttp {
            reply: self.reply.clone(),
        }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

fn parse_reply(config: &[u8]) -> Option<Reply> {
    let text = std::str::from_utf8(config).ok()?;
    let (head, body) = text.split_once("\n\n")?;
    let headers = head
        .lines()
        .filter_map(|line| line.split_once(": "))
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    Some(Reply {
        headers,
        body: body.as_bytes().to_vec(),
    })
}

struct NoopHttp {
    reply: Option<Rc<Reply>>,
}

impl Context for NoopHttp {}

impl HttpContext for NoopHttp {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        let Some(reply) = &self.reply else {
            return Action::Continue;
        };
        let headers = reply
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let _ = hostcalls::send_http_response(503, headers, Some(&reply.body));
        Action::Pause
    }
}
