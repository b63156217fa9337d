//! [`Processor::enrich`] with the severity table's answers remembered
//! ([`SeverityMemo`]), for the commands that read a backlog on one thread
//! (`detect`, `investigate`): the same enrichment, the table's globs tried
//! once per distinct value instead of once per event.

use crate::event::{enrich, validate, DeadLetterReason, Enrichment, KafkaCoords};
use crate::policy::SeverityMemo;
use crate::process::Processor;

/// One reading thread's enricher.
pub struct Enricher<'p> {
    processor: &'p Processor,
    severity: SeverityMemo<'p>,
}

impl<'p> Enricher<'p> {
    pub fn new(processor: &'p Processor) -> Enricher<'p> {
        Enricher {
            processor,
            severity: SeverityMemo::new(&processor.policy.severity),
        }
    }

    /// Validates and enriches one record value; the `&str` is the
    /// validated record.
    pub fn enrich<'r>(
        &mut self,
        raw: &'r [u8],
        kafka: Option<&KafkaCoords>,
        ingest_nanos: i64,
    ) -> Result<(&'r str, Enrichment), DeadLetterReason> {
        let mut env = crate::event::scan::empty();
        let text = validate::parse_into(raw, self.processor.max_record_bytes, &mut env)?;
        let severity = &mut self.severity;
        let e = enrich::enrich(&env, kafka, ingest_nanos, |e| severity.classify(e));
        Ok((text, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_enrichment_as_the_processor_gives() {
        let processor = Processor::default();
        let mut enricher = Enricher::new(&processor);
        let data = include_str!("../../tests/data/detect/incident.jsonl");
        let mut n = 0;
        // Twice: the second pass answers from what the first remembered.
        for _ in 0..2 {
            for line in data.lines().filter(|l| !l.trim().is_empty()) {
                let want = processor.enrich(line.as_bytes(), None, 7);
                let got = enricher.enrich(line.as_bytes(), None, 7);
                assert_eq!(format!("{got:?}"), format!("{want:?}"), "{line}");
                n += 1;
            }
        }
        assert!(n > 20, "{n} lines");
    }
}
