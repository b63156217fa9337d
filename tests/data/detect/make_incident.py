#!/usr/bin/env python3
"""Writes incident.jsonl and incident.expected.json beside this file.

A multi-step attack on a Confluent Platform 7.x cluster (the event shapes
of docs/audit-log-format.md section 3A and 10), interleaved with routine
traffic. Deterministic: run it again and the files are byte-identical.
"""
import json, os, random
from datetime import datetime, timedelta, timezone

rng = random.Random(7)
T0 = datetime(2025, 6, 10, 14, 0, 0, tzinfo=timezone.utc)
AUTH = "mds1.example.com"
CLUSTER = "Qm7tR2xWSoK4dY1cE9vJ3g"
events, n = [], [0]

def ts(sec):
    return (T0 + timedelta(seconds=sec)).strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"

def new_id(tag):
    n[0] += 1
    return f"{tag}-{n[0]:04d}-{rng.getrandbits(48):012x}"

def crn(res=None):
    base = f"crn://{AUTH}/kafka={CLUSTER}"
    return base if res is None else f"{base}/{res}"

def authn(sec, ip, user, ok, tag="noise"):
    i = new_id(tag)
    events.append((sec, {
        "specversion": "1.0", "id": i, "source": crn(), "type": "io.confluent.kafka.server/authentication",
        "datacontenttype": "application/json", "subject": crn(), "time": ts(sec), "route": "confluent-audit-log-events",
        "data": {"serviceName": crn(), "methodName": "kafka.Authentication", "resourceName": crn(),
                 "authenticationInfo": {"principal": f"User:{user}" if ok else "None:UNKNOWN_USER",
                                        "metadata": {"mechanism": "SASL_SSL/SCRAM-SHA-512", "identifier": user}},
                 "requestMetadata": {"client_address": f"/{ip}"},
                 "result": {"status": "SUCCESS" if ok else "UNAUTHENTICATED", "message": "" if ok else "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512"}}}))
    return i

def authz(sec, user, ip, method, op, rtype, rname, granted, tag="noise", pattern="LITERAL", client="rdkafka", corr=None):
    i = new_id(tag)
    key = {"Topic": "topic", "Group": "group"}.get(rtype)
    res = crn(f"{key}={rname}{'*' if pattern == 'PREFIXED' else ''}") if key else crn()
    events.append((sec, {
        "specversion": "1.0", "id": i, "source": crn(), "type": "io.confluent.kafka.server/authorization",
        "datacontenttype": "application/json", "subject": res, "time": ts(sec), "route": "confluent-audit-log-events",
        "data": {"serviceName": crn(), "methodName": method, "resourceName": res,
                 "authenticationInfo": {"principal": f"User:{user}", "principalResourceId": ""},
                 "authorizationInfo": {"granted": granted, "operation": op, "resourceType": rtype,
                                       "resourceName": rname if key else "kafka-cluster", "patternType": pattern,
                                       **({"aclAuthorization": {"permissionType": "ALLOW", "host": "*"}} if granted else {})},
                 "request": {"correlation_id": str(corr if corr is not None else rng.randint(1, 9999)), "client_id": client},
                 "requestMetadata": {"client_address": f"/{ip}"}}}))
    return i

# Routine traffic over 20 minutes.
for sec in range(0, 1200, 7):
    authz(sec, "orders-app", "10.20.30.52", "kafka.FetchConsumer", "Read", "Topic", "orders", True, client="orders-consumer")
    authz(sec + 1, "kafka", "10.20.30.11", "kafka.FetchFollower", "ClusterAction", "Cluster", "", True, client="broker-2")
    if sec % 35 == 0:
        authz(sec + 2, "orders-app", "10.20.30.52", "kafka.OffsetCommit", "Read", "Group", "orders-readers", True, client="orders-consumer")
for sec in range(0, 1200, 60):
    authn(sec + 3, "10.20.30.52", "orders-app", True)
    authn(sec + 4, "10.20.30.60", "svc-reporting", True)
    authz(sec + 5, "svc-reporting", "10.20.30.60", "kafka.FetchConsumer", "Read", "Topic", "reports", True, client="reporting")
for sec in (30, 400, 820):
    authz(sec, "alice", "10.20.30.40", "kafka.CreateTopics", "Create", "Topic", f"inventory-{sec}", True, client="adminclient-1")
authz(500, "bob", "10.20.30.41", "kafka.Metadata", "Describe", "Topic", "payments-archive", False, client="cli")
# A near miss: four mistyped logins from one address, then nothing.
for k in range(4):
    authn(200 + 20 * k, "198.51.100.23", "orders-ap", False)

expected = {}
# 1. Password guessing from an outside address, then a successful login.
fails = [authn(300 + 15 * k, "203.0.113.50", "svc-reporting", False, "attack") for k in range(6)]
ok = authn(400, "203.0.113.50", "svc-reporting", True, "attack")
expected["auth_bruteforce"] = [fails]
expected["failed_logins_then_success"] = [[f for f, k in zip(fails, range(6)) if 300 + 15 * k >= 340] + [ok]]
expected["new_source_ip"] = [[ok]]
# 2. The stolen identity probes sensitive topics: 14 denials in 2 minutes.
denied = []
topics = ["sensitive-pii-eu", "sensitive-pii-us", "sensitive-cards"]
for k in range(14):
    t = topics[k % 3]
    op, method = ("Read", "kafka.FetchConsumer") if k % 2 == 0 else ("Describe", "kafka.Metadata")
    denied.append((t, op, authz(420 + 8 * k, "svc-reporting", "203.0.113.50", method, op, "Topic", t, False, "attack", client="exfil", corr=100 + k)))
expected["denial_burst"] = [[d[2] for d in denied]]
# 3. An insider opens the prefix sensitive-pii* to the attacker's identity.
change = authz(560, "ops-admin", "10.20.30.40", "mds.Authorize", "AlterAccess", "Topic", "sensitive-pii", True, "attack", pattern="PREFIXED", client="confluent-cli")
expected["privilege_change_during_denials"] = [[d[2] for d in denied if d[0].startswith("sensitive-pii")] + [change]]
# 4. The reads that were denied now succeed.
g1 = authz(600, "svc-reporting", "203.0.113.50", "kafka.FetchConsumer", "Read", "Topic", "sensitive-pii-eu", True, "attack", client="exfil", corr=200)
g2 = authz(605, "svc-reporting", "203.0.113.50", "kafka.FetchConsumer", "Read", "Topic", "sensitive-pii-us", True, "attack", client="exfil", corr=201)
expected["denied_then_granted"] = [
    [d[2] for d in denied if d[0] == "sensitive-pii-eu" and d[1] == "Read"] + [g1],
    [d[2] for d in denied if d[0] == "sensitive-pii-us" and d[1] == "Read"] + [g2],
]
# 5. Covering tracks: the audit copy topic is deleted.
gone = authz(700, "svc-reporting", "203.0.113.50", "kafka.DeleteTopics", "Delete", "Topic", "sensitive-audit-copy", True, "attack", client="exfil")
expected["destructive_operation"] = [[gone]]

# Arrival order: by time, with a little skew between two "partitions".
events.sort(key=lambda e: (e[0] + (3 if hash(e[1]["id"]) % 5 == 0 else 0), e[1]["id"]))
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "incident.jsonl"), "w") as f:
    for _, e in events:
        f.write(json.dumps(e, separators=(",", ":")) + "\n")
with open(os.path.join(here, "incident.expected.json"), "w") as f:
    json.dump({r: [sorted(ids) for ids in v] for r, v in sorted(expected.items())}, f, indent=1)
    f.write("\n")
