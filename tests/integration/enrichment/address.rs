//! Where `source_ip` comes from on Confluent Platform: `client_address`.

use super::*;

#[test]
fn cp_client_address_and_empty_authority() {
    let en = enrichment(67);
    assert_eq!(en["source_ip"], "10.20.30.40");
    assert_eq!(en["crn"]["authority"], "");
    assert_eq!(en["crn"]["cluster"], "Qm7tR2xWSoK4dY1cE9vJ3g");
    assert_eq!(en["principal"]["kind"], "user");
    let en = enrichment(73);
    assert_eq!(en["crn"]["authority"], "mds1.example.com");
}

/// A Confluent Platform `client_address` written as a socket address keeps
/// only the IP; a bare IPv6 address stays whole.
#[test]
fn cp_client_address_with_port() {
    let p = Processor {
        filtering: false,
        ..Default::default()
    };
    for (written, ip) in [
        ("/10.1.2.3:53422", "10.1.2.3"),
        ("broker-1/10.1.2.3:9092", "10.1.2.3"),
        ("/[2001:db8::7]:9092", "2001:db8::7"),
        ("/2001:db8:0:0:0:0:0:7", "2001:db8:0:0:0:0:0:7"),
        ("/10.1.2.3", "10.1.2.3"),
    ] {
        let line = format!(
            r#"{{"specversion":"1.0","id":"a1","source":"crn:///kafka=C1","type":"io.confluent.kafka.server/authentication","time":"2026-01-01T00:00:00Z","data":{{"methodName":"kafka.Authentication","authenticationInfo":{{"principal":"User:a"}},"requestMetadata":{{"client_address":"{written}"}},"result":{{"status":"SUCCESS"}}}}}}"#
        );
        let Disposition::Forward(e) = p.process(line.as_bytes(), None, 0) else {
            panic!("{written}: not forwarded");
        };
        assert_eq!(json(&e)["enrichment"]["source_ip"], ip, "{written}");
    }
}
