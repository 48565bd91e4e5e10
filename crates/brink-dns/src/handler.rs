//! The zone: what the router answers for each query (hickory's `RequestHandler`).
//!
//! | query | answer |
//! |---|---|
//! | not a standard query (NOTIFY, UPDATE, …) | NOTIMP |
//! | no question or several | FORMERR |
//! | class other than IN | REFUSED |
//! | a name outside the zone | REFUSED |
//! | zone transfers (AXFR, IXFR) | REFUSED |
//! | ANY | NOTIMP (RFC 8482 lets a server decline it) |
//! | apex SOA / NS | the SOA / `ns1.<zone>` |
//! | a distribution's name, A or AAAA | the chosen POP's address, TTL `--ttl`, ECS echoed with its scope |
//! | a distribution's name, other type (or the other address family) | NOERROR, no data, SOA |
//! | `<pop>.<distribution name>` (HTTP mode's per-POP names), A or AAAA | that POP's address, ECS scope 0 |
//! | any other name in the zone | NXDOMAIN, SOA |
//!
//! Malformed packets never reach this code: hickory answers FORMERR for what it cannot parse.

use std::net::IpAddr;
use std::str::FromStr;
use std::sync::Arc;

use hickory_server::net::runtime::Time;
use hickory_server::proto::op::{Edns, MessageType, Metadata, OpCode, ResponseCode};
use hickory_server::proto::rr::rdata::opt::{ClientSubnet, EdnsCode, EdnsOption};
use hickory_server::proto::rr::rdata::{A, AAAA, NS, SOA};
use hickory_server::proto::rr::{DNSClass, LowerName, Name, RData, Record, RecordType};
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponseBuilder;

use crate::select::Selector;
use crate::Zone;

/// SOA timers: refresh, retry, expire, negative-answer TTL (seconds).
const SOA_TIMERS: (i32, i32, i32, u32) = (3600, 600, 86_400, 60);

/// The router: zone data, POP choice, answer TTL.
#[derive(Clone)]
pub struct Router {
    apex: LowerName,
    apex_name: Name,
    ns_name: Name,
    /// Address answered for `ns1.<zone>`, when the router listens on a specific one.
    ns_addr: Option<IpAddr>,
    zone: Arc<Zone>,
    selector: Arc<Selector>,
    ttl: u32,
}

/// Why the zone name is unusable.
#[derive(Debug, thiserror::Error)]
#[error("--zone {0:?}: not a domain name")]
pub struct ZoneError(String);

impl Router {
    /// A router authoritative for `zone` (e.g. `cdn.test`).
    ///
    /// # Errors
    /// `zone` is not a domain name.
    pub fn new(
        zone_name: &str,
        zone: Arc<Zone>,
        selector: Arc<Selector>,
        ttl: u32,
        ns_addr: Option<IpAddr>,
    ) -> Result<Router, ZoneError> {
        let fqdn = format!("{}.", zone_name.trim_end_matches('.').to_ascii_lowercase());
        let apex_name = Name::from_str(&fqdn).map_err(|_| ZoneError(zone_name.to_owned()))?;
        let ns_name =
            Name::from_str(&format!("ns1.{fqdn}")).map_err(|_| ZoneError(zone_name.to_owned()))?;
        Ok(Router {
            apex: LowerName::new(&apex_name),
            apex_name,
            ns_name,
            ns_addr: ns_addr.filter(|a| !a.is_unspecified()),
            zone,
            selector,
            ttl,
        })
    }

    /// The POP selector (shared with the health poller and the HTTP mode).
    pub fn selector(&self) -> &Arc<Selector> {
        &self.selector
    }

    fn soa(&self) -> Record {
        let (refresh, retry, expire, minimum) = SOA_TIMERS;
        let rname = Name::from_str(&format!("hostmaster.{}", self.apex_name))
            .unwrap_or_else(|_| self.apex_name.clone());
        Record::from_rdata(
            self.apex_name.clone(),
            minimum,
            RData::SOA(SOA::new(
                self.ns_name.clone(),
                rname,
                1,
                refresh,
                retry,
                expire,
                minimum,
            )),
        )
    }
}

/// What to send: code, answers, SOA in the authority section, additionals.
struct Answer {
    code: ResponseCode,
    answers: Vec<Record>,
    soa: Vec<Record>,
    additionals: Vec<Record>,
}

impl Answer {
    fn code(code: ResponseCode) -> Answer {
        Answer {
            code,
            answers: Vec::new(),
            soa: Vec::new(),
            additionals: Vec::new(),
        }
    }
}

#[async_trait::async_trait]
impl RequestHandler for Router {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        let mut resp_edns: Option<Edns> = None;
        let mut subnet: Option<ClientSubnet> = None;
        if let Some(req_edns) = request.edns.as_ref() {
            let mut e = Edns::new();
            e.set_max_payload(req_edns.max_payload().max(512));
            e.set_version(0);
            if req_edns.version() > 0 {
                return send(
                    request,
                    &mut response_handle,
                    Some(&e),
                    Answer::code(ResponseCode::BADVERS),
                )
                .await;
            }
            if let Some(EdnsOption::Subnet(s)) = req_edns.option(EdnsCode::Subnet) {
                subnet = Some(*s);
            }
            resp_edns = Some(e);
        }
        let answer = self.answer(request, subnet.as_ref(), &mut resp_edns);
        send(request, &mut response_handle, resp_edns.as_ref(), answer).await
    }
}

