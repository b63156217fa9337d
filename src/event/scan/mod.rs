//! The fast path that builds the [`Envelope`] view in one pass over the
//! record, without serde.
//!
//! serde_json's typed parse was about 45 % of the core's cost: every key
//! and every skipped value goes through the generic visitor machinery. This
//! scanner reads the same JSON grammar with fixed code for the few keys we
//! know and a tight skip for everything else.
//!
//! It is only a fast path. Whenever a record is anything but plain — a
//! syntax error, a duplicate known key, an escape in a key, an escape in a
//! string we keep that is not well formed (strings with well-formed escapes,
//! as Confluent Platform's Gson writes them, are decoded), a number whose
//! range serde_json would check — it answers `None`
//! and [`super::validate::parse`] falls back to serde_json, which then
//! decides (and words the dead-letter reason) exactly as before. So the rule
//! this file must keep is one-sided: when it answers `Some`, serde_json
//! accepts the record and builds an equal view (checked by a differential
//! test over the fixtures and generated records).
//!
//! The caller has checked UTF-8, so ASCII delimiters found byte by byte are
//! character boundaries. The scanner counts depth itself and gives up past
//! the limit: a record it accepts is never too deep, so the caller runs the
//! depth pre-check only on the serde_json path.

#[cfg(test)]
pub(crate) mod edits;
mod extra;
mod grammar;
mod window;

use self::window::Window;
use super::extra::{Extra, ExtraSpans};
use super::view::{
    Acting, Address, AuthenticationInfo, AuthorizationInfo, CloudResource, Data, Envelope, Field,
    Obj, Request, RequestData, RequestMetadata, ResourceId, ResultInfo, Scope,
};

/// `raw` as text, for [`read`]. Audit events are nearly always pure
/// ASCII, which is checked 64 bytes a step, several times faster than the
/// general UTF-8 validation that everything else gets.
pub fn text(raw: &[u8]) -> Result<&str, std::str::Utf8Error> {
    if window::is_ascii(raw) {
        // SAFETY: ASCII is valid UTF-8.
        return Ok(unsafe { std::str::from_utf8_unchecked(raw) });
    }
    std::str::from_utf8(raw)
}

/// An envelope with every attribute absent, for [`read`] to fill.
pub fn empty<'a>() -> Envelope<'a> {
    Envelope {
        id: Field::Absent,
        source: Field::Absent,
        specversion: Field::Absent,
        event_type: Field::Absent,
        subject: Field::Absent,
        time: Field::Absent,
        data: Obj::Absent,
        extras: ExtraSpans::default(),
    }
}

/// Reads the view of `text` into `e` (fresh from [`empty`]); `false` when
/// serde_json must decide, leaving `e` partly filled. Filling the caller's
/// view in place saves copying it (about 750 bytes) at each return.
pub fn read<'a>(text: &'a str, e: &mut Envelope<'a>) -> bool {
    let mut s = Scan {
        text,
        b: text.as_bytes(),
        i: 0,
        depth: 0,
        win: Window::EMPTY,
        extra: ExtraSpans::new(text.len()),
    };
    s.ws();
    if s.envelope(e).is_none() {
        return false;
    }
    s.ws();
    // When the scanner stopped short, serde_json replaces the whole view.
    s.extra.layout_read(text.len());
    e.extras = s.extra;
    s.i == s.b.len()
}

struct Scan<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
    /// Open objects and arrays; past [`super::validate::MAX_DEPTH`] the
    /// scanner gives up, so its recursion is bounded and serde_json's path
    /// (which checks the depth first) names the reason.
    depth: usize,
    /// Where the strings end (see [`window`]).
    win: Window,
    /// Where the detector's extra facts are ([`super::extra`]).
    extra: ExtraSpans,
}

/// Marks key `bit` as seen; a second time means a duplicate field, which
/// serde reports, so the fast path gives up.
fn once(seen: &mut u32, bit: u32) -> Option<()> {
    if *seen & bit != 0 {
        return None;
    }
    *seen |= bit;
    Some(())
}

