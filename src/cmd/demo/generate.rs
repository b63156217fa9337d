//! A realistic, deterministic stream of Confluent Cloud and Platform audit
//! records: logins, authorizations, organisation changes, noise the
//! reference policy drops, some malformed records, and a short attack
//! storyline (failed logins from a new address, then a leaked key probing
//! `sensitive-*` topics).

use serde_json::{json, Value};

// Deterministic, so every demo run tells the same story.
use crate::xorshift::XorShift;

const ORG: &str = "5e0a1f3c-7b2d-4c8e-9a61-2f4d8b0c3e17";
const ENV: &str = "env-q7m2xk";
const LKC: &str = "lkc-8v3wqn";
/// The attacker's address in the storyline.
pub const ATTACKER_IP: &str = "203.0.113.66";
/// The service account whose key leaked.
pub const LEAKED: &str = "sa-leak42";

fn cluster_crn() -> String {
    format!("crn://confluent.cloud/organization={ORG}/environment={ENV}/cloud-cluster={LKC}/kafka={LKC}")
}

fn time(base_ms: i64, i: usize) -> String {
    crate::event::time::format_rfc3339_nanos((base_ms + i as i64 * 250) * 1_000_000)
}

fn id(seq: usize) -> String {
    format!("d3m0{seq:04x}-0000-4000-8000-{seq:012x}")
}

fn envelope(seq: usize, ty: &str, subject: &str, t: &str, data: Value) -> Value {
    json!({"specversion":"1.0","id":id(seq),"source":cluster_crn(),"type":ty,
           "datacontenttype":"application/json","subject":subject,"time":t,"data":data})
}

fn authentication(seq: usize, t: &str, principal: &str, ip: &str, ok: bool) -> Value {
    let status = if ok { "SUCCESS" } else { "UNAUTHENTICATED" };
    let principal = if ok {
        format!("User:{principal}")
    } else {
        "None:UNKNOWN_USER".to_owned()
    };
    envelope(
        seq,
        "io.confluent.kafka.server/authentication",
        &cluster_crn(),
        t,
        json!({"serviceName":cluster_crn(),"methodName":"kafka.Authentication","resourceName":cluster_crn(),
               "authenticationInfo":{"principal":principal,"metadata":{"mechanism":"SASL_SSL/PLAIN","identifier":"DEMOKEY0000000001"}},
               "requestMetadata":{"clientAddress":[{"ip":ip,"port":40000 + seq % 20000}]},
               "result":{"status":status,"message":if ok {""} else {"Authentication failed"}}}),
    )
}

#[allow(clippy::too_many_arguments)]
fn authorization(
    seq: usize,
    t: &str,
    principal: &str,
    method: &str,
    op: &str,
    topic: &str,
    granted: bool,
    ip: &str,
) -> Value {
    let rn = format!("{}/topic={topic}", cluster_crn());
    envelope(
        seq,
        "io.confluent.kafka.server/authorization",
        &rn,
        t,
        json!({"serviceName":cluster_crn(),"methodName":method,"resourceName":rn,
               "authenticationInfo":{"principal":format!("User:{principal}")},
               "authorizationInfo":{"granted":granted,"operation":op,"resourceType":"Topic","resourceName":topic,
                                    "patternType":"LITERAL","aclAuthorization":{"permissionType":if granted {"ALLOW"} else {"DENY"},"host":"*"}},
               "request":{"correlation_id":seq.to_string(),"client_id":format!("{principal}-client")},
               "requestMetadata":{"clientAddress":[{"ip":ip,"port":51234}]}}),
    )
}

fn org_request(
    seq: usize,
    t: &str,
    user: &str,
    method: &str,
    access: &str,
    resource: (&str, &str),
) -> Value {
    let subject = format!("crn://confluent.cloud/organization={ORG}/environment={ENV}");
    let mut v = envelope(
        seq,
        "io.confluent.cloud/request",
        &subject,
        t,
        json!({"serviceName":"crn://confluent.cloud/","methodName":method,
               "cloudResources":[{"scope":{"resources":[{"type":"ORGANIZATION","resourceId":ORG},{"type":"ENVIRONMENT","resourceId":ENV}]},
                                  "resource":{"type":resource.0,"resourceId":resource.1}}],
               "authenticationInfo":{"principal":{"email":format!("{user}@example.com"),"confluentUser":{"resourceId":user}},"result":"SUCCESS"},
               "requestMetadata":{"requestId":[format!("{seq:032x}")],"clientAddress":[{"ip":"198.51.100.14"}]},
               "request":{"accessType":access,"data":{}},"result":{"status":"SUCCESS","data":{}}}),
    );
    v["source"] = json!("crn://confluent.cloud/");
    v
}

fn cp_broker_fetch(seq: usize, t: &str) -> Value {
    json!({"specversion":"1.0","id":id(seq),"source":"crn:///kafka=Qm7tR2xWSoK4dY1cE9vJ3g",
           "type":"io.confluent.kafka.server/authorization","time":t,"route":"confluent-audit-log-events",
           "data":{"serviceName":"crn:///kafka=Qm7tR2xWSoK4dY1cE9vJ3g","methodName":"kafka.FetchFollower",
                   "resourceName":"crn:///kafka=Qm7tR2xWSoK4dY1cE9vJ3g/topic=_confluent-command",
                   "authenticationInfo":{"principal":"User:kafka","principalResourceId":""},
                   "authorizationInfo":{"granted":true,"operation":"ClusterAction","resourceType":"Cluster","resourceName":"kafka-cluster","superUserAuthorization":true},
                   "requestMetadata":{"client_address":"/10.20.30.41"}}})
}

