//! The `CloudFront-*` headers the edge writes about the viewer (cloudfront.md §3.2): device
//! type from `User-Agent`, location from the geo database, the viewer's address, protocol,
//! TLS and header order. A behavior opts in by naming them in its cache policy (then they are
//! keyed and forwarded) or its origin request policy (forwarded only).
//!
//! Whatever a viewer sends under these names is dropped first: they are the edge's to write,
//! so a viewer cannot forge its country toward the origin or into a cache key.
//!
//! Pure: the access phase gathers the facts ([`Facts`]) and applies what [`ViewerHeaders::
//! generate`] returns.

use std::fmt::Write as _;
use std::net::IpAddr;

use brink_model::compiled::{Behavior, NameSelection};
use http::header::{HeaderName, USER_AGENT};
use http::{HeaderMap, HeaderValue, Version};

/// One generated header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    IsDesktop,
    IsMobile,
    IsTablet,
    IsSmartTv,
    IsAndroid,
    IsIos,
    Country,
    CountryName,
    CountryRegion,
    CountryRegionName,
    City,
    PostalCode,
    MetroCode,
    TimeZone,
    Latitude,
    Longitude,
    Address,
    ForwardedProto,
    HttpVersion,
    Tls,
    HeaderOrder,
    HeaderCount,
}

impl Kind {
    /// The kind a (lower-case) header name stands for. `CloudFront-Viewer-ASN` and
    /// `-JA3-Fingerprint` are recognised by the model but not written: the shipped database
    /// has no AS numbers, and the edge does not fingerprint handshakes.
    fn of(name: &str) -> Option<Kind> {
        Some(match name {
            "cloudfront-is-desktop-viewer" => Kind::IsDesktop,
            "cloudfront-is-mobile-viewer" => Kind::IsMobile,
            "cloudfront-is-tablet-viewer" => Kind::IsTablet,
            "cloudfront-is-smarttv-viewer" => Kind::IsSmartTv,
            "cloudfront-is-android-viewer" => Kind::IsAndroid,
            "cloudfront-is-ios-viewer" => Kind::IsIos,
            "cloudfront-viewer-country" => Kind::Country,
            "cloudfront-viewer-country-name" => Kind::CountryName,
            "cloudfront-viewer-country-region" => Kind::CountryRegion,
            "cloudfront-viewer-country-region-name" => Kind::CountryRegionName,
            "cloudfront-viewer-city" => Kind::City,
            "cloudfront-viewer-postal-code" => Kind::PostalCode,
            "cloudfront-viewer-metro-code" => Kind::MetroCode,
            "cloudfront-viewer-time-zone" => Kind::TimeZone,
            "cloudfront-viewer-latitude" => Kind::Latitude,
            "cloudfront-viewer-longitude" => Kind::Longitude,
            "cloudfront-viewer-address" => Kind::Address,
            "cloudfront-forwarded-proto" => Kind::ForwardedProto,
            "cloudfront-viewer-http-version" => Kind::HttpVersion,
            "cloudfront-viewer-tls" => Kind::Tls,
            "cloudfront-viewer-header-order" => Kind::HeaderOrder,
            "cloudfront-viewer-header-count" => Kind::HeaderCount,
            _ => return None,
        })
    }

    fn needs_geo(self) -> bool {
        matches!(
            self,
            Kind::Country
                | Kind::CountryName
                | Kind::CountryRegion
                | Kind::CountryRegionName
                | Kind::City
                | Kind::PostalCode
                | Kind::MetroCode
                | Kind::TimeZone
                | Kind::Latitude
                | Kind::Longitude
        )
    }
}

/// The `CloudFront-*` headers one behavior asks for, compiled with the configuration.
#[derive(Debug, Default)]
pub(crate) struct ViewerHeaders {
    /// Every `CloudFront-*` name the behavior selects (keyed or forwarded), with its kind when
    /// the edge writes it.
    wanted: Box<[(HeaderName, Option<Kind>)]>,
    geo: bool,
}

