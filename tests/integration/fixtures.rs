//! Every line of `tests/data/audit-events/sample.jsonl` against its row in
//! the fixtures README.

use siem_bridge::config::load_policy;
use siem_bridge::event::{Disposition, KafkaCoords};
use siem_bridge::process::Processor;

use crate::support::{fixtures_dir, repo, sample_lines};

/// One row of the README table.
#[derive(Debug)]
struct Row {
    line: usize,
    disposition: String,
    principal: Option<String>,
    failed_auth: bool,
    request_failed: bool,
}

fn rows() -> Vec<Row> {
    let readme = std::fs::read_to_string(fixtures_dir().join("README.md")).unwrap();
    readme
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let line = cells.get(1)?.parse().ok()?;
            let unquote = |s: &str| s.trim_matches('`').to_owned();
            Some(Row {
                line,
                disposition: cells[2].to_owned(),
                principal: Some(unquote(cells[6])).filter(|s| !s.is_empty()),
                failed_auth: cells[7] == "yes",
                request_failed: cells[8] == "yes",
            })
        })
        .collect()
}

fn reference() -> Processor {
    Processor::new(load_policy(&repo().join("examples/policy/reference.toml")).unwrap())
}

fn coords(line: usize) -> KafkaCoords {
    KafkaCoords {
        topic: "confluent-audit-log-events".into(),
        partition: 0,
        offset: line as i64 - 1,
        timestamp: Some(1_741_100_000_000),
    }
}

#[test]
fn every_line_matches_its_readme_row() {
    let rows = rows();
    let lines = sample_lines();
    assert_eq!(rows.len(), 83, "the README table has a row per line");
    assert_eq!(lines.len(), 83);
    let p = reference();
    for row in &rows {
        let raw = &lines[row.line - 1];
        let d = p.process(raw, Some(&coords(row.line)), 0);
        let expected = match row.disposition.as_str() {
            "forward" | "forward (truncate oversized field)" => "forward",
            "drop-by-filter" => "drop",
            "dead-letter" => "dead_letter",
            other => panic!("unknown disposition {other:?} in row {}", row.line),
        };
        assert_eq!(d.label(), expected, "line {}: {d:?}", row.line);
        let e = match &d {
            Disposition::Forward(ev) => &ev.enrichment,
            Disposition::Drop { enrichment, .. } => enrichment,
            Disposition::DeadLetter(_) => continue,
        };
        assert_eq!(
            e.principal().normalized,
            row.principal.as_deref(),
            "line {} principal",
            row.line
        );
        assert_eq!(
            e.failed_auth, row.failed_auth,
            "line {} failed auth",
            row.line
        );
        assert_eq!(
            e.request_failed, row.request_failed,
            "line {} request failed",
            row.line
        );
    }
}

#[test]
fn drops_name_the_reference_rule() {
    let p = reference();
    let lines = sample_lines();
    for (line, rule) in [
        (18, "F3-internal-granted"),
        (51, "F1-org-read-only"),
        (61, "F1-org-read-only"),
        (68, "F2-excluded-principal"),
    ] {
        match p.process(&lines[line - 1], None, 0) {
            Disposition::Drop { rule: r, .. } => assert_eq!(r, rule, "line {line}"),
            other => panic!("line {line}: {other:?}"),
        }
    }
}

#[test]
fn without_filter_every_valid_line_forwards() {
    let mut p = reference();
    p.filtering = false;
    let forwarded = sample_lines()
        .iter()
        .filter(|l| matches!(p.process(l, None, 0), Disposition::Forward(_)))
        .count();
    assert_eq!(forwarded, 72);
}

#[test]
fn dead_letter_reasons_per_line() {
    let p = Processor::default();
    let lines = sample_lines();
    for (line, code) in [
        (9, "not_json"),
        (17, "not_json"),
        (26, "not_object"),
        (33, "missing_data"),
        (41, "data_not_object"),
        (48, "unsupported_specversion"),
        (55, "foreign_type"),
        (60, "not_object"),
        (63, "verdict_type"),
        (66, "too_deep"),
        (69, "invalid_attribute"),
    ] {
        match p.process(&lines[line - 1], None, 0) {
            Disposition::DeadLetter(r) => assert_eq!(r.code(), code, "line {line}: {r}"),
            other => panic!("line {line}: {other:?}"),
        }
    }
}
