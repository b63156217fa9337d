#!/usr/bin/env python3
"""Writes N audit events (JSON Lines) for the `investigate` benchmark.

Usage: investigate_bench_data.py N OUT.jsonl

A day of a busy Confluent Platform cluster, deterministic: 2,000 client
applications (principal, address, client id) reading and writing 500
topics, 3 % of authorizations denied (a third of them on `sensitive-*`),
an authentication every 20 events (1 in 10 failed), one event every 86 ms.
"""
import json, random, sys
from datetime import datetime, timedelta, timezone

n, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(16)
T0 = datetime(2025, 6, 10, 0, 0, 0, tzinfo=timezone.utc)
CL = "crn://mds1.example.com/kafka=Qm7tR2xWSoK4dY1cE9vJ3g"
clients = [(f"User:app-{i % 400}", f"10.{i % 7}.{i // 250}.{i % 250}", f"client-{i}") for i in range(2000)]
topics = [f"topic-{i}" for i in range(480)] + [f"sensitive-{i}" for i in range(20)]
with open(out, "w") as f:
    for k in range(n):
        t = (T0 + timedelta(milliseconds=86 * k)).strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
        p, ip, cid = clients[rng.randrange(len(clients))]
        if k % 20 == 0:
            ok = rng.random() > 0.1
            ev = {"specversion": "1.0", "id": f"b-{k}", "source": CL, "type": "io.confluent.kafka.server/authentication",
                  "time": t, "data": {"serviceName": CL, "methodName": "kafka.Authentication", "resourceName": CL,
                  "authenticationInfo": {"principal": p if ok else "None:UNKNOWN_USER", "metadata": {"mechanism": "SASL_SSL/SCRAM-SHA-512", "identifier": p[5:]}},
                  "requestMetadata": {"client_address": f"/{ip}"},
                  "result": {"status": "SUCCESS" if ok else "UNAUTHENTICATED", "message": ""}}}
        else:
            denied = rng.random() < 0.03
            topic = rng.choice(topics[480:]) if denied and rng.random() < 0.33 else rng.choice(topics[:480])
            op, m = rng.choice([("Read", "kafka.FetchConsumer"), ("Write", "kafka.Produce"), ("Describe", "kafka.Metadata")])
            ev = {"specversion": "1.0", "id": f"b-{k}", "source": CL, "type": "io.confluent.kafka.server/authorization",
                  "time": t, "data": {"serviceName": CL, "methodName": m, "resourceName": f"{CL}/topic={topic}",
                  "authenticationInfo": {"principal": p},
                  "authorizationInfo": {"granted": not denied, "operation": op, "resourceType": "Topic", "resourceName": topic, "patternType": "LITERAL"},
                  "request": {"correlation_id": str(k % 100000), "client_id": cid},
                  "requestMetadata": {"client_address": f"/{ip}"}}}
        f.write(json.dumps(ev, separators=(",", ":")) + "\n")
