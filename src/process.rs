//! One record value → a [`Disposition`]: the event steps ([`crate::event`]:
//! validate → enrich → render) with the policy's decisions
//! ([`crate::policy`]: severity while enriching, then the filter). It sits
//! above both, so that the policy can read the event's types without a
//! cycle.

use crate::detect::Alert;
use crate::event::DEFAULT_MAX_RECORD_BYTES;
use crate::event::{
    enrich, render, validate, DeadLetterReason, Disposition, Enrichment, Event, KafkaCoords,
};
use crate::policy::Policy;

/// Validates, enriches, filters and renders records. Cheap to share.
#[derive(Debug, Clone)]
pub struct Processor {
    /// The filter rules and the severity table.
    pub policy: Policy,
    /// Larger records are dead-lettered.
    pub max_record_bytes: usize,
    /// When false, every valid event is forwarded (`inspect --no-filter`).
    pub filtering: bool,
}

impl Default for Processor {
    fn default() -> Self {
        Processor::new(Policy::default())
    }
}

impl Processor {
    /// Applies `policy`, with the default record size limit.
    pub fn new(policy: Policy) -> Self {
        Processor {
            policy,
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
            filtering: true,
        }
    }

    /// Validates and enriches one record value, with this policy's
    /// severity; no filter, no rendering (detection reads only this). The
    /// `&str` is the validated record.
    #[inline]
    pub fn enrich<'r>(
        &self,
        raw: &'r [u8],
        kafka: Option<&KafkaCoords>,
        ingest_nanos: i64,
    ) -> Result<(&'r str, Enrichment), DeadLetterReason> {
        let mut env = crate::event::scan::empty();
        let text = validate::parse_into(raw, self.max_record_bytes, &mut env)?;
        let enrichment = enrich::enrich(&env, kafka, ingest_nanos, |e| {
            self.policy.severity.classify(e)
        });
        Ok((text, enrichment))
    }

    /// The sinks' form of an alert: its CloudEvent
    /// ([`Alert::to_cloudevent`]) enriched and rendered like an audit
    /// event, never filtered, with the alert's severity.
    pub fn alert_event(&self, alert: &Alert) -> Event {
        let raw = alert.to_cloudevent();
        let (text, env) = validate::parse_own(raw.as_bytes()).expect("an alert is a valid event");
        let mut enrichment =
            enrich::enrich(&env, None, crate::event::now_nanos(), |_| alert.severity);
        enrichment.severity = alert.severity;
        let mut out = Vec::with_capacity(text.len() * 2 + 512);
        render::render(text, &enrichment, &mut out);
        let json = String::from_utf8(out).expect("render writes UTF-8");
        Event { enrichment, json }
    }

    /// Decides what happens to one record value. Kept out of line: it is
    /// the unit the per-event cost is measured in (BENCHMARKS.md, "core"),
    /// and inlined into a caller it would vanish from the profile.
    #[inline(never)]
    pub fn process(
        &self,
        raw: &[u8],
        kafka: Option<&KafkaCoords>,
        ingest_nanos: i64,
    ) -> Disposition {
        // `Self::enrich`'s steps, spelled out so that the view and the
        // enrichment stay in this frame: returning them through a `Result`
        // copied each (hundreds of bytes) once more per event.
        let mut env = crate::event::scan::empty();
        let text = match validate::parse_into(raw, self.max_record_bytes, &mut env) {
            Ok(text) => text,
            Err(reason) => return Disposition::DeadLetter(reason),
        };
        // The answer is built first and filled in place: building the
        // `Event` and the `Disposition` around a finished enrichment
        // (hundreds of bytes) cost one copy more per event (BENCHMARKS.md,
        // "Core", session 9).
        let mut answer = Disposition::Forward(Event {
            enrichment: enrich::enrich(&env, kafka, ingest_nanos, |e| {
                self.policy.severity.classify(e)
            }),
            json: String::new(),
        });
        drop(env);
        let Disposition::Forward(event) = &mut answer else {
            unreachable!("built as Forward just above")
        };
        if self.filtering {
            if let Some(rule) = self.policy.filter.drop_rule(&event.enrichment) {
                let rule = rule.to_owned();
                let Disposition::Forward(event) = answer else {
                    unreachable!("built as Forward just above")
                };
                return Disposition::Drop {
                    rule,
                    enrichment: Box::new(event.enrichment),
                };
            }
        }
        // The enrichment is about as large as the event (CRNs repeat).
        let mut out = Vec::with_capacity(text.len() * 2 + 1024);
        render::render(text, &event.enrichment, &mut out);
        debug_assert!(std::str::from_utf8(&out).is_ok());
        // SAFETY: `render` writes only whole `&str`s (the validated record,
        // enrichment strings), ASCII punctuation and digits, and UTF-8
        // encodings of decoded `\uXXXX` escapes: the bytes are UTF-8.
        // Checking again would cost a pass over every forwarded byte.
        event.json = unsafe { String::from_utf8_unchecked(out) };
        answer
    }
}
