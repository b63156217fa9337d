use super::*;
use crate::event::Disposition;
use crate::process::Processor;

#[test]
fn stream_mixes_every_disposition_and_tells_the_story() {
    let records = stream(1000, 1_741_078_800_000);
    assert_eq!(records.len(), 1000);
    let p = Processor::default();
    let (mut fwd, mut dl, mut denied_sensitive, mut failed_logins) = (0, 0, 0, 0);
    for r in &records {
        match p.process(r, None, 0) {
            Disposition::Forward(e) => {
                fwd += 1;
                let en = &e.enrichment;
                if en.failed_auth
                    && en
                        .resource_name()
                        .is_some_and(|n| n.starts_with("sensitive-"))
                {
                    denied_sensitive += 1;
                }
                if en.failed_auth
                    && en.source_ip() == Some(ATTACKER_IP)
                    && en.method() == Some("kafka.Authentication")
                {
                    failed_logins += 1;
                }
            }
            Disposition::DeadLetter(_) => dl += 1,
            Disposition::Drop { .. } => {}
        }
    }
    assert!(dl > 0 && fwd > dl);
    assert_eq!(failed_logins, 20);
    assert_eq!(denied_sensitive, 31);
    // Deterministic.
    assert_eq!(records, stream(1000, 1_741_078_800_000));
}
