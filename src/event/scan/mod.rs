//! The fast path that builds the [`Envelope`] view in one pass over the
//! record, without serde.
//!
//! serde_json's typed parse was about 45 % of the core's cost: every key
//! and every skipped value goes through the generic visitor machinery. This
//! scanner reads the same JSON grammar with fixed code for the few keys we
//! know and a tight skip for everything else.
//!
//! It is only a fast path. Whenever a record is anything but plain — a
//! syntax error, a duplicate known key, an escape in a key or in a string
//! we keep, a number whose range serde_json would check — it answers `None`
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

mod grammar;
mod window;

use self::window::Window;
use super::view::{
    Acting, Address, AuthenticationInfo, AuthorizationInfo, CloudResource, Data, Envelope, Field,
    Obj, Request, RequestData, RequestMetadata, ResourceId, ResultInfo, Scope,
};

/// The view of `text`, or `None` when serde_json must decide.
pub fn envelope(text: &str) -> Option<Envelope<'_>> {
    let mut s = Scan {
        text,
        b: text.as_bytes(),
        i: 0,
        depth: 0,
        win: Window::EMPTY,
    };
    s.ws();
    let env = s.envelope()?;
    s.ws();
    (s.i == s.b.len()).then_some(env)
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
    fn envelope(&mut self) -> Option<Envelope<'a>> {
        let mut e = Envelope {
            id: Field::Absent,
            source: Field::Absent,
            specversion: Field::Absent,
            event_type: Field::Absent,
            subject: Field::Absent,
            time: Field::Absent,
            data: Obj::Absent,
        };
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
                    e.data = s.obj(Self::data)?;
                }
                _ => s.skip()?,
            }
            Some(())
        })?;
        Some(e)
    }

    fn data(&mut self) -> Option<Data<'a>> {
        let mut d = Data::default();
        let mut seen = 0;
        self.object(|s, key| {
            match key {
                "serviceName" | "service_name" => d.service_name = s.field(&mut seen, 1)?,
                "methodName" | "method_name" => d.method_name = s.field(&mut seen, 2)?,
                "resourceName" | "resource_name" => d.resource_name = s.field(&mut seen, 4)?,
                "cloudResources" | "cloud_resources" => {
                    once(&mut seen, 8)?;
                    d.cloud_resources = s.list(Self::cloud_resource)?;
                }
                "authenticationInfo" | "authentication_info" => {
                    once(&mut seen, 16)?;
                    d.authentication_info = s.obj(Self::authentication)?;
                }
                "authorizationInfo" | "authorization_info" => {
                    once(&mut seen, 32)?;
                    d.authorization_info = s.obj(Self::authorization)?;
                }
                "request" => {
                    once(&mut seen, 64)?;
                    d.request = s.obj(Self::request)?;
                }
                "requestMetadata" | "request_metadata" => {
                    once(&mut seen, 128)?;
                    d.request_metadata = s.obj(Self::request_metadata)?;
                }
                "result" => {
                    once(&mut seen, 256)?;
                    d.result = s.obj(|s| {
                        let mut r = ResultInfo::default();
                        let mut seen = 0;
                        s.object(|s, key| {
                            match key {
                                "status" => r.status = s.field(&mut seen, 1)?,
                                _ => s.skip()?,
                            }
                            Some(())
                        })?;
                        Some(r)
                    })?;
                }
                _ => s.skip()?,
            }
            Some(())
        })?;
        Some(d)
    }

    fn cloud_resource(&mut self) -> Option<CloudResource<'a>> {
        let mut c = CloudResource::default();
        let mut seen = 0;
        self.object(|s, key| {
            match key {
                "scope" => {
                    once(&mut seen, 1)?;
                    c.scope = s.obj(|s| {
                        let mut sc = Scope::default();
                        let mut seen = 0;
                        s.object(|s, key| {
                            match key {
                                "resources" => {
                                    once(&mut seen, 1)?;
                                    sc.resources = s.list(Self::resource_id)?;
                                }
                                _ => s.skip()?,
                            }
                            Some(())
                        })?;
                        Some(sc)
                    })?;
                }
                "resource" => {
                    once(&mut seen, 2)?;
                    c.resource = s.obj(Self::resource_id)?;
                }
                _ => s.skip()?,
            }
            Some(())
        })?;
        Some(c)
    }

    fn resource_id(&mut self) -> Option<ResourceId<'a>> {
        let mut r = ResourceId::default();
        let mut seen = 0;
        self.object(|s, key| {
            match key {
                "type" => r.kind = s.field(&mut seen, 1)?,
                "resourceId" | "resource_id" => r.resource_id = s.field(&mut seen, 2)?,
                _ => s.skip()?,
            }
            Some(())
        })?;
        Some(r)
    }

    fn authentication(&mut self) -> Option<AuthenticationInfo<'a>> {
        let mut a = AuthenticationInfo::default();
        let mut seen = 0;
        self.object(|s, key| {
            match key {
                "principal" => {
                    once(&mut seen, 1)?;
                    a.principal = s.raw()?;
                }
                "principalResourceId" => a.principal_resource_id = s.field(&mut seen, 2)?,
                "identity" => a.identity = s.field(&mut seen, 4)?,
                "result" => a.result = s.field(&mut seen, 8)?,
                _ => s.skip()?,
            }
            Some(())
        })?;
        Some(a)
    }

    fn authorization(&mut self) -> Option<AuthorizationInfo<'a>> {
        let mut a = AuthorizationInfo::default();
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
                    a.rbac = s.obj(Self::acting)?;
                }
                "aclAuthorization" => {
                    once(&mut seen, 64)?;
                    a.acl = s.obj(Self::acting)?;
                }
                _ => s.skip()?,
            }
            Some(())
        })?;
        Some(a)
    }

    fn acting(&mut self) -> Option<Acting<'a>> {
        let mut a = Acting::default();
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
        })?;
        Some(a)
    }

    fn request(&mut self) -> Option<Request<'a>> {
        let mut r = Request::default();
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
                    r.data = s.obj(|s| {
                        let mut d = RequestData::default();
                        let mut seen = 0;
                        s.object(|s, key| {
                            match key {
                                "role_name" => d.role_name = s.field(&mut seen, 1)?,
                                "roleName" => d.role_name_camel = s.field(&mut seen, 2)?,
                                _ => s.skip()?,
                            }
                            Some(())
                        })?;
                        Some(d)
                    })?;
                }
                _ => s.skip()?,
            }
            Some(())
        })?;
        Some(r)
    }

    fn request_metadata(&mut self) -> Option<RequestMetadata<'a>> {
        let mut m = RequestMetadata::default();
        let mut seen = 0;
        self.object(|s, key| {
            match key {
                "clientAddress" => {
                    once(&mut seen, 1)?;
                    m.client_address_list = s.list(|s| {
                        let mut a = Address::default();
                        let mut seen = 0;
                        s.object(|s, key| {
                            match key {
                                "ip" => a.ip = s.field(&mut seen, 1)?,
                                _ => s.skip()?,
                            }
                            Some(())
                        })?;
                        Some(a)
                    })?;
                }
                "client_address" => m.client_address = s.field(&mut seen, 2)?,
                "clientId" => m.client_id = s.field(&mut seen, 4)?,
                _ => s.skip()?,
            }
            Some(())
        })?;
        Some(m)
    }
}

#[cfg(test)]
mod tests;
