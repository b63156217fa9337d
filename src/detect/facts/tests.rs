use super::*;

#[test]
fn prefix_pattern_covers_topics_it_names() {
    let grant = ResourcePath::parse_crn("crn:///kafka=C1/topic=sensitive-pii*").unwrap();
    let hit = ResourcePath::parse_crn("crn:///kafka=C1/topic=sensitive-pii-eu").unwrap();
    let other = ResourcePath::parse_crn("crn:///kafka=C1/topic=sensitive-cards").unwrap();
    let elsewhere = ResourcePath::parse_crn("crn:///kafka=C2/topic=sensitive-pii").unwrap();
    assert!(grant.prefix);
    assert!(grant.covers(&hit));
    assert!(!grant.covers(&other));
    assert!(!grant.covers(&elsewhere));
}

#[test]
fn literal_and_scope_cover() {
    let lit = ResourcePath::parse_crn("crn:///kafka=C1/topic=a").unwrap();
    let a = ResourcePath::parse_crn("crn:///kafka=C1/topic=a").unwrap();
    let ab = ResourcePath::parse_crn("crn:///kafka=C1/topic=ab").unwrap();
    assert!(lit.covers(&a));
    assert!(!lit.covers(&ab));
    let cluster = ResourcePath::parse_crn("crn:///kafka=C1").unwrap();
    assert!(cluster.covers(&ab));
    let env =
        ResourcePath::parse_crn("crn://confluent.cloud/organization=o/environment=env-1").unwrap();
    let t = ResourcePath::parse_crn(
            "crn://confluent.cloud/organization=o/environment=env-1/cloud-cluster=lkc-1/kafka=lkc-1/topic=x",
        )
        .unwrap();
    assert!(env.covers(&t));
}

#[test]
fn encoded_star_is_literal() {
    let p =
        ResourcePath::parse_crn("crn://confluent.cloud/organization=o/cloud-api-key=%2A").unwrap();
    assert!(!p.prefix);
    assert_eq!(p.parts[1].1, "*");
}
