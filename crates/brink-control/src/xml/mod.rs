//! CloudFront's REST-XML bodies ⇄ the aws CLI's JSON shapes.
//!
//! Both are the same tree except for lists (`<Items><CNAME>a</CNAME></Items>` ↔ `["a"]`) and
//! scalar types (element text ↔ JSON numbers and booleans). [`shapes::SHAPES`], generated from
//! botocore's service model, says which is which for every element, so a request body becomes
//! the JSON that `brink-model`'s serde types read, and a model value serialised to JSON becomes
//! the XML CloudFront answers. Children may come in any order and empty elements as `<X/>`
//! (botocore writes the caller's dict order and `<Comment />` for empty strings).

mod shapes;

use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use serde_json::{Map, Value};

/// The namespace of every 2020-05-31 document.
pub(crate) const NAMESPACE: &str = "http://cloudfront.amazonaws.com/doc/2020-05-31/";

/// Deepest element nesting accepted (the deepest CloudFront shape is far less).
const MAX_DEPTH: usize = 32;

/// What an element holds.
#[derive(Debug)]
pub(crate) enum Shape {
    /// Named members: (element name, member shape).
    Structure(&'static [(&'static str, &'static str)]),
    /// Repeated members: (member element name, member shape).
    List(&'static str, &'static str),
    /// Text.
    String,
    /// An integer or long.
    Integer,
    /// A float or double.
    Float,
    /// `true` / `false`.
    Boolean,
    /// Base64 text, kept as a string.
    Blob,
}

fn shape(name: &str) -> Option<&'static Shape> {
    shapes::SHAPES
        .binary_search_by(|(n, _)| (*n).cmp(name))
        .ok()
        .map(|i| &shapes::SHAPES[i].1)
}

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum XmlError {
    /// Not well-formed XML.
    #[error("the XML you provided was not well-formed: {0}")]
    Malformed(String),
    /// Well-formed but not the expected document.
    #[error("{0}")]
    Unexpected(String),
}

/// A parsed element: name, child elements, text.
#[derive(Debug, Default)]
struct Element {
    name: String,
    children: Vec<Element>,
    text: String,
}

