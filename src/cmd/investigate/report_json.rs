//! `--json`: the [`Report`] as one JSON document (schema in
//! `docs/investigate.md`), and reading one back.

use std::io::{self, Write};

use super::model::Report;

/// Writes `report` as one pretty-printed JSON document and a newline.
pub fn write(report: &Report, out: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.write_all(b"\n")
}

/// Reads a document written by [`write`].
pub fn read(text: &str) -> serde_json::Result<Report> {
    serde_json::from_str(text)
}