/// What the edge knows of the viewer when it writes the headers.
pub(crate) struct Facts<'a> {
    /// The viewer's request headers, as received.
    pub(crate) headers: &'a HeaderMap,
    /// The viewer's address (a trusted proxy's `X-Forwarded-For` client, else the peer).
    pub(crate) client: IpAddr,
    /// The TCP port, when `client` is the peer itself.
    pub(crate) port: Option<u16>,
    pub(crate) https: bool,
    pub(crate) version: Version,
    /// `(protocol, cipher, resumed)` of a TLS connection.
    pub(crate) tls: Option<(&'a str, &'a str, bool)>,
    /// What the geo database says of `client` (asked only when [`ViewerHeaders::needs_geo`]).
    pub(crate) geo: Option<brink_geo::Details>,
}

/// CloudFront caps `CloudFront-Viewer-Header-Order` at this many characters.
const HEADER_ORDER_MAX: usize = 7_680;

impl ViewerHeaders {
    /// The names `b`'s cache policy keys and its origin request policy forwards.
    pub(crate) fn of(b: &Behavior) -> ViewerHeaders {
        let mut names: Vec<&str> = b
            .forwarding
            .headers
            .cloudfront
            .iter()
            .map(String::as_str)
            .collect();
        if let NameSelection::Only(keyed) = &b.cache_key.headers {
            names.extend(keyed.iter().map(String::as_str));
        }
        ViewerHeaders::from_names(names)
    }

    /// The `CloudFront-*` names among `names` (other names are not the edge's to write).
    fn from_names<'n>(names: impl IntoIterator<Item = &'n str>) -> ViewerHeaders {
        let mut wanted: Vec<(HeaderName, Option<Kind>)> = Vec::new();
        for n in names {
            let lower = n.to_ascii_lowercase();
            if !lower.starts_with("cloudfront-") || wanted.iter().any(|(w, _)| w == lower.as_str())
            {
                continue;
            }
            if let Ok(name) = HeaderName::from_bytes(lower.as_bytes()) {
                wanted.push((name, Kind::of(&lower)));
            }
        }
        let geo = wanted.iter().any(|(_, k)| k.is_some_and(Kind::needs_geo));
        ViewerHeaders {
            wanted: wanted.into_boxed_slice(),
            geo,
        }
    }

    /// Whether the behavior asks for none.
    pub(crate) fn is_empty(&self) -> bool {
        self.wanted.is_empty()
    }

    /// Whether any of them comes from the geo database.
    pub(crate) fn needs_geo(&self) -> bool {
        self.geo
    }

    /// Every wanted name with the value the edge gives it; `None`: the edge has no value for
    /// it (the database does not know, the header is not supported), and whatever the viewer
    /// sent under that name is removed all the same.
    pub(crate) fn generate(&self, facts: &Facts<'_>) -> Vec<(HeaderName, Option<HeaderValue>)> {
        let device = self
            .wanted
            .iter()
            .any(|(_, k)| {
                matches!(
                    k,
                    Some(
                        Kind::IsDesktop
                            | Kind::IsMobile
                            | Kind::IsTablet
                            | Kind::IsSmartTv
                            | Kind::IsAndroid
                            | Kind::IsIos
                    )
                )
            })
            .then(|| {
                Device::of(
                    facts
                        .headers
                        .get(USER_AGENT)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or(""),
                )
            });
        self.wanted
            .iter()
            .map(|(name, kind)| {
                let value = kind.and_then(|k| value(k, facts, device.as_ref()));
                (name.clone(), value.and_then(|v| encoded(&v)))
            })
            .collect()
    }
}

/// Applies what [`ViewerHeaders::generate`] returned to the request's headers.
pub(crate) fn apply(headers: &mut HeaderMap, generated: Vec<(HeaderName, Option<HeaderValue>)>) {
    for (name, value) in generated {
        headers.remove(&name);
        if let Some(v) = value {
            headers.insert(name, v);
        }
    }
}

fn flag(b: bool) -> String {
    if b { "true" } else { "false" }.to_owned()
}