impl Router {
    fn answer(
        &self,
        request: &Request,
        subnet: Option<&ClientSubnet>,
        resp_edns: &mut Option<Edns>,
    ) -> Answer {
        if request.metadata.message_type != MessageType::Query
            || request.metadata.op_code != OpCode::Query
        {
            return Answer::code(ResponseCode::NotImp);
        }
        let Ok(info) = request.request_info() else {
            return Answer::code(ResponseCode::FormErr);
        };
        let query = info.query;
        if query.query_class() != DNSClass::IN {
            return Answer::code(ResponseCode::Refused);
        }
        let name = query.name();
        if !self.apex.zone_of(name) {
            return Answer::code(ResponseCode::Refused);
        }
        let qtype = query.query_type();
        match qtype {
            RecordType::AXFR | RecordType::IXFR => return Answer::code(ResponseCode::Refused),
            RecordType::ANY => return Answer::code(ResponseCode::NotImp),
            _ => {}
        }
        let owner = Name::from(name.clone());
        let mut a = Answer::code(ResponseCode::NoError);
        if *name == self.apex {
            match qtype {
                RecordType::SOA => a.answers.push(self.soa()),
                RecordType::NS => {
                    a.answers.push(Record::from_rdata(
                        self.apex_name.clone(),
                        self.ttl.max(3600),
                        RData::NS(NS(self.ns_name.clone())),
                    ));
                    a.additionals.extend(self.ns_glue());
                }
                _ => a.soa.push(self.soa()),
            }
            return a;
        }
        if *name == LowerName::new(&self.ns_name) {
            match (qtype, self.ns_addr) {
                (RecordType::A, Some(IpAddr::V4(_))) | (RecordType::AAAA, Some(IpAddr::V6(_))) => {
                    a.answers.extend(self.ns_glue());
                }
                _ => a.soa.push(self.soa()),
            }
            return a;
        }
        // A `LowerName` is lower case already: one string for the lookup, no second copy.
        let ascii = owner.to_ascii();
        let text = ascii.trim_end_matches('.');
        let Some(class) = self.zone.class_of(text) else {
            // `<pop>.<distribution>`: the HTTP mode's per-POP names, answered with exactly
            // that POP whatever the client, its health or its load (the router chose it).
            let pop = text.split_once('.').and_then(|(label, parent)| {
                self.zone.class_of(parent)?;
                self.selector.by_label(label)
            });
            let Some(pop) = pop else {
                a.code = ResponseCode::NXDomain;
                a.soa.push(self.soa());
                return a;
            };
            if let (Some(s), Some(e)) = (subnet, resp_edns.as_mut()) {
                // Scope 0: the answer does not depend on the client (RFC 7871 §7.2.1).
                let mut echo = *s;
                echo.set_scope_prefix(0);
                e.options_mut().insert(EdnsOption::Subnet(echo));
            }
            self.address_answer(&mut a, owner, qtype, pop);
            return a;
        };
        if !matches!(qtype, RecordType::A | RecordType::AAAA) {
            a.soa.push(self.soa());
            return a;
        }
        // The client: the subnet the resolver sent (RFC 7871), else the resolver itself.
        let client = match subnet {
            Some(s) if s.source_prefix() > 0 => s.addr(),
            _ => request.src().ip(),
        };
        let choice = self.selector.choose(client, class);
        if let (Some(s), Some(e)) = (subnet, resp_edns.as_mut()) {
            let mut echo = *s;
            echo.set_scope_prefix(choice.scope.min(if s.addr().is_ipv4() { 32 } else { 128 }));
            e.options_mut().insert(EdnsOption::Subnet(echo));
        }
        tracing::debug!(name = %text, %client, pop = choice.pop, "answer");
        self.address_answer(&mut a, owner, qtype, choice.pop);
        a
    }

    /// The POP's address for an A or AAAA query (no data when the family differs).
    fn address_answer(&self, a: &mut Answer, owner: Name, qtype: RecordType, pop: usize) {
        let Some(pop) = self.selector.pops().get(pop) else {
            a.soa.push(self.soa());
            return;
        };
        match (qtype, pop.address) {
            (RecordType::A, IpAddr::V4(v4)) => {
                a.answers
                    .push(Record::from_rdata(owner, self.ttl, RData::A(A(v4))));
            }
            (RecordType::AAAA, IpAddr::V6(v6)) => {
                a.answers
                    .push(Record::from_rdata(owner, self.ttl, RData::AAAA(AAAA(v6))));
            }
            _ => a.soa.push(self.soa()),
        }
    }

    fn ns_glue(&self) -> Vec<Record> {
        match self.ns_addr {
            Some(IpAddr::V4(v4)) => vec![Record::from_rdata(
                self.ns_name.clone(),
                self.ttl.max(3600),
                RData::A(A(v4)),
            )],
            Some(IpAddr::V6(v6)) => vec![Record::from_rdata(
                self.ns_name.clone(),
                self.ttl.max(3600),
                RData::AAAA(AAAA(v6)),
            )],
            None => Vec::new(),
        }
    }
}

async fn send<R: ResponseHandler>(
    request: &Request,
    response_handle: &mut R,
    edns: Option<&Edns>,
    answer: Answer,
) -> ResponseInfo {
    let mut metadata = Metadata::response_from_request(&request.metadata);
    metadata.authoritative = matches!(answer.code, ResponseCode::NoError | ResponseCode::NXDomain);
    metadata.response_code = answer.code;
    let builder = MessageResponseBuilder::new(&request.queries, edns);
    let response = builder.build(
        metadata,
        answer.answers.iter(),
        std::iter::empty(),
        answer.soa.iter(),
        answer.additionals.iter(),
    );
    match response_handle.send_response(response).await {
        Ok(info) => info,
        Err(e) => {
            tracing::warn!(error = %e, "could not send a DNS response");
            let mut m = Metadata::response_from_request(&request.metadata);
            m.response_code = ResponseCode::ServFail;
            ResponseInfo::from(hickory_server::proto::op::Header {
                metadata: m,
                counts: Default::default(),
            })
        }
    }
}
