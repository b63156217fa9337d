//! "The same resource" for `denied_then_granted`: a CRN in any of its
//! forms, percent-escaped or with empty segments, is one resource.

use super::*;
use crate::detect::resource::{self, ResourcePath};

#[test]
fn a_crn_escaped_or_with_empty_segments_is_the_same_resource() {
    let e = |id: &str, t, res: &str, granted| {
        let (m, op) = ("kafka.FetchConsumer", "Read");
        authz(id, T0 + t, "erin", "10.0.0.7", m, op, res, granted)
    };
    for denied in [
        "topic=sensitive%2Dpii",
        "/topic=sensitive-pii",
        "topic=sensitive-pii/",
        "%74opic=sensitive-pii",
    ] {
        let a = run(&[
            e("d", 0, denied, false),
            e("g", 10, "topic=sensitive-pii", true),
        ]);
        let x = of(&a, "denied_then_granted");
        assert_eq!(x.len(), 1, "{denied}: {a:#?}");
        assert_eq!(ids(x[0]), ["d", "g"], "{denied}");
    }
    // Another resource stays another.
    let a = run(&[
        e("d", 0, "topic=sensitive%2Dpii2", false),
        e("g", 10, "topic=sensitive-pii", true),
    ]);
    assert!(of(&a, "denied_then_granted").is_empty(), "{a:#?}");
}

#[test]
fn plain_identities_are_their_own_decoded_path() {
    for id in ["kafka=C1/topic=t", "kafka=C1/topic=pre*", "kafka=C1"] {
        assert!(resource::is_plain_identity(id), "{id}");
        let p = ResourcePath::parse_crn(&format!("crn:///{id}")).unwrap();
        assert_eq!(p.display(), id);
    }
    for id in [
        "",
        "/kafka=C1",
        "kafka=C1/",
        "kafka=C1//topic=t",
        "topic=a%2Db",
    ] {
        assert!(!resource::is_plain_identity(id), "{id}");
    }
}