fn value(kind: Kind, facts: &Facts<'_>, device: Option<&Device>) -> Option<String> {
    let geo = facts.geo.as_ref();
    let device = device.copied().unwrap_or_default();
    Some(match kind {
        Kind::IsDesktop => flag(device.desktop()),
        Kind::IsMobile => flag(device.mobile),
        Kind::IsTablet => flag(device.tablet),
        Kind::IsSmartTv => flag(device.smart_tv),
        Kind::IsAndroid => flag(device.android),
        Kind::IsIos => flag(device.ios),
        Kind::Country => geo?.country?.to_string(),
        Kind::CountryName => geo?.country_name.clone()?,
        Kind::CountryRegion => geo?.region.clone()?,
        Kind::CountryRegionName => geo?.region_name.clone()?,
        Kind::City => geo?.city.clone()?,
        Kind::PostalCode => geo?.postal_code.clone()?,
        // Metro (DMA) codes exist for the United States only.
        Kind::MetroCode => geo
            .filter(|g| g.country.is_some_and(|c| c.as_str() == "US"))?
            .metro_code?
            .to_string(),
        Kind::TimeZone => geo?.time_zone.clone()?,
        Kind::Latitude => format!("{:.5}", geo?.coordinates?.0),
        Kind::Longitude => format!("{:.5}", geo?.coordinates?.1),
        // `ip:port`; an address learnt from a trusted proxy's X-Forwarded-For has no known
        // port, written as 0 ([UNCONFIRMED] what CloudFront writes behind a proxy).
        Kind::Address => format!("{}:{}", facts.client, facts.port.unwrap_or(0)),
        Kind::ForwardedProto => if facts.https { "https" } else { "http" }.to_owned(),
        Kind::HttpVersion => match facts.version {
            Version::HTTP_09 => "0.9",
            Version::HTTP_10 => "1.0",
            Version::HTTP_2 => "2.0",
            Version::HTTP_3 => "3.0",
            _ => "1.1",
        }
        .to_owned(),
        // `protocol:cipher:handshake`. [UNCONFIRMED] `connectionReused` (a later request on
        // the same connection) is not told apart from the first: the edge writes
        // `fullHandshake` or `sessionResumed` for every request of a connection.
        Kind::Tls => {
            let (protocol, cipher, resumed) = facts.tls?;
            let how = if resumed {
                "sessionResumed"
            } else {
                "fullHandshake"
            };
            format!("{protocol}:{cipher}:{how}")
        }
        Kind::HeaderOrder => header_order(facts.headers),
        Kind::HeaderCount => facts.headers.len().to_string(),
    })
}

/// The viewer's header names in the order received, `:`-separated. hyper lower-cases
/// names, so they are written in their conventional capitalisation (`User-Agent`)
/// ([UNCONFIRMED] CloudFront keeps the viewer's own case). Repeated fields count once per
/// line the request had; the list stops at whole names within CloudFront's 7,680 characters.
fn header_order(headers: &HeaderMap) -> String {
    let mut out = String::new();
    // `HeaderMap` yields a name once per value, as the viewer sent one line per value.
    for (name, _) in headers {
        let mut title = String::with_capacity(name.as_str().len());
        for (i, part) in name.as_str().split('-').enumerate() {
            if i > 0 {
                title.push('-');
            }
            let mut chars = part.chars();
            if let Some(c) = chars.next() {
                title.push(c.to_ascii_uppercase());
                title.push_str(chars.as_str());
            }
        }
        let extra = usize::from(!out.is_empty());
        if out.len() + extra + title.len() > HEADER_ORDER_MAX {
            break;
        }
        if extra == 1 {
            out.push(':');
        }
        out.push_str(&title);
    }
    out
}

/// A header value from text: non-ASCII and control bytes percent-encoded (cloudfront.md §3.2).
fn encoded(text: &str) -> Option<HeaderValue> {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_graphic() || b == b' ' {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    HeaderValue::from_str(&out).ok()
}

/// Device facts from a `User-Agent`, by the substrings the major platforms put there
/// ([UNCONFIRMED] CloudFront's own detection list is not published; these rules follow the
/// conventions browsers document: `Mobi` for phones, `iPad`/`Tablet`/Android without
/// `Mobile` for tablets).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Device {
    mobile: bool,
    tablet: bool,
    smart_tv: bool,
    android: bool,
    ios: bool,
}

