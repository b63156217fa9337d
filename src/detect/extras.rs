//! Facts the enrichment does not carry, read from the event's JSON for
//! the few events that need them (authentications, denials, privilege
//! changes): the credential tried, the connection id, a role binding's
//! target. Usually decoded from the byte ranges the scanner kept in its
//! one pass ([`Extras::from_spans`]); the typed parse below
//! ([`Extras::read`]) is the reference and the fallback.
//!
//! Read with typed, lenient structs rather than a `serde_json::Value`: a
//! `Value` refuses records the bridge accepts and forwards (a number
//! like `1e400`, a lone `\ud800` escape, deep nesting, in fields nothing
//! reads), and an attacker who can put such a value in a request field
//! would have taken the credential out of the rules' sight. Fields no rule
//! reads are skipped without being decoded; a field of an unexpected type
//! reads as absent instead of failing the whole read.

use std::marker::PhantomData;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::event::extra::{Extra, ExtraSpans};

/// Facts that need a second look at the JSON.
#[derive(Debug, Default, Clone)]
pub struct Extras {
    /// The credential an authentication used or tried.
    pub identifier: Option<String>,
    pub connection_id: Option<String>,
    /// Role-binding target (`request.data.crn_pattern`).
    pub crn_pattern: Option<String>,
    /// `authorizationInfo.patternType`.
    pub pattern_type: Option<String>,
    /// `result.data.errorType` of a failed request.
    pub error_type: Option<String>,
    /// The principal a role binding or ACL is for (`request.data.principal`).
    pub target_principal: Option<String>,
}

impl Extras {
    /// Reads the extra facts from the event's JSON (the record, or its
    /// rendered form); absent facts are `None`, never an error.
    pub fn read(raw: &[u8]) -> Extras {
        let Ok(r) = serde_json::from_slice::<Record>(raw) else {
            return Extras::default();
        };
        let d = r.data;
        let (a, b) = (&d.authentication_info, &d.authentication_info_snake);
        let pick = |f: fn(&Authn) -> &Text| f(a).0.clone().or_else(|| f(b).0.clone());
        let identifier = pick(|a| &a.metadata.identifier)
            .or_else(|| pick(|a| &a.credentials.id_secret.credential_id))
            .or_else(|| pick(|a| &a.credentials.id_token.subject))
            .or_else(|| pick(|a| &a.credentials.certificate.dname.cn))
            .or_else(|| pick(|a| &a.principal.email));
        let meta = |f: fn(&Meta) -> &Text| {
            f(&d.request_metadata)
                .0
                .clone()
                .or_else(|| f(&d.request_metadata_snake).0.clone())
        };
        let connection_id = meta(|m| &m.connection_id).or_else(|| meta(|m| &m.connection_id_camel));
        let rd = &d.request.data;
        let authz = |f: fn(&Authz) -> &Text| {
            f(&d.authorization_info)
                .0
                .clone()
                .or_else(|| f(&d.authorization_info_snake).0.clone())
        };
        Extras {
            identifier,
            connection_id,
            crn_pattern: rd
                .crn_pattern
                .0
                .clone()
                .or_else(|| rd.crn_pattern_camel.0.clone()),
            pattern_type: authz(|a| &a.pattern_type).or_else(|| authz(|a| &a.pattern_type_snake)),
            error_type: d.result.data.error_type.0.clone(),
            target_principal: rd.principal.0.clone(),
        }
    }
}

