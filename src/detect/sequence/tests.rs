//! A flood of first steps stays bounded and still completes; a first step
//! that arrives after its alert fired joins it.

use crate::detect::tests::{authn, authz, run_lines};
use crate::detect::{Alert, DetectConfig, Detector, Emit};
use crate::process::Processor;

const T: i64 = 1_741_078_800;

fn only<'a>(alerts: &'a [Alert], rule: &str) -> &'a Alert {
    let mut of = alerts.iter().filter(|a| a.rule == rule);
    let a = of
        .next()
        .unwrap_or_else(|| panic!("no {rule}: {alerts:#?}"));
    assert!(of.next().is_none(), "more than one {rule}: {alerts:#?}");
    a
}

/// Same alert, field for field, whatever the order the lines arrive in.
fn same_alert(rule: &str, in_order: &[String], arrival: &[String]) -> Alert {
    let cfg = DetectConfig::default();
    let want = only(&run_lines(&cfg, in_order), rule).clone();
    let got = only(&run_lines(&cfg, arrival), rule).clone();
    assert_eq!(
        serde_json::to_value(&got).unwrap(),
        serde_json::to_value(&want).unwrap()
    );
    got
}

#[test]
fn a_failed_login_that_arrives_after_the_success_joins_its_alert() {
    let f = |id: &str, t: i64| authn(id, T + t, "203.0.113.70", "pat", false);
    let ok = authn("ok", T + 25, "203.0.113.70", "pat", true);
    let in_order = [f("f0", 0), f("f10", 10), f("f20", 20), ok.clone()];
    // f20 comes 10 s late (within the allowed lateness), after the
    // success already completed the sequence with f0 and f10.
    let late = [f("f0", 0), f("f10", 10), ok, f("f20", 20)];
    let a = same_alert("failed_logins_then_success", &in_order, &late);
    assert_eq!(a.event_ids, ["f0", "f10", "f20", "ok"]);
    assert!(
        a.summary.starts_with("3 failed authentications"),
        "{}",
        a.summary
    );
}

#[test]
fn a_late_first_step_outside_the_window_or_after_the_b_stays_out() {
    let f = |id: &str, t: i64| authn(id, T + t, "203.0.113.70", "pat", false);
    let ok = authn("ok", T + 70, "203.0.113.70", "pat", true);
    // The window is 60 s before the success: f5 (65 s before) is out; f75
    // comes after the success (a first step of a next round, which never
    // completes).
    let lines = [f("f20", 20), f("f30", 30), ok, f("f5", 5), f("f75", 75)];
    let a = run_lines(&DetectConfig::default(), &lines);
    let a = only(&a, "failed_logins_then_success");
    assert_eq!(a.event_ids, ["f20", "f30", "ok"]);
}

#[test]
fn a_denial_that_arrives_after_the_grant_joins_its_alert() {
    let d = quin_writes;
    let in_order = [d("d1", 0, false), d("d2", 10, false), d("g", 20, true)];
    let late = [d("d1", 0, false), d("g", 20, true), d("d2", 10, false)];
    let a = same_alert("denied_then_granted", &in_order, &late);
    assert_eq!(a.event_ids, ["d1", "d2", "g"]);
    assert!(a.summary.contains("denied 2 time(s)"), "{}", a.summary);
}

#[test]
fn a_flood_of_failed_logins_keeps_at_most_max_a_and_the_success_still_fires() {
    const T0: i64 = T;
    let mut d = Detector::new(&DetectConfig::default(), Emit::OnClose).unwrap();
    let p = Processor::default();
    let mut out = Vec::new();
    let flood = 5_000;
    // 5,000 failures from one address within 50 s (the rule's window is
    // 60 s), then a success from it.
    let mut lines: Vec<String> = (0..flood)
        .map(|i| {
            authn(
                &format!("f{i}"),
                T0 + i as i64 / 100,
                "203.0.113.9",
                "admin",
                false,
            )
        })
        .collect();
    lines.push(authn("ok", T0 + 51, "203.0.113.9", "admin", true));
    for l in &lines {
        let (_, e) = p.enrich(l.as_bytes(), None, 0).unwrap();
        d.observe(&e, l.as_bytes(), &mut out);
    }
    let evicted = d.stats().evictions;
    d.finish(&mut out);
    let fired: Vec<_> = out
        .iter()
        .filter(|a| a.rule == "failed_logins_then_success")
        .collect();
    assert_eq!(fired.len(), 1, "{fired:#?}");
    let a = fired[0];
    // Completed by the success (the ids listed are the first 100).
    assert_eq!(a.last_time, (T0 + 51) * 1_000_000_000);
    // The failures it counts: the latest ones kept, at most MAX_A and a
    // quarter, and together with those forgotten, every failure.
    let fails = a.event_count as usize - 1;
    assert!(
        (super::MAX_A..=super::MAX_A * 5 / 4).contains(&fails),
        "{fails} failures counted"
    );
    assert!(evicted >= (flood - fails) as u64, "{evicted} evicted");
}

