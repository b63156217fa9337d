//! The syntax checks of single syslog keys (`address`, `hostname`,
//! `app_name`, `sd_id`), each with its typed error.

/// `address` is not `host:port`: write it as `host:port`, or
/// `[addr]:port` for an IPv6 address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not host:port (use [addr]:port for IPv6)")]
pub struct AddressError(pub String);

/// A HOSTNAME or APP-NAME that RFC 5424 does not allow: shorten it, or
/// remove its spaces and non-ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderFieldError {
    #[error("must be 1–{max} characters")]
    Length { max: usize },
    #[error("must be printable US-ASCII without spaces")]
    Characters,
}

/// An `sd_id` RFC 5424 does not allow: use `name@<private enterprise
/// number>`, e.g. `audit@32473`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdIdError {
    #[error("`{0}` must be 1–32 characters (RFC 5424 SD-NAME)")]
    Length(String),
    #[error("`{0}` may hold printable ASCII except `=`, `]`, `\"`")]
    Characters(String),
    #[error("`{0}` must be name@<private enterprise number>, e.g. audit@32473")]
    NoEnterpriseNumber(String),
}

/// `(host, port)` of `address`, IPv6 brackets removed.
pub(super) fn split_address(address: &str) -> Result<(&str, u16), AddressError> {
    let bad = || AddressError(address.to_owned());
    let (host, port) = if let Some(rest) = address.strip_prefix('[') {
        let (h, p) = rest.split_once(']').ok_or_else(bad)?;
        (h, p.strip_prefix(':').ok_or_else(bad)?)
    } else {
        let (h, p) = address.rsplit_once(':').ok_or_else(bad)?;
        if h.contains(':') {
            return Err(bad());
        }
        (h, p)
    };
    let port: u16 = port.parse().map_err(|_| bad())?;
    if host.is_empty() || port == 0 {
        return Err(bad());
    }
    Ok((host, port))
}

/// HOSTNAME and APP-NAME are printable US-ASCII without spaces.
pub(super) fn check_header_field(v: &str, max: usize) -> Result<(), HeaderFieldError> {
    if v.is_empty() || v.len() > max {
        return Err(HeaderFieldError::Length { max });
    }
    if !v.bytes().all(|b| (33..=126).contains(&b)) {
        return Err(HeaderFieldError::Characters);
    }
    Ok(())
}

/// RFC 5424 §6.3.2: SD-NAME is 1–32 printable ASCII without `= ] "` or
/// space; an SD-ID without `@` must be IANA-registered, so ours need
/// `name@<enterprise number>`.
pub fn check_sd_id(v: &str) -> Result<(), SdIdError> {
    if v.is_empty() || v.len() > 32 {
        return Err(SdIdError::Length(v.to_owned()));
    }
    if !v
        .bytes()
        .all(|b| (33..=126).contains(&b) && !matches!(b, b'=' | b']' | b'"'))
    {
        return Err(SdIdError::Characters(v.to_owned()));
    }
    match v.split_once('@') {
        Some((name, pen))
            if !name.is_empty()
                && !pen.is_empty()
                && !pen.contains('@')
                && pen
                    .split('.')
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) =>
        {
            Ok(())
        }
        _ => Err(SdIdError::NoEnterpriseNumber(v.to_owned())),
    }
}
