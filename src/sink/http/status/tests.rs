use super::*;

#[test]
fn one_table_for_every_http_sink() {
    for s in [200, 201, 204, 299] {
        assert_eq!(class(s), Class::Success, "{s}");
    }
    assert_eq!(class(413), Class::TooLarge);
    for s in [408, 429, 500, 502, 503, 504, 505, 506, 507, 599] {
        assert_eq!(class(s), Class::Retry, "{s}");
    }
    for s in [301, 400, 401, 403, 404, 405, 501] {
        assert_eq!(class(s), Class::Misconfigured, "{s}");
    }
}

#[test]
fn not_implemented_is_not_retried() {
    // Decided once for every HTTP sink: the endpoint does not implement
    // the call, so the same request can never succeed.
    assert_eq!(class(501), Class::Misconfigured);
}
