//! User-defined rules (`[[detect.custom]]`): each event offered to the
//! ones whose match expression it meets, by their kind (count or
//! distinct, sequence, new value).

use super::build::Custom;
use super::config::CustomKind;
use super::count::Hit;
use super::facts::Facts;
use super::field::group_key;
use super::sequence::Step;
use super::Detector;

impl Detector {
    pub(super) fn custom(&mut self, f: &Facts<'_>, wm: i64) {
        for c in &mut self.rules.custom {
            match c {
                Custom::Count(rule, cfg) => {
                    if !cfg.matches.matches(f.e) {
                        continue;
                    }
                    let Some(key) = group_key(&cfg.group_by, f) else {
                        continue;
                    };
                    let value = cfg.field.and_then(|fl| fl.value(f));
                    if cfg.kind == CustomKind::Distinct && value.is_none() {
                        continue;
                    }
                    let hit = Hit {
                        event: f.event(),
                        value,
                    };
                    rule.offer(key, hit, wm, &mut self.book, &mut self.used);
                }
                Custom::Sequence(rule, cfg) => {
                    let step = if cfg.matches.matches(f.e) {
                        Step::A
                    } else if cfg.then.as_ref().is_some_and(|t| t.matches(f.e)) {
                        Step::B
                    } else {
                        continue;
                    };
                    let Some(key) = group_key(&cfg.group_by, f) else {
                        continue;
                    };
                    let hash = rule.hash(&key);
                    rule.offer(hash, || key, step, f, || f.event(), wm, &mut self.book);
                }
                Custom::New(rule, cfg) => {
                    if !cfg.matches.matches(f.e) {
                        continue;
                    }
                    let (Some(key), Some(v)) = (
                        group_key(&cfg.group_by, f),
                        cfg.field.and_then(|fl| fl.value(f)),
                    ) else {
                        continue;
                    };
                    rule.offer(rule.hash(&key), &key, &v, f, wm, &mut self.book);
                }
            }
        }
    }
}