impl Extras {
    /// The extra facts from the ranges the scanner kept
    /// ([`ExtraSpans`]), decoded as [`Extras::read`] decodes them; `None`
    /// when the ranges cannot say (the record was read by serde_json, or
    /// a value needs the typed parse's verdict), and the caller reads.
    pub fn from_spans(raw: &[u8], spans: &ExtraSpans) -> Option<Extras> {
        if !spans.usable(raw) {
            return None;
        }
        // Every value is decoded, as the typed parse does: one it refuses
        // fails that whole parse, and then every fact is absent.
        let text = |f: Extra| -> Option<Option<String>> {
            match spans.get(f) {
                None => Some(None),
                Some(r) => decode(raw.get(r)?),
            }
        };
        let email = match spans.get(Extra::Principal) {
            Some(r) => principal_email(raw.get(r)?)?,
            None => None,
        };
        let identifier = text(Extra::Identifier)?;
        let credential_id = text(Extra::CredentialId)?;
        let subject = text(Extra::TokenSubject)?;
        let cn = text(Extra::CertificateCn)?;
        let connection_id = text(Extra::ConnectionId)?;
        let connection_id_camel = text(Extra::ConnectionIdCamel)?;
        let crn_pattern = text(Extra::CrnPattern)?;
        let crn_pattern_camel = text(Extra::CrnPatternCamel)?;
        let target_principal = text(Extra::TargetPrincipal)?;
        let pattern_type = text(Extra::PatternType)?;
        let pattern_type_snake = text(Extra::PatternTypeSnake)?;
        let error_type = text(Extra::ErrorType)?;
        Some(Extras {
            identifier: identifier.or(credential_id).or(subject).or(cn).or(email),
            connection_id: connection_id.or(connection_id_camel),
            crn_pattern: crn_pattern.or(crn_pattern_camel),
            pattern_type: pattern_type.or(pattern_type_snake),
            error_type,
            target_principal,
        })
    }
}

/// A text value's JSON as [`Text`] reads it; `None` when it refuses it.
fn decode(v: &[u8]) -> Option<Option<String>> {
    if let [b'"', inner @ .., b'"'] = v {
        if !inner.contains(&b'\\') {
            let s = std::str::from_utf8(inner).ok()?;
            return Some((!s.is_empty()).then(|| s.to_owned()));
        }
    }
    serde_json::from_slice::<Text>(v).ok().map(|t| t.0)
}

/// The `email` of `authenticationInfo.principal`'s JSON, as [`Authn`]
/// reads it; `None` when it refuses it.
fn principal_email(v: &[u8]) -> Option<Option<String>> {
    if let [b'"', inner @ .., b'"'] = v {
        if !inner.contains(&b'\\') {
            return Some(None);
        }
    }
    let mut de = serde_json::Deserializer::from_slice(v);
    let e: Email = object(&mut de).ok()?;
    de.end().ok()?;
    Some(e.email.0)
}

/// A string or a number, as text; anything else (or an empty string) is
/// absent.
#[derive(Debug, Default, Clone)]
struct Text(Option<String>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Text(match Scalar::deserialize(d)? {
            Scalar::Text(s) => (!s.is_empty()).then_some(s),
            Scalar::Number(n) => Some(n),
            Scalar::Bool(_) | Scalar::Other => None,
        }))
    }
}

