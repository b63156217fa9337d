//! A sequence's next rounds: alerts of their own by default, one alert
//! within a configured keep-alive; in any arrival order within the
//! allowed lateness.

use crate::detect::sequence::tests::quin_writes;
use crate::detect::tests::run_lines;
use crate::detect::{Alert, DetectConfig};

/// A denial (`d…`) or grant (`g…`) of quin's write to `payments`, `t`
/// seconds after the sequence tests' start.
fn step(id: &str, t: i64) -> String {
    quin_writes(id, t, id.starts_with('g'))
}

fn dtg(cfg: &DetectConfig, lines: &[String]) -> Vec<Alert> {
    let mut a: Vec<Alert> = run_lines(cfg, lines)
        .into_iter()
        .filter(|a| a.rule == "denied_then_granted")
        .collect();
    a.sort_by_key(|a| a.first_time);
    a
}

fn ids(a: &[Alert]) -> Vec<Vec<String>> {
    a.iter().map(|a| a.event_ids.clone()).collect()
}

/// Four deny → grant rounds a minute apart, in time order and with each
/// grant arriving before its denial (20 s late).
fn flapping() -> (Vec<String>, Vec<String>) {
    let mut in_order = Vec::new();
    let mut arrival = Vec::new();
    for r in 0..4 {
        let (d, g) = (
            step(&format!("d{r}"), r * 60),
            step(&format!("g{r}"), r * 60 + 20),
        );
        in_order.extend([d.clone(), g.clone()]);
        arrival.extend([g, d]);
    }
    (in_order, arrival)
}

#[test]
fn by_default_each_round_is_an_alert_of_its_own() {
    let (in_order, arrival) = flapping();
    let cfg = DetectConfig::default();
    let want = dtg(&cfg, &in_order);
    assert_eq!(
        ids(&want),
        [["d0", "g0"], ["d1", "g1"], ["d2", "g2"], ["d3", "g3"]],
        "{want:#?}"
    );
    let got = dtg(&cfg, &arrival);
    assert_eq!(
        serde_json::to_value(&got).unwrap(),
        serde_json::to_value(&want).unwrap()
    );
}

#[test]
fn within_a_configured_keep_alive_the_rounds_join_one_alert() {
    let (in_order, arrival) = flapping();
    let cfg: DetectConfig =
        toml::from_str("[rules.denied_then_granted]\nkeep_alive_secs = 120\n").unwrap();
    let want = dtg(&cfg, &in_order);
    assert_eq!(
        ids(&want),
        [["d0", "g0", "d1", "g1", "d2", "g2", "d3", "g3"]],
        "{want:#?}"
    );
    assert!(
        want[0].summary.contains("denied 4 time(s)")
            && want[0].summary.contains("(4 times in all)"),
        "{}",
        want[0].summary
    );
    let got = dtg(&cfg, &arrival);
    assert_eq!(
        serde_json::to_value(&got).unwrap(),
        serde_json::to_value(&want).unwrap()
    );
    // A round past the keep-alive (130 s after the last grant) is a new
    // alert, with the denials since that grant.
    let mut later = in_order.clone();
    later.extend([step("d4", 250), step("d5", 300), step("g5", 330)]);
    assert_eq!(
        ids(&dtg(&cfg, &later)),
        [
            vec!["d0", "g0", "d1", "g1", "d2", "g2", "d3", "g3"],
            vec!["d4", "d5", "g5"]
        ]
    );
}

#[test]
fn a_grant_without_a_new_denial_is_no_round() {
    let lines = [
        step("d0", 0),
        step("g0", 10),
        step("g1", 20),
        step("g2", 200),
    ];
    let a = dtg(&DetectConfig::default(), &lines);
    assert_eq!(ids(&a), [["d0", "g0"]], "{a:#?}");
}

/// The next round's completing event arrives before the earlier one
/// (g2 before g1): the earlier completion re-anchors the alert, and g2,
/// handed back, completes the next round when its denial arrives.
#[test]
fn a_round_whose_completion_arrived_first_is_not_lost() {
    let in_order = [
        step("d1", 0),
        step("g1", 10),
        step("d2", 12),
        step("g2", 20),
    ];
    for order in [[3, 0, 1, 2], [1, 3, 0, 2], [3, 2, 1, 0]] {
        let arrival: Vec<String> = order.iter().map(|&i| in_order[i].clone()).collect();
        for cfg in ["", "[rules.denied_then_granted]\nkeep_alive_secs = 120\n"] {
            let cfg: DetectConfig = toml::from_str(cfg).unwrap();
            let want = dtg(&cfg, &in_order);
            let got = dtg(&cfg, &arrival);
            assert_eq!(
                serde_json::to_value(&got).unwrap(),
                serde_json::to_value(&want).unwrap(),
                "order {order:?}"
            );
        }
    }
}