fn parse_tree(xml: &[u8]) -> Result<Element, XmlError> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut buf = Vec::new();
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| XmlError::Malformed(e.to_string()))?;
        match event {
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::Malformed("elements nested too deeply".into()));
                }
                stack.push(Element {
                    name: local_name(&start)?,
                    ..Element::default()
                });
            }
            Event::Empty(start) => {
                let el = Element {
                    name: local_name(&start)?,
                    ..Element::default()
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None if root.is_none() => root = Some(el),
                    None => return Err(XmlError::Malformed("more than one root element".into())),
                }
            }
            Event::End(_) => {
                let el = stack
                    .pop()
                    .ok_or_else(|| XmlError::Malformed("unbalanced end tag".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None if root.is_none() => root = Some(el),
                    None => return Err(XmlError::Malformed("more than one root element".into())),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    let s = t.decode().map_err(|e| XmlError::Malformed(e.to_string()))?;
                    let s = quick_xml::escape::unescape(&s)
                        .map_err(|e| XmlError::Malformed(e.to_string()))?;
                    top.text.push_str(&s);
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::GeneralRef(r) => {
                // `&amp;` and friends arrive as references between text events.
                if let Some(top) = stack.last_mut() {
                    let name = r.decode().map_err(|e| XmlError::Malformed(e.to_string()))?;
                    let entity = format!("&{name};");
                    let s = quick_xml::escape::unescape(&entity)
                        .map_err(|e| XmlError::Malformed(e.to_string()))?;
                    top.text.push_str(&s);
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
        }
        buf.clear();
    }
    if !stack.is_empty() {
        return Err(XmlError::Malformed("unclosed element".into()));
    }
    root.ok_or_else(|| XmlError::Malformed("no root element".into()))
}

fn local_name(start: &BytesStart<'_>) -> Result<String, XmlError> {
    std::str::from_utf8(start.local_name().as_ref())
        .map(str::to_owned)
        .map_err(|e| XmlError::Malformed(e.to_string()))
}

/// Reads a request body whose root element must be `root` of shape `shape_name`.
pub(crate) fn from_xml(xml: &[u8], root: &str, shape_name: &str) -> Result<Value, XmlError> {
    let tree = parse_tree(xml)?;
    if tree.name != root {
        return Err(XmlError::Unexpected(format!(
            "expected the root element {root}, found {}",
            tree.name
        )));
    }
    convert(&tree, shape_name, root)
}

fn convert(el: &Element, shape_name: &str, path: &str) -> Result<Value, XmlError> {
    let s = shape(shape_name)
        .ok_or_else(|| XmlError::Unexpected(format!("{path}: unknown shape {shape_name}")))?;
    Ok(match s {
        Shape::Structure(members) => {
            let mut map = Map::new();
            for child in &el.children {
                let Some((name, member)) = members.iter().find(|(n, _)| *n == child.name) else {
                    return Err(XmlError::Unexpected(format!(
                        "{path}: unexpected element {}",
                        child.name
                    )));
                };
                let v = convert(child, member, &format!("{path}.{name}"))?;
                map.insert((*name).to_owned(), v);
            }
            Value::Object(map)
        }
        Shape::List(_, member) => Value::Array(
            el.children
                .iter()
                .enumerate()
                .map(|(i, c)| convert(c, member, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        Shape::String | Shape::Blob => Value::String(el.text.clone()),
        Shape::Integer => {
            let t = el.text.trim();
            let n: i64 = t
                .parse()
                .map_err(|_| XmlError::Unexpected(format!("{path}: {t:?} is not an integer")))?;
            Value::from(n)
        }
        Shape::Float => {
            let t = el.text.trim();
            let n: f64 = t
                .parse()
                .map_err(|_| XmlError::Unexpected(format!("{path}: {t:?} is not a number")))?;
            Value::from(n)
        }
        Shape::Boolean => match el.text.trim() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            t => {
                return Err(XmlError::Unexpected(format!(
                    "{path}: {t:?} is not a boolean (true or false)"
                )))
            }
        },
    })
}

/// Writes `value` as the document `<root xmlns=…>` of shape `shape_name`, with the XML
/// declaration. Members the shape does not know (Brink's own additions) are left out.
pub(crate) fn to_xml(value: &Value, root: &str, shape_name: &str) -> String {
    let mut w = quick_xml::Writer::new(Vec::with_capacity(1024));
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    let mut start = BytesStart::new(root);
    start.push_attribute(("xmlns", NAMESPACE));
    let _ = w.write_event(Event::Start(start));
    write_inner(&mut w, value, shape_name);
    let _ = w.write_event(Event::End(BytesEnd::new(root)));
    out.push_str(&String::from_utf8_lossy(&w.into_inner()));
    out
}

fn write_inner(w: &mut quick_xml::Writer<Vec<u8>>, value: &Value, shape_name: &str) {
    let Some(s) = shape(shape_name) else { return };
    match (s, value) {
        (Shape::Structure(members), Value::Object(map)) => {
            for (name, member) in *members {
                let Some(v) = map.get(*name) else { continue };
                if v.is_null() {
                    continue;
                }
                write_element(w, name, v, member);
            }
        }
        (Shape::List(elem, member), Value::Array(items)) => {
            for item in items {
                write_element(w, elem, item, member);
            }
        }
        (_, v) => {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                _ => String::new(),
            };
            let _ = w.write_event(Event::Text(BytesText::new(&text)));
        }
    }
}

fn write_element(w: &mut quick_xml::Writer<Vec<u8>>, name: &str, v: &Value, member: &str) {
    let _ = w.write_event(Event::Start(BytesStart::new(name)));
    write_inner(w, v, member);
    let _ = w.write_event(Event::End(BytesEnd::new(name)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shape_table_is_sorted() {
        assert!(shapes::SHAPES.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn what_the_cli_sends_becomes_the_json_shape() {
        // cloudfront.md §11.3, as the aws CLI writes it (any order, empty elements).
        let xml = br#"<DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><CallerReference>cli-1700000000-123456</CallerReference><Origins><Quantity>1</Quantity><Items><Origin><Id>o1</Id><DomainName>example.com</DomainName><OriginPath /><CustomOriginConfig><HTTPPort>80</HTTPPort><HTTPSPort>443</HTTPSPort><OriginProtocolPolicy>http-only</OriginProtocolPolicy></CustomOriginConfig></Origin></Items></Origins><DefaultCacheBehavior><TargetOriginId>o1</TargetOriginId><ForwardedValues><QueryString>false</QueryString><Cookies><Forward>none</Forward></Cookies></ForwardedValues><TrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity></TrustedSigners><ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy><MinTTL>0</MinTTL></DefaultCacheBehavior><Enabled>true</Enabled><Comment /></DistributionConfig>"#;
        let v = from_xml(xml, "DistributionConfig", "DistributionConfig").expect("parse");
        assert_eq!(v["Origins"]["Quantity"], 1);
        assert_eq!(v["Origins"]["Items"][0]["OriginPath"], "");
        assert_eq!(
            v["Origins"]["Items"][0]["CustomOriginConfig"]["HTTPPort"],
            80
        );
        assert_eq!(v["Enabled"], true);
        assert_eq!(v["Comment"], "");
        // And back: the same elements come out.
        let back = to_xml(&v, "DistributionConfig", "DistributionConfig");
        assert!(back.contains("<Items><Origin><Id>o1</Id>"), "{back}");
        assert!(back.contains("<Comment></Comment>"), "{back}");
        let again =
            from_xml(back.as_bytes(), "DistributionConfig", "DistributionConfig").expect("reparse");
        assert_eq!(again, v);
    }

    #[test]
    fn a_streaming_distribution_config_reads_into_the_model_type() {
        // As botocore writes CreateStreamingDistribution's body (any order, empty elements).
        let xml = br#"<StreamingDistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Enabled>true</Enabled><CallerReference>cli-1</CallerReference><S3Origin><DomainName>media.s3.amazonaws.com</DomainName><OriginAccessIdentity /></S3Origin><Aliases><Quantity>1</Quantity><Items><CNAME>rtmp.example.com</CNAME></Items></Aliases><Comment /><TrustedSigners><Enabled>true</Enabled><Quantity>1</Quantity><Items><AwsAccountNumber>self</AwsAccountNumber></Items></TrustedSigners><Logging><Enabled>false</Enabled><Bucket /><Prefix /></Logging><PriceClass>PriceClass_100</PriceClass></StreamingDistributionConfig>"#;
        let v = from_xml(
            xml,
            "StreamingDistributionConfig",
            "StreamingDistributionConfig",
        )
        .expect("parse");
        let cfg: brink_model::raw::StreamingDistributionConfig =
            serde_json::from_value(v.clone()).expect("the model reads it");
        assert_eq!(cfg.s3_origin.domain_name, "media.s3.amazonaws.com");
        assert_eq!(cfg.trusted_signers.items, Some(vec!["self".to_owned()]));
        assert_eq!(cfg.aliases.items(), ["rtmp.example.com"]);
        let back = to_xml(
            &serde_json::to_value(&cfg).expect("json"),
            "StreamingDistributionConfig",
            "StreamingDistributionConfig",
        );
        assert!(
            back.contains("<TrustedSigners><Enabled>true</Enabled><Quantity>1</Quantity><Items><AwsAccountNumber>self</AwsAccountNumber></Items></TrustedSigners>"),
            "{back}"
        );
        let again = from_xml(
            back.as_bytes(),
            "StreamingDistributionConfig",
            "StreamingDistributionConfig",
        )
        .expect("reparse");
        assert_eq!(again, v);
    }

    #[test]
    fn lists_use_their_member_names_and_text_is_escaped() {
        let v = serde_json::json!({"Quantity": 2, "Items": ["a.example.com", "b&c"]});
        let xml = to_xml(&v, "Aliases", "Aliases");
        assert!(
            xml.contains("<Items><CNAME>a.example.com</CNAME><CNAME>b&amp;c</CNAME></Items>"),
            "{xml}"
        );
        let back = from_xml(xml.as_bytes(), "Aliases", "Aliases").expect("parse");
        assert_eq!(back, v);
    }

    #[test]
    fn bad_documents_are_refused_with_a_reason() {
        assert!(matches!(
            from_xml(b"<DistributionConfig><Enabled>yes</Enabled></DistributionConfig>", "DistributionConfig", "DistributionConfig"),
            Err(XmlError::Unexpected(m)) if m.contains("boolean")
        ));
        assert!(matches!(
            from_xml(b"<DistributionConfig><Bogus/></DistributionConfig>", "DistributionConfig", "DistributionConfig"),
            Err(XmlError::Unexpected(m)) if m.contains("Bogus")
        ));
        assert!(matches!(
            from_xml(
                b"<DistributionConfig><Enabled>",
                "DistributionConfig",
                "DistributionConfig"
            ),
            Err(XmlError::Malformed(_))
        ));
        assert!(matches!(
            from_xml(b"<Other/>", "DistributionConfig", "DistributionConfig"),
            Err(XmlError::Unexpected(_))
        ));
        let deep = "<A>".repeat(100);
        assert!(from_xml(deep.as_bytes(), "A", "DistributionConfig").is_err());
    }
}