/// `n` records (at least 100), as Kafka record values. `base_ms` is the
/// time of the first one.
pub fn stream(n: usize, base_ms: i64) -> Vec<Vec<u8>> {
    let n = n.max(100);
    let mut rng = XorShift::new(0x5EED_CAFE_F00D_0001);
    let apps = [
        "sa-orders1",
        "sa-billing2",
        "sa-etl3",
        "sa-fraud4",
        "u-r2j9vd",
    ];
    let topics = ["orders", "payments.v1", "inventory", "clicks", "orders.dlq"];
    let internal_ips = ["10.31.4.77", "10.31.4.78", "10.31.9.12", "10.40.1.5"];
    let storyline_at = n - 60;
    let mut out = Vec::with_capacity(n);
    let mut seq = 0usize;
    while out.len() < n {
        let i = out.len();
        let t = time(base_ms, i);
        seq += 1;
        if i >= storyline_at {
            let step = i - storyline_at;
            let v = match step {
                0..=19 => authentication(seq, &t, LEAKED, ATTACKER_IP, false),
                20 => authentication(seq, &t, LEAKED, ATTACKER_IP, true),
                21..=50 => {
                    let topic = ["sensitive-payments", "sensitive-pii", "sensitive-hr"][step % 3];
                    let (method, op) = if step % 2 == 0 {
                        ("kafka.Metadata", "Describe")
                    } else {
                        ("kafka.FetchConsumer", "Read")
                    };
                    authorization(seq, &t, LEAKED, method, op, topic, false, ATTACKER_IP)
                }
                51 => authorization(
                    seq,
                    &t,
                    LEAKED,
                    "kafka.CreateAcls",
                    "Alter",
                    "sensitive-payments",
                    false,
                    ATTACKER_IP,
                ),
                _ => authentication(
                    seq,
                    &t,
                    apps[step % apps.len()],
                    internal_ips[step % 4],
                    true,
                ),
            };
            out.push(v.to_string().into_bytes());
            continue;
        }
        let roll = rng.below(100);
        let record: Vec<u8> = match roll {
            0..=29 => authentication(seq, &t, rng.pick(&apps), rng.pick(&internal_ips), true)
                .to_string()
                .into_bytes(),
            30..=54 => {
                let (method, op) = *[
                    ("kafka.CreateTopics", "Create"),
                    ("kafka.AlterConfigs", "AlterConfigs"),
                    ("kafka.DeleteGroups", "Delete"),
                    ("kafka.CreatePartitions", "Alter"),
                ]
                .get(rng.below(4) as usize)
                .expect("in range");
                let granted = rng.below(20) != 0;
                authorization(
                    seq,
                    &t,
                    rng.pick(&apps),
                    method,
                    op,
                    rng.pick(&topics),
                    granted,
                    rng.pick(&internal_ips),
                )
                .to_string()
                .into_bytes()
            }
            55..=69 => org_request(
                seq,
                &t,
                "u-r2j9vd",
                rng.pick(&["GetKafkaClusters", "GetAPIKeys", "ListIdentityProvider"]),
                "READ_ONLY",
                ("KAFKA_CLUSTER", LKC),
            )
            .to_string()
            .into_bytes(),
            70..=79 => {
                let (m, r) = *[
                    ("CreateAPIKey", ("API_KEY", "DEMOKEY7")),
                    ("CreateServiceAccount", ("SERVICE_ACCOUNT", "sa-new9")),
                    ("CreateConnector", ("CONNECTOR", "s3-sink")),
                    ("UpdateNetwork", ("NETWORK", "n-k3m8zq")),
                ]
                .get(rng.below(4) as usize)
                .expect("in range");
                org_request(seq, &t, "u-5bx1ke", m, "MODIFICATION", r)
                    .to_string()
                    .into_bytes()
            }
            80..=94 => cp_broker_fetch(seq, &t).to_string().into_bytes(),
            _ => malformed(seq, &mut rng),
        };
        out.push(record);
    }
    out
}

fn malformed(seq: usize, rng: &mut XorShift) -> Vec<u8> {
    match rng.below(5) {
        0 => {
            let full = authentication(seq, "2025-01-01T00:00:00Z", "sa-x", "10.0.0.1", true).to_string();
            full.as_bytes()[..full.len() / 2].to_vec()
        }
        1 => b"2025-03-04 09:00:01 INFO not an audit event".to_vec(),
        2 => json!({"specversion":"2.0","id":id(seq),"source":"crn://confluent.cloud/","type":"io.confluent.cloud/request","data":{}})
            .to_string()
            .into_bytes(),
        3 => json!({"specversion":"1.0","id":id(seq),"source":"billing","type":"com.example.invoice/created","data":{}})
            .to_string()
            .into_bytes(),
        _ => json!({"specversion":"1.0","id":id(seq),"source":cluster_crn(),"type":"io.confluent.kafka.server/authorization",
                    "data":{"methodName":"kafka.CreateTopics","authorizationInfo":{"granted":"false"}}})
            .to_string()
            .into_bytes(),
    }
}

#[cfg(test)]
mod tests;