impl Device {
    fn of(ua: &str) -> Device {
        let has = |s: &str| ua.contains(s);
        let android = has("Android");
        let ios = has("iPhone") || has("iPad") || has("iPod");
        let smart_tv = [
            "SmartTV", "SMART-TV", "SmartTv", "GoogleTV", "AppleTV", "HbbTV", "Roku", "BRAVIA",
            "Web0S", "AFTB", "CrKey",
        ]
        .iter()
        .any(|s| has(s))
            || (has("Tizen") && has("TV"));
        let tablet = !smart_tv && (has("iPad") || has("Tablet") || (android && !has("Mobile")));
        let mobile =
            !smart_tv && !tablet && (has("Mobi") || has("iPhone") || has("iPod") || android);
        Device {
            mobile,
            tablet,
            smart_tv,
            android,
            ios,
        }
    }

    fn desktop(&self) -> bool {
        !(self.mobile || self.tablet || self.smart_tv)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_from_common_user_agents() {
        let iphone = Device::of("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148");
        assert!(iphone.mobile && iphone.ios && !iphone.tablet && !iphone.desktop());
        let ipad = Device::of("Mozilla/5.0 (iPad; CPU OS 16_0 like Mac OS X) AppleWebKit/605.1.15");
        assert!(ipad.tablet && ipad.ios && !ipad.mobile);
        let pixel = Device::of("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36");
        assert!(pixel.mobile && pixel.android && !pixel.tablet);
        let tab = Device::of("Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 Chrome/120.0 Safari/537.36");
        assert!(tab.tablet && tab.android && !tab.mobile);
        let tv = Device::of(
            "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 TV Safari/537.36",
        );
        assert!(tv.smart_tv && !tv.desktop() && !tv.mobile);
        let desk =
            Device::of("Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0");
        assert!(desk.desktop() && !desk.android && !desk.ios);
        assert!(Device::of("").desktop());
    }

    #[test]
    fn header_order_keeps_arrival_order_in_conventional_case() {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("a"));
        h.insert("user-agent", HeaderValue::from_static("b"));
        h.insert("x-custom-thing", HeaderValue::from_static("c"));
        h.insert("accept", HeaderValue::from_static("d"));
        assert_eq!(header_order(&h), "Host:User-Agent:X-Custom-Thing:Accept");
    }

    #[test]
    fn non_ascii_values_are_percent_encoded() {
        let v = encoded("Linköping").expect("value");
        assert_eq!(v.to_str().expect("ascii"), "Link%C3%B6ping");
    }

    #[test]
    fn only_cloudfront_names_are_generated_and_unknown_ones_are_just_removed() {
        // Forwarded names first, then keyed ones (as `of` lists them).
        let vh = ViewerHeaders::from_names([
            "CloudFront-Viewer-Country",
            "cloudfront-viewer-ja3-fingerprint",
            "CloudFront-Viewer-Address",
            "cloudfront-is-mobile-viewer",
            "accept-language",
            "cloudfront-viewer-country",
        ]);
        assert!(vh.needs_geo());
        let mut headers = HeaderMap::new();
        headers.insert(
            USER_AGENT,
            HeaderValue::from_static("Mozilla/5.0 (iPhone) Mobile"),
        );
        let facts = Facts {
            headers: &headers,
            client: "198.51.100.7".parse().expect("ip"),
            port: Some(50_123),
            https: false,
            version: Version::HTTP_11,
            tls: None,
            geo: Some(brink_geo::Details {
                country: brink_geo::Country::parse("DE"),
                ..Default::default()
            }),
        };
        let got: Vec<(String, Option<String>)> = vh
            .generate(&facts)
            .into_iter()
            .map(|(n, v)| {
                (
                    n.to_string(),
                    v.map(|v| v.to_str().expect("ascii").to_owned()),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "cloudfront-viewer-country".to_owned(),
                    Some("DE".to_owned())
                ),
                ("cloudfront-viewer-ja3-fingerprint".to_owned(), None),
                (
                    "cloudfront-viewer-address".to_owned(),
                    Some("198.51.100.7:50123".to_owned())
                ),
                (
                    "cloudfront-is-mobile-viewer".to_owned(),
                    Some("true".to_owned())
                ),
            ]
        );
    }
}
