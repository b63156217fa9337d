//! A borrowed, tolerant view of the few fields siem-bridge reads.
//!
//! The record itself is never rebuilt from this view: the original bytes are
//! what reaches the sinks (see [`super::render`]). The view only answers
//! questions (who, what, which verdict), so every field is *loose*: a wrong
//! JSON type is remembered as such instead of failing the parse, and the
//! validator decides which wrong types matter (the verdict fields) and which
//! do not (everything else).

mod loose;

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

pub use loose::{Field, List, Obj};

/// One JSON value kept as its text (a principal: a string in the broker
/// dialect, an object in the cloud one). serde_json reads it as a
/// [`RawValue`]; the scanner, which has just skipped the value and so
/// knows it is valid, takes the text as it is, without handing it to
/// serde_json to be parsed a second time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawJson<'a>(&'a str);

impl<'a> RawJson<'a> {
    /// The value's JSON text.
    pub fn get(self) -> &'a str {
        self.0
    }

    /// `json` must be exactly one valid JSON value (the scanner's skipped
    /// value, or a test's literal).
    pub(crate) fn of_valid(json: &'a str) -> RawJson<'a> {
        debug_assert!(serde_json::from_str::<&RawValue>(json).is_ok(), "{json}");
        RawJson(json)
    }
}

impl<'a> From<&'a RawValue> for RawJson<'a> {
    fn from(r: &'a RawValue) -> RawJson<'a> {
        RawJson(r.get())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for RawJson<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <&'de RawValue>::deserialize(d).map(RawJson::from)
    }
}

/// The CloudEvents envelope. Keys not named here are skipped by serde and
/// survive untouched in the original bytes.
#[derive(Debug, Deserialize)]
pub struct Envelope<'a> {
    #[serde(borrow, default)]
    pub id: Field<'a>,
    #[serde(borrow, default)]
    pub source: Field<'a>,
    #[serde(borrow, default)]
    pub specversion: Field<'a>,
    #[serde(borrow, default, rename = "type")]
    pub event_type: Field<'a>,
    #[serde(borrow, default)]
    pub subject: Field<'a>,
    #[serde(borrow, default)]
    pub time: Field<'a>,
    #[serde(borrow, default)]
    pub data: Obj<Data<'a>>,
    /// Filled by the scanner only ([`super::extra`]).
    #[serde(skip)]
    pub extras: super::extra::ExtraSpans,
}

/// `data`, both dialects, with the snake_case aliases seen in doc examples.
#[derive(Debug, Default, Deserialize)]
pub struct Data<'a> {
    #[serde(borrow, default, rename = "serviceName", alias = "service_name")]
    pub service_name: Field<'a>,
    #[serde(borrow, default, rename = "methodName", alias = "method_name")]
    pub method_name: Field<'a>,
    #[serde(borrow, default, rename = "resourceName", alias = "resource_name")]
    pub resource_name: Field<'a>,
    #[serde(borrow, default, rename = "cloudResources", alias = "cloud_resources")]
    pub cloud_resources: List<CloudResource<'a>>,
    #[serde(
        borrow,
        default,
        rename = "authenticationInfo",
        alias = "authentication_info"
    )]
    pub authentication_info: Obj<AuthenticationInfo<'a>>,
    #[serde(
        borrow,
        default,
        rename = "authorizationInfo",
        alias = "authorization_info"
    )]
    pub authorization_info: Obj<AuthorizationInfo<'a>>,
    #[serde(borrow, default)]
    pub request: Obj<Request<'a>>,
    #[serde(
        borrow,
        default,
        rename = "requestMetadata",
        alias = "request_metadata"
    )]
    pub request_metadata: Obj<RequestMetadata<'a>>,
    #[serde(borrow, default)]
    pub result: Obj<ResultInfo<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct CloudResource<'a> {
    #[serde(borrow, default)]
    pub scope: Obj<Scope<'a>>,
    #[serde(borrow, default)]
    pub resource: Obj<ResourceId<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Scope<'a> {
    #[serde(borrow, default)]
    pub resources: List<ResourceId<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ResourceId<'a> {
    #[serde(borrow, default, rename = "type")]
    pub kind: Field<'a>,
    #[serde(borrow, default, rename = "resourceId", alias = "resource_id")]
    pub resource_id: Field<'a>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AuthenticationInfo<'a> {
    /// String (broker dialect) or object (cloud dialect): kept raw and read
    /// by [`crate::event::principal`].
    #[serde(borrow, default)]
    pub principal: Option<RawJson<'a>>,
    #[serde(borrow, default, rename = "principalResourceId")]
    pub principal_resource_id: Field<'a>,
    #[serde(borrow, default)]
    pub identity: Field<'a>,
    #[serde(borrow, default)]
    pub result: Field<'a>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AuthorizationInfo<'a> {
    #[serde(borrow, default)]
    pub granted: Field<'a>,
    #[serde(borrow, default)]
    pub result: Field<'a>,
    #[serde(borrow, default)]
    pub operation: Field<'a>,
    #[serde(borrow, default, rename = "resourceType", alias = "resource_type")]
    pub resource_type: Field<'a>,
    #[serde(borrow, default, rename = "resourceName", alias = "resource_name")]
    pub resource_name: Field<'a>,
    #[serde(borrow, default, rename = "rbacAuthorization")]
    pub rbac: Obj<Acting<'a>>,
    #[serde(borrow, default, rename = "aclAuthorization")]
    pub acl: Obj<Acting<'a>>,
}

/// The part of `rbacAuthorization` / `aclAuthorization` we read.
#[derive(Debug, Default, Deserialize)]
pub struct Acting<'a> {
    #[serde(borrow, default, rename = "actingPrincipal")]
    pub acting_principal: Option<RawJson<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Request<'a> {
    #[serde(borrow, default, rename = "accessType", alias = "access_type")]
    pub access_type: Field<'a>,
    #[serde(borrow, default, rename = "correlationId")]
    pub correlation_id_camel: Field<'a>,
    #[serde(borrow, default, rename = "correlation_id")]
    pub correlation_id_snake: Field<'a>,
    #[serde(borrow, default, rename = "clientId")]
    pub client_id_camel: Field<'a>,
    #[serde(borrow, default, rename = "client_id")]
    pub client_id_snake: Field<'a>,
    /// Free-form; read only for the role named in a role-binding request.
    #[serde(borrow, default)]
    pub data: Obj<RequestData<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RequestData<'a> {
    #[serde(borrow, default)]
    pub role_name: Field<'a>,
    #[serde(borrow, default, rename = "roleName")]
    pub role_name_camel: Field<'a>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RequestMetadata<'a> {
    #[serde(borrow, default, rename = "clientAddress")]
    pub client_address_list: List<Address<'a>>,
    #[serde(borrow, default, rename = "client_address")]
    pub client_address: Field<'a>,
    #[serde(borrow, default, rename = "clientId")]
    pub client_id: Field<'a>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Address<'a> {
    #[serde(borrow, default)]
    pub ip: Field<'a>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ResultInfo<'a> {
    #[serde(borrow, default)]
    pub status: Field<'a>,
}
