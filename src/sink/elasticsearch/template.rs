//! The index template shipped with siem-bridge
//! (`assets/elasticsearch/index-template.json`, and `-ecs.json` for
//! `ecs = true`), printed by `siem-bridge es-template`.
//!
//! Why it looks the way it does:
//! - `enrichment.*` is typed (keyword, `date`, `ip`, boolean, long): that
//!   is the contract dashboards and rules query.
//! - `data` (the Confluent payload) is kept in `_source` but not indexed
//!   (`enabled: false`): its shapes vary by method (a principal is a
//!   string in one event and an object in the next), and with dynamic
//!   mapping the second shape is refused with a 400 and dead-lettered.
//!   `enrichment.principal.raw` is not indexed for the same reason.
//! - `dynamic: false`: a field Confluent adds tomorrow is stored, not
//!   mapped, so it can never make a document fail.
//! - `ignore_malformed` on `ip` and on the event's own `time`, and
//!   `ignore_above` on keywords: a strange value is left unindexed
//!   instead of losing the whole event.

use serde_json::{json, Value};

use super::config::ElasticsearchConfig;
use super::target::Target;
use crate::sink::ConfigProblem;

/// The template for the default layout, as shipped.
pub const INDEX_TEMPLATE: &str = include_str!("../../../assets/elasticsearch/index-template.json");

/// The template for `ecs = true`, as shipped.
pub const INDEX_TEMPLATE_ECS: &str =
    include_str!("../../../assets/elasticsearch/index-template-ecs.json");

/// Which template, for which names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateOptions {
    /// The `ecs = true` layout.
    pub ecs: bool,
    /// Index name globs, e.g. `confluent-audit-*`.
    pub index_patterns: Vec<String>,
    /// Make matching names data streams (`"data_stream": {}`).
    pub data_stream: bool,
}

impl Default for TemplateOptions {
    fn default() -> Self {
        TemplateOptions {
            ecs: false,
            index_patterns: vec!["confluent-audit-*".to_owned()],
            data_stream: false,
        }
    }
}

impl TemplateOptions {
    /// The options that fit a sink's configuration.
    pub fn for_config(config: &ElasticsearchConfig) -> Result<TemplateOptions, ConfigProblem> {
        let target = config.target()?;
        Ok(match target {
            Target::Index(p) => TemplateOptions {
                ecs: config.ecs,
                index_patterns: vec![p.glob()],
                data_stream: false,
            },
            Target::DataStream(name) => TemplateOptions {
                ecs: config.ecs,
                index_patterns: vec![name],
                data_stream: true,
            },
        })
    }
}

/// The index template as pretty JSON, ready for
/// `PUT _index_template/confluent-audit`.
pub fn index_template(opts: &TemplateOptions) -> String {
    let raw = if opts.ecs {
        INDEX_TEMPLATE_ECS
    } else {
        INDEX_TEMPLATE
    };
    let mut t: Value =
        serde_json::from_str(raw).expect("the shipped template is valid JSON (unit-tested)");
    t["index_patterns"] = json!(opts.index_patterns);
    if opts.data_stream {
        t["data_stream"] = json!({});
    }
    let mut s = serde_json::to_string_pretty(&t).expect("a Value serialises");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests;