#[test]
fn an_earlier_completing_event_that_arrives_late_completes_the_alert_instead() {
    // Two successes 50 ms apart from two connections, read from two
    // partitions in the other order: the alert is the earlier one's.
    let at = |id: &str, ms: i64, ok: bool| at_ms(id, ms, "203.0.113.71", ok);
    let (f0, f1) = (at("f0", 0, false), at("f1", 10_000, false));
    let (ok0, ok1) = (at("ok0", 20_000, true), at("ok1", 20_050, true));
    let in_order = [f0.clone(), f1.clone(), ok0.clone(), ok1.clone()];
    let late = [f0.clone(), f1.clone(), ok1.clone(), ok0.clone()];
    let a = same_alert("failed_logins_then_success", &in_order, &late);
    assert_eq!(a.event_ids, ["f0", "f1", "ok0"]);
    // A failure between the two successes goes back to the group: it
    // is not one of the alert's first steps.
    let f2 = at("f2", 20_010, false);
    let in_order = [f0.clone(), f1.clone(), ok0.clone(), f2.clone(), ok1.clone()];
    let late = [f0.clone(), f1.clone(), f2, ok1.clone(), ok0.clone()];
    let a = same_alert("failed_logins_then_success", &in_order, &late);
    assert_eq!(a.event_ids, ["f0", "f1", "ok0"]);
    // An earlier success with too few failures before it changes nothing.
    let ok_early = at("okE", 5_000, true);
    let lines = [f0, f1, ok1, ok_early];
    let a = run_lines(&DetectConfig::default(), &lines);
    assert_eq!(
        only(&a, "failed_logins_then_success").event_ids,
        ["f0", "f1", "ok1"]
    );
}

/// Every alert `run` sends for `lines` (read in this order): each alert
/// when it fires, and again when it closes if it changed.
fn sent_in_run(lines: &[String]) -> Vec<Alert> {
    let mut d = Detector::new(&DetectConfig::default(), Emit::OnFireAndClose).unwrap();
    let mut out = Vec::new();
    for l in lines {
        let (_, e) = Processor::default().enrich(l.as_bytes(), None, 0).unwrap();
        d.observe(&e, l.as_bytes(), &mut out);
    }
    d.finish(&mut out);
    out
}

#[test]
fn run_keeps_the_id_it_sent_when_an_earlier_completing_event_arrives() {
    let f = |id: &str, t: i64| authn(id, T + t, "203.0.113.72", "pat", false);
    let ok = |id: &str, t: i64| authn(id, T + t, "203.0.113.72", "pat", true);
    let out = sent_in_run(&[f("f0", 0), f("f1", 10), ok("ok1", 21), ok("ok0", 20)]);
    let sent: Vec<&Alert> = out
        .iter()
        .filter(|a| a.rule == "failed_logins_then_success")
        .collect();
    assert_eq!(sent.len(), 2, "{sent:#?}");
    assert_eq!(sent[0].event_ids, ["f0", "f1", "ok1"]);
    assert_eq!(sent[1].event_ids, ["f0", "f1", "ok0"]);
    assert_eq!(sent[0].id, sent[1].id, "one document in the SIEM");
}

/// A CP authentication `ms` milliseconds after `T`.
fn at_ms(id: &str, ms: i64, ip: &str, ok: bool) -> String {
    let l = authn(id, T, ip, "pat", ok);
    let t = crate::event::time::format_rfc3339_nanos((T * 1_000 + ms) * 1_000_000);
    l.replace(
        &crate::event::time::format_rfc3339_nanos(T * 1_000_000_000),
        &t,
    )
}

#[test]
fn late_first_steps_complete_the_earliest_kept_b() {
    // Two successes kept before any failure arrived (the later one first):
    // the failures, arriving last, complete the earlier success.
    let ip = "203.0.113.73";
    let (f1, f2) = (at_ms("f1", 1_000, ip, false), at_ms("f2", 1_500, ip, false));
    let (early, late) = (
        at_ms("searly", 2_500, ip, true),
        at_ms("slate", 3_000, ip, true),
    );
    let in_order = [f1.clone(), f2.clone(), early.clone(), late.clone()];
    let arrival = [late, early, f1, f2];
    let a = same_alert("failed_logins_then_success", &in_order, &arrival);
    assert_eq!(a.event_ids, ["f1", "f2", "searly"]);
}

