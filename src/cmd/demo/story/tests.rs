use super::*;
use crate::cmd::demo::generate::stream;

#[test]
fn the_storyline_raises_the_attack_rules() {
    for n in [100, 2000] {
        let story = tell(&stream(n, 1_741_078_800_000));
        assert_eq!(story.failed_logins, 20, "{n}");
        assert_eq!(
            story.login.as_ref().map(|(who, _)| who.as_str()),
            Some("User:sa-leak42")
        );
        assert_eq!(story.denials, 31);
        let rules = story.rules();
        for rule in [
            "auth_bruteforce",
            "failed_logins_then_success",
            "denial_burst",
        ] {
            assert!(rules.contains(rule), "{n} events: {rule} not in {rules:?}");
        }
    }
}