impl<'a> Scan<'a> {
    fn envelope(&mut self, e: &mut Envelope<'a>) -> Option<()> {
        let mut seen = 0;
        self.object(|s, key| {
            match key {
                "id" => e.id = s.field(&mut seen, 1)?,
                "source" => e.source = s.field(&mut seen, 2)?,
                "specversion" => e.specversion = s.field(&mut seen, 4)?,
                "type" => e.event_type = s.field(&mut seen, 8)?,
                "subject" => e.subject = s.field(&mut seen, 16)?,
                "time" => e.time = s.field(&mut seen, 32)?,
                "data" => {
                    once(&mut seen, 64)?;
                    s.obj(&mut e.data, Self::data)?;
                }
                _ => s.skip()?,
            }
            Some(())
        })
    }

    // The readers below fill a default view in place (see `Scan::obj`):
    // returning the larger ones by value cost a copy at every level.

    fn data(&mut self, d: &mut Data<'a>) -> Option<()> {
        let mut seen = 0;
        self.object(|s, key| {
            match key {
                "serviceName" | "service_name" => d.service_name = s.field(&mut seen, 1)?,
                "methodName" | "method_name" => d.method_name = s.field(&mut seen, 2)?,
                "resourceName" | "resource_name" => d.resource_name = s.field(&mut seen, 4)?,
                "cloudResources" | "cloud_resources" => {
                    once(&mut seen, 8)?;
                    s.list(&mut d.cloud_resources, Self::cloud_resource)?;
                }
                "authenticationInfo" | "authentication_info" => {
                    once(&mut seen, 16)?;
                    s.obj(&mut d.authentication_info, Self::authentication)?;
                }
                "authorizationInfo" | "authorization_info" => {
                    once(&mut seen, 32)?;
                    s.obj(&mut d.authorization_info, Self::authorization)?;
                }
                "request" => {
                    once(&mut seen, 64)?;
                    s.obj(&mut d.request, Self::request)?;
                }
                "requestMetadata" | "request_metadata" => {
                    once(&mut seen, 128)?;
                    s.obj(&mut d.request_metadata, Self::request_metadata)?;
                }
                "result" => {
                    once(&mut seen, 256)?;
                    s.obj(&mut d.result, |s, r: &mut ResultInfo<'a>| {
                        let mut seen = 0;
                        s.object(|s, key| {
                            match key {
                                "status" => r.status = s.field(&mut seen, 1)?,
                                "data" => s.extra_obj(&mut seen, 2, Self::result_data)?,
                                _ => s.skip()?,
                            }
                            Some(())
                        })
                    })?;
                }
                _ => s.skip()?,
            }
            Some(())
        })
    }

    fn cloud_resource(&mut self, c: &mut CloudResource<'a>) -> Option<()> {
        let mut seen = 0;
        self.object(|s, key| {
            match key {
                "scope" => {
                    once(&mut seen, 1)?;
                    s.obj(&mut c.scope, |s, sc: &mut Scope<'a>| {
                        let mut seen = 0;
                        s.object(|s, key| {
                            match key {
                                "resources" => {
                                    once(&mut seen, 1)?;
                                    s.list(&mut sc.resources, Self::resource_id)?;
                                }
                                _ => s.skip()?,
                            }
                            Some(())
                        })
                    })?;
                }
                "resource" => {
                    once(&mut seen, 2)?;
                    s.obj(&mut c.resource, Self::resource_id)?;
                }
                _ => s.skip()?,
            }
            Some(())
        })
    }

    fn resource_id(&mut self, r: &mut ResourceId<'a>) -> Option<()> {
        let mut seen = 0;
        self.object(|s, key| {
            match key {
                "type" => r.kind = s.field(&mut seen, 1)?,
                "resourceId" | "resource_id" => r.resource_id = s.field(&mut seen, 2)?,
                _ => s.skip()?,
            }
            Some(())
        })
    }

    fn authentication(&mut self, a: &mut AuthenticationInfo<'a>) -> Option<()> {
        let mut seen = 0;
        self.object(|s, key| {
            match key {
                "principal" => {
                    once(&mut seen, 1)?;
                    let start = s.i;
                    a.principal = s.raw()?;
                    s.extra.set(Extra::Principal, start..s.i);
                }
                "principalResourceId" => a.principal_resource_id = s.field(&mut seen, 2)?,
                "identity" => a.identity = s.field(&mut seen, 4)?,
                "result" => a.result = s.field(&mut seen, 8)?,
                "metadata" => s.extra_obj(&mut seen, 16, Self::metadata)?,
                "credentials" => s.extra_obj(&mut seen, 32, Self::credentials)?,
                _ => s.skip()?,
            }
            Some(())
        })
    }

    fn authorization(&mut self, a: &mut AuthorizationInfo<'a>) -> Option<()> {
        let mut seen = 0;
        self.object(|s, key| {
            match key {
                "granted" => a.granted = s.field(&mut seen, 1)?,
                "result" => a.result = s.field(&mut seen, 2)?,
                "operation" => a.operation = s.field(&mut seen, 4)?,
                "resourceType" | "resource_type" => a.resource_type = s.field(&mut seen, 8)?,
                "resourceName" | "resource_name" => a.resource_name = s.field(&mut seen, 16)?,
                "rbacAuthorization" => {
                    once(&mut seen, 32)?;
                    s.obj(&mut a.rbac, Self::acting)?;
                }
                "aclAuthorization" => {
                    once(&mut seen, 64)?;
                    s.obj(&mut a.acl, Self::acting)?;
                }
                "patternType" => s.capture(Extra::PatternType, &mut seen, 128)?,
                "pattern_type" => s.capture(Extra::PatternTypeSnake, &mut seen, 256)?,
                "dryRun" => s.capture(Extra::DryRun, &mut seen, 512)?,
                "dry_run" => s.capture(Extra::DryRunSnake, &mut seen, 1024)?,
                _ => s.skip()?,
            }
            Some(())
        })
    }

    fn acting(&mut self, a: &mut Acting<'a>) -> Option<()> {
        let mut seen = 0;
        self.object(|s, key| {
            match key {
                "actingPrincipal" => {
                    once(&mut seen, 1)?;
                    a.acting_principal = s.raw()?;
                }
                _ => s.skip()?,
            }
            Some(())
        })
    }

    fn request(&mut self, r: &mut Request<'a>) -> Option<()> {
        let mut seen = 0;
        self.object(|s, key| {
            match key {
                "accessType" | "access_type" => r.access_type = s.field(&mut seen, 1)?,
                "correlationId" => r.correlation_id_camel = s.field(&mut seen, 2)?,
                "correlation_id" => r.correlation_id_snake = s.field(&mut seen, 4)?,
                "clientId" => r.client_id_camel = s.field(&mut seen, 8)?,
                "client_id" => r.client_id_snake = s.field(&mut seen, 16)?,
                "data" => {
                    once(&mut seen, 32)?;
                    s.obj(&mut r.data, |s, d: &mut RequestData<'a>| {
                        let mut seen = 0;
                        s.object(|s, key| {
                            match key {
                                "role_name" => d.role_name = s.field(&mut seen, 1)?,
                                "roleName" => d.role_name_camel = s.field(&mut seen, 2)?,
                                "crn_pattern" => s.capture(Extra::CrnPattern, &mut seen, 4)?,
                                "crnPattern" => s.capture(Extra::CrnPatternCamel, &mut seen, 8)?,
                                "principal" => s.capture(Extra::TargetPrincipal, &mut seen, 16)?,
                                _ => s.skip()?,
                            }
                            Some(())
                        })
                    })?;
                }
                _ => s.skip()?,
            }
            Some(())
        })
    }

    fn request_metadata(&mut self, m: &mut RequestMetadata<'a>) -> Option<()> {
        let mut seen = 0;
        self.object(|s, key| {
            match key {
                "clientAddress" => {
                    once(&mut seen, 1)?;
                    s.list(&mut m.client_address_list, |s, a: &mut Address<'a>| {
                        let mut seen = 0;
                        s.object(|s, key| {
                            match key {
                                "ip" => a.ip = s.field(&mut seen, 1)?,
                                _ => s.skip()?,
                            }
                            Some(())
                        })
                    })?;
                }
                "client_address" => m.client_address = s.field(&mut seen, 2)?,
                "clientId" => m.client_id = s.field(&mut seen, 4)?,
                "connection_id" => s.capture(Extra::ConnectionId, &mut seen, 8)?,
                "connectionId" => s.capture(Extra::ConnectionIdCamel, &mut seen, 16)?,
                _ => s.skip()?,
            }
            Some(())
        })
    }
}

#[cfg(test)]
mod tests;
