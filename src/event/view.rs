//! A borrowed, tolerant view of the few fields siem-bridge reads.
//!
//! The record itself is never rebuilt from this view: the original bytes are
//! what reaches the sinks (see [`super::render`]). The view only answers
//! questions (who, what, which verdict), so every field is *loose*: a wrong
//! JSON type is remembered as such instead of failing the parse, and the
//! validator decides which wrong types matter (the verdict fields) and which
//! do not (everything else).

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

/// One JSON value of which only strings are kept.
#[derive(Debug, Default, Clone, PartialEq)]
pub enum Field<'a> {
    /// The key was not there.
    #[default]
    Absent,
    Null,
    Bool(bool),
    Str(Cow<'a, str>),
    Number,
    Array,
    Object,
}

impl<'a> Field<'a> {
    /// The string, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Field::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The string if it is a non-empty string.
    pub fn non_empty(&self) -> Option<&str> {
        self.as_str().filter(|s| !s.is_empty())
    }

    /// Absent or explicit null: both mean "not given" in the audit schema.
    pub fn is_missing(&self) -> bool {
        matches!(self, Field::Absent | Field::Null)
    }

    /// A short name of the JSON type, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Field::Absent => "missing",
            Field::Null => "null",
            Field::Bool(_) => "a boolean",
            Field::Str(_) => "a string",
            Field::Number => "a number",
            Field::Array => "an array",
            Field::Object => "an object",
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Field<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Field<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Field::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Field::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Field::Str(Cow::Owned(v)))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Field::Bool(v))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Field::Number)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Field::Number)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Field::Number)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Field::Null)
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Field::Null)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Field::Array)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Field::Object)
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A value that should be an object of shape `T`; anything else is kept as
/// the [`Field`] kind it was, so the validator can name it.
#[derive(Debug, Default)]
pub enum Obj<T> {
    #[default]
    Absent,
    Null,
    Object(T),
    /// Not an object: the JSON kind found instead.
    Other(&'static str),
}

impl<T> Obj<T> {
    pub fn get(&self) -> Option<&T> {
        match self {
            Obj::Object(t) => Some(t),
            _ => None,
        }
    }

    /// Present but neither an object nor null.
    pub fn wrong_kind(&self) -> Option<&'static str> {
        match self {
            Obj::Other(kind) => Some(kind),
            _ => None,
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Obj<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Obj::Object)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Obj::Null)
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Obj::Null)
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Obj::Other("a string"))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Obj::Other("a boolean"))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Obj::Other("a number"))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Obj::Other("a number"))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Obj::Other("a number"))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Obj::Other("an array"))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A value that should be an array of `T` objects; anything else reads as
/// empty. Elements that are not objects are skipped.
#[derive(Debug)]
pub struct List<T>(pub Vec<T>);

impl<T> Default for List<T> {
    fn default() -> Self {
        List(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = List<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<Obj<T>>()? {
                    if let Obj::Object(t) = item {
                        out.push(t);
                    }
                }
                Ok(List(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(List(Vec::new()))
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(List(Vec::new()))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(List(Vec::new()))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(List(Vec::new()))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(List(Vec::new()))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(List(Vec::new()))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(List(Vec::new()))
            }
        }
        d.deserialize_any(V(PhantomData))
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
    pub principal: Option<&'a RawValue>,
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
    pub acting_principal: Option<&'a RawValue>,
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