/// Any JSON value, read leniently: a string or a number as text, a
/// boolean, or something else (skipped undecoded).
pub(super) enum Scalar {
    Text(String),
    Number(String),
    Bool(bool),
    Other,
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Scalar, E> {
                Ok(Scalar::Text(s.to_owned()))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Scalar, E> {
                Ok(Scalar::Number(n.to_string()))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Scalar, E> {
                Ok(Scalar::Number(n.to_string()))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Scalar, E> {
                Ok(Scalar::Number(n.to_string()))
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<Scalar, E> {
                Ok(Scalar::Bool(b))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Scalar, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Scalar, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// An object read as `T`; any other value reads as `T::default()`.
pub(super) fn object<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(
    d: D,
) -> Result<T, D::Error> {
    struct V<T>(PhantomData<T>);
    impl<'de, T: Deserialize<'de> + Default> Visitor<'de> for V<T> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<T, A::Error> {
            T::deserialize(de::value::MapAccessDeserializer::new(m))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<T, A::Error> {
            while s.next_element::<IgnoredAny>()?.is_some() {}
            Ok(T::default())
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<T, E> {
            Ok(T::default())
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<T, E> {
            Ok(T::default())
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<T, E> {
            Ok(T::default())
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<T, E> {
            Ok(T::default())
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<T, E> {
            Ok(T::default())
        }
        fn visit_unit<E: de::Error>(self) -> Result<T, E> {
            Ok(T::default())
        }
    }
    d.deserialize_any(V(PhantomData))
}

#[derive(Deserialize, Default)]
struct Record {
    #[serde(default, deserialize_with = "object")]
    data: Data,
}

#[derive(Deserialize, Default)]
struct Data {
    #[serde(default, rename = "authenticationInfo", deserialize_with = "object")]
    authentication_info: Authn,
    #[serde(default, rename = "authentication_info", deserialize_with = "object")]
    authentication_info_snake: Authn,
    #[serde(default, rename = "requestMetadata", deserialize_with = "object")]
    request_metadata: Meta,
    #[serde(default, rename = "request_metadata", deserialize_with = "object")]
    request_metadata_snake: Meta,
    #[serde(default, deserialize_with = "object")]
    request: Request,
    #[serde(default, rename = "authorizationInfo", deserialize_with = "object")]
    authorization_info: Authz,
    #[serde(default, rename = "authorization_info", deserialize_with = "object")]
    authorization_info_snake: Authz,
    #[serde(default, deserialize_with = "object")]
    result: Res,
}

#[derive(Deserialize, Default)]
struct Authn {
    #[serde(default, deserialize_with = "object")]
    metadata: Identifier,
    #[serde(default, deserialize_with = "object")]
    credentials: Credentials,
    #[serde(default, deserialize_with = "object")]
    principal: Email,
}

#[derive(Deserialize, Default)]
struct Identifier {
    #[serde(default)]
    identifier: Text,
}

#[derive(Deserialize, Default)]
struct Email {
    #[serde(default)]
    email: Text,
}

/// The credentials, camel-case or snake-case (docs/audit-log-format.md
/// §3B): one field either way, so both in one record are a duplicate.
#[derive(Deserialize, Default)]
struct Credentials {
    #[serde(
        default,
        rename = "idSecretCredentials",
        alias = "id_secret_credentials",
        deserialize_with = "object"
    )]
    id_secret: IdSecret,
    #[serde(
        default,
        rename = "idTokenCredentials",
        alias = "id_token_credentials",
        deserialize_with = "object"
    )]
    id_token: IdToken,
    #[serde(
        default,
        rename = "certificateCredentials",
        alias = "certificate_credentials",
        deserialize_with = "object"
    )]
    certificate: Certificate,
}

#[derive(Deserialize, Default)]
struct IdSecret {
    #[serde(default, rename = "credentialId", alias = "credential_id")]
    credential_id: Text,
}

#[derive(Deserialize, Default)]
struct IdToken {
    #[serde(default)]
    subject: Text,
}

#[derive(Deserialize, Default)]
struct Certificate {
    #[serde(default, deserialize_with = "object")]
    dname: Cn,
}

#[derive(Deserialize, Default)]
struct Cn {
    #[serde(default)]
    cn: Text,
}

#[derive(Deserialize, Default)]
struct Meta {
    #[serde(default)]
    connection_id: Text,
    #[serde(default, rename = "connectionId")]
    connection_id_camel: Text,
}

#[derive(Deserialize, Default)]
struct Request {
    #[serde(default, deserialize_with = "object")]
    data: RequestData,
}

#[derive(Deserialize, Default)]
struct RequestData {
    #[serde(default)]
    crn_pattern: Text,
    #[serde(default, rename = "crnPattern")]
    crn_pattern_camel: Text,
    #[serde(default)]
    principal: Text,
}

#[derive(Deserialize, Default)]
struct Authz {
    #[serde(default, rename = "patternType")]
    pattern_type: Text,
    #[serde(default, rename = "pattern_type")]
    pattern_type_snake: Text,
}

#[derive(Deserialize, Default)]
struct Res {
    #[serde(default, deserialize_with = "object")]
    data: ResultData,
}

#[derive(Deserialize, Default)]
struct ResultData {
    #[serde(default, rename = "errorType")]
    error_type: Text,
}

#[cfg(test)]
mod tests;
