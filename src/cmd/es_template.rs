//! `siem-bridge es-template`: prints the Elasticsearch / OpenSearch index
//! template of the `elasticsearch` sink (install it with
//! `PUT _index_template/<name>`).

use std::io::Write;
use std::process::ExitCode;

use crate::sink::elasticsearch::template::{index_template, TemplateOptions};

/// Writes the template for these flags to standard output.
pub fn command(
    ecs: bool,
    index_patterns: Vec<String>,
    data_stream: bool,
) -> anyhow::Result<ExitCode> {
    let opts = TemplateOptions {
        ecs,
        index_patterns,
        data_stream,
    };
    std::io::stdout().write_all(index_template(&opts).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
