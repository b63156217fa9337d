//! `[[sinks]]`: each entry read by its `type`, so that a problem inside a
//! sink is reported at its own key (`sinks[0].fsync`), not at the entry.

use super::Document;
use crate::sink::{elasticsearch, file, splunk_hec, stdout, syslog, webhook, SinkConfig};

/// The values `type` may take.
const TYPES: &str = "`elasticsearch`, `file`, `stdout`, `syslog`, `splunk_hec`, `webhook`";

/// Every `[[sinks]]` entry, checked (problems recorded in `doc`). In
/// zero-config mode (no file) the one sink is stdout.
pub fn sinks_from(doc: &mut Document, zero_config: bool) -> Option<Vec<SinkConfig>> {
    let list = match doc.table.get("sinks").cloned() {
        None if zero_config => return Some(vec![SinkConfig::Stdout(Default::default())]),
        None => {
            doc.problem("sinks", "at least one [[sinks]] entry is required");
            return None;
        }
        Some(toml::Value::Array(list)) => list,
        Some(_) => {
            doc.problem("sinks", "must be an array of tables ([[sinks]])");
            return None;
        }
    };
    if list.is_empty() {
        doc.problem("sinks", "at least one [[sinks]] entry is required");
    }
    let mut out = Vec::new();
    let mut ok = true;
    for (i, v) in list.into_iter().enumerate() {
        let key = format!("sinks[{i}]");
        match sink(doc, &key, v) {
            Some(s) => {
                for (k, msg) in s.check() {
                    doc.problem(super::join(&key, &k), msg);
                }
                out.push(s);
            }
            None => ok = false,
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, s) in out.iter().enumerate() {
        if !seen.insert(s.name().to_owned()) {
            doc.problem(
                format!("sinks[{i}].name"),
                format!("duplicate sink name `{}`", s.name()),
            );
        }
    }
    ok.then_some(out)
}

/// One entry: its `type` chooses the settings type, which then reads the
/// rest of the table (every problem at its own key).
fn sink(doc: &mut Document, key: &str, v: toml::Value) -> Option<SinkConfig> {
    let toml::Value::Table(mut table) = v else {
        doc.problem(key, "must be a table ([[sinks]])");
        return None;
    };
    let ty = match table.remove("type") {
        Some(toml::Value::String(t)) => t,
        Some(other) => {
            let msg = format!(
                "must be a string, one of {TYPES} (found {})",
                other.type_str()
            );
            doc.problem(format!("{key}.type"), msg);
            return None;
        }
        None => {
            doc.problem(key, format!("missing field `type`: one of {TYPES}"));
            return None;
        }
    };
    let rest = toml::Value::Table(table);
    match ty.as_str() {
        "elasticsearch" => doc
            .value::<elasticsearch::ElasticsearchConfig>(key, rest)
            .map(|c| SinkConfig::Elasticsearch(Box::new(c))),
        "file" => doc
            .value::<file::FileConfig>(key, rest)
            .map(SinkConfig::File),
        "stdout" => doc
            .value::<stdout::StdoutConfig>(key, rest)
            .map(SinkConfig::Stdout),
        "syslog" => doc
            .value::<syslog::SyslogConfig>(key, rest)
            .map(SinkConfig::Syslog),
        "splunk_hec" => doc
            .value::<splunk_hec::SplunkHecConfig>(key, rest)
            .map(|c| SinkConfig::SplunkHec(Box::new(c))),
        "webhook" => doc
            .value::<webhook::WebhookConfig>(key, rest)
            .map(|c| SinkConfig::Webhook(Box::new(c))),
        other => {
            doc.problem(
                format!("{key}.type"),
                format!("unknown variant `{other}`, expected one of {TYPES}"),
            );
            None
        }
    }
}