#[test]
fn a_displaced_completion_past_the_new_quiet_time_raises_its_own_alert() {
    // Keep-alive 10 s, under the 30 s lateness: s1 arrives 20 s late,
    // after s2 completed the sequence with all four failures.
    let cfg: DetectConfig =
        toml::from_str("[rules.failed_logins_then_success]\nkeep_alive_secs = 10\n").unwrap();
    let ip = "203.0.113.74";
    let l = |id: &str, s: i64, ok| at_ms(id, s * 1_000, ip, ok);
    let in_order = [
        l("f1", 0, false),
        l("f2", 1, false),
        l("s1", 2, true),
        l("f3", 20, false),
        l("f4", 21, false),
        l("s2", 22, true),
    ];
    let mut arrival = in_order.to_vec();
    let s1 = arrival.remove(2);
    arrival.push(s1);
    let pick = |lines: &[String]| {
        let mut v: Vec<(Vec<String>, String)> = run_lines(&cfg, lines)
            .into_iter()
            .filter(|a| a.rule == "failed_logins_then_success")
            .map(|a| (a.event_ids, a.id))
            .collect();
        v.sort();
        v
    };
    let want = pick(&in_order);
    assert_eq!(want.len(), 2, "{want:?}");
    assert_eq!(want[0].0, ["f1", "f2", "s1"]);
    assert_eq!(want[1].0, ["f3", "f4", "s2"]);
    assert_eq!(pick(&arrival), want);
}

/// A first step of one alert that arrives after the next alert of its
/// group fired joins the alert it belongs to (still open: the watermark
/// has not passed it), not the next one, as in time order.
#[test]
fn a_late_first_step_of_the_alert_before_joins_it_not_the_next() {
    let f = |id: &str, t: i64| authn(id, T + t, "203.0.113.70", "pat", false);
    let ok = |id: &str, t: i64| authn(id, T + t, "203.0.113.70", "pat", true);
    let in_order = [
        f("f0", 0),
        f("f10", 10),
        f("f15", 15),
        ok("ok20", 20),
        f("f22", 22),
        f("f30", 30),
        ok("ok40", 40),
    ];
    // f15 arrives 25 s late, after the second alert fired.
    let mut arrival = in_order.to_vec();
    let late = arrival.remove(2);
    arrival.push(late);
    for lines in [in_order.to_vec(), arrival] {
        let alerts = run_lines(&DetectConfig::default(), &lines);
        let ids: Vec<Vec<String>> = alerts
            .iter()
            .filter(|a| a.rule == "failed_logins_then_success")
            .map(|a| a.event_ids.clone())
            .collect();
        assert_eq!(
            ids,
            [vec!["f0", "f10", "f15", "ok20"], vec!["f22", "f30", "ok40"]],
            "{alerts:#?}"
        );
    }
}

/// A login of pat's from one address, `t` seconds after `T`.
fn login(id: &str, t: i64, ok: bool) -> String {
    authn(id, T + t, "203.0.113.70", "pat", ok)
}

/// The fls alerts of `lines` (ids), in time order and as they arrive.
fn logins_both_ways(arrival: &[String]) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let fls = |lines: &[String]| -> Vec<Vec<String>> {
        let a = run_lines(&DetectConfig::default(), lines);
        a.iter()
            .filter(|a| a.rule == "failed_logins_then_success")
            .map(|a| a.event_ids.clone())
            .collect()
    };
    let mut by_time = arrival.to_vec();
    by_time.sort_by_key(|l| l[l.find(r#""time":""#).unwrap()..][..40].to_owned());
    (fls(&by_time), fls(arrival))
}

/// A first step dated after a success, that arrived before that success,
/// is not let go with the alert's first steps: it is a first step of the
/// next alert (in time order it came after the success).
#[test]
fn a_first_step_dated_after_the_success_that_arrived_before_it_starts_the_next_alert() {
    let (f, ok) = (|id, t| login(id, t, false), |id, t| login(id, t, true));
    let arrival = [
        f("f0", 0),
        f("f1", 5),
        f("q0", 30),
        ok("s1", 10),
        f("f2", 75),
        f("f3", 80),
        ok("s2", 88),
    ];
    let (want, got) = logins_both_ways(&arrival);
    assert_eq!(want, [vec!["f0", "f1", "s1"], vec!["q0", "f2", "f3", "s2"]]);
    assert_eq!(got, want);
}

/// A success that arrived before its failed logins (kept, completing
/// nothing then) completes the alert when they arrive, earlier than a
/// later success that completed it meanwhile: as in time order.
#[test]
fn a_late_first_step_completes_a_success_kept_from_before_the_alert() {
    let (f, ok) = (|id, t| login(id, t, false), |id, t| login(id, t, true));
    let arrival = [
        f("f0", 0),
        ok("s1", 10),
        f("f2", 15),
        ok("s2", 20),
        f("f1", 5),
    ];
    let (want, got) = logins_both_ways(&arrival);
    assert_eq!(want, [vec!["f0", "f1", "s1"]]);
    assert_eq!(got, want);
}

/// quin's write to `payments` from one address, `t` seconds after `T`,
/// denied or granted (the round tests use it too).
pub(super) fn quin_writes(id: &str, t: i64, granted: bool) -> String {
    let op = ("kafka.Produce", "Write");
    authz(
        id,
        T + t,
        "quin",
        "10.0.0.9",
        op.0,
        op.1,
        "topic=payments",
        granted,
    )
}

mod order;
