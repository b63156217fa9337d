//! THE HTTP status table shared by every HTTP sink (see the module doc of
//! [`super`] for why 501 is `Misconfigured`).

/// What an HTTP status says before the body is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// 2xx: the server took the request; the sink reads the body.
    Success,
    /// 413: the body is over the server's (or a proxy's) size limit.
    TooLarge,
    /// 408, 429, 5xx except 501: temporary; resend with backoff.
    Retry,
    /// Everything else (401/403, 404, 501, 3xx, ...): the sink's
    /// configuration is wrong, not the events; pause, never dead-letter.
    Misconfigured,
}

/// Classifies `status`. Sinks refine the class from the body (see
/// [`super`]); they do not decide a status differently.
pub(crate) fn class(status: u16) -> Class {
    match status {
        200..=299 => Class::Success,
        413 => Class::TooLarge,
        408 | 429 => Class::Retry,
        // The server does not implement what we call: resending the same
        // request cannot help (as in Vector's `retry_action`).
        501 => Class::Misconfigured,
        500..=599 => Class::Retry,
        _ => Class::Misconfigured,
    }
}

#[cfg(test)]
mod tests;
