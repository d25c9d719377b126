//! The client's address. The TCP peer is the client unless it is one of `TRUSTED_PROXIES`;
//! then `X-Forwarded-For` is read from the right (the hop nearest to us), past every trusted
//! proxy, and the first address no trusted proxy vouches for is the client. A header sent by
//! anyone else is ignored, so a client cannot pick the address it is throttled and logged as.

use std::net::{IpAddr, SocketAddr};

use actix_web::http::header::{HeaderMap, HeaderName};
use ipnet::IpNet;

use crate::domain::throttle::ClientKey;

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The client of a request that came from `peer` with `headers`.
pub fn resolve(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer?;
    if !is_trusted(&client) {
        return Some(client);
    }
    let mut hops: Vec<&str> = Vec::new();
    for value in headers.get_all(X_FORWARDED_FOR) {
        let Ok(text) = value.to_str() else {
            return Some(client);
        };
        hops.extend(text.split(',').map(str::trim));
    }
    for hop in hops.into_iter().rev() {
        // A hop that is not an address (or `unknown`) ends what can be believed.
        let Some(ip) = parse_hop(hop) else {
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    Some(client)
}

/// `203.0.113.7`, `2001:db8::1`, or either with a port (`[2001:db8::1]:443`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|addr| addr.ip()))
}

/// The client of `req`.
pub fn of(req: &actix_web::HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    resolve(req.peer_addr().map(|a| a.ip()), req.headers(), trusted)
}

/// The client of `req` as rate limits count it (IPv6 per /64).
pub fn key_of(req: &actix_web::HttpRequest, trusted: &[IpNet]) -> Option<ClientKey> {
    of(req, trusted).map(ClientKey::of)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn headers(forwarded_for: &[&'static str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in forwarded_for {
            map.append(X_FORWARDED_FOR, HeaderValue::from_static(value));
        }
        map
    }

    fn ip(text: &str) -> Option<IpAddr> {
        text.parse().ok()
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().filter_map(|net| net.parse().ok()).collect()
    }

    #[test]
    fn a_header_from_an_untrusted_peer_is_ignored() {
        let spoofed = headers(&["198.51.100.1"]);
        assert_eq!(resolve(ip("203.0.113.9"), &spoofed, &[]), ip("203.0.113.9"));
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(
            resolve(ip("203.0.113.9"), &spoofed, &trusted),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_nearest_untrusted_hop_is_the_client() {
        let trusted = nets(&["10.0.0.0/8", "192.0.2.10/32"]);
        // The client put a lie first; the proxies appended what they saw.
        let chain = headers(&["1.2.3.4, 203.0.113.7", "192.0.2.10"]);
        assert_eq!(resolve(ip("10.0.0.2"), &chain, &trusted), ip("203.0.113.7"));
        assert_eq!(
            resolve(ip("10.0.0.2"), &headers(&["[2001:db8::1]:443"]), &trusted),
            ip("2001:db8::1")
        );
    }

    #[test]
    fn without_a_usable_header_the_proxy_itself_is_what_is_known() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(
            resolve(ip("10.0.0.2"), &headers(&[]), &trusted),
            ip("10.0.0.2")
        );
        assert_eq!(
            resolve(ip("10.0.0.2"), &headers(&["unknown"]), &trusted),
            ip("10.0.0.2")
        );
        assert_eq!(
            resolve(
                ip("10.0.0.2"),
                &headers(&["203.0.113.7, garbage, 10.0.0.3"]),
                &trusted
            ),
            ip("10.0.0.3")
        );
        assert_eq!(resolve(None, &headers(&[]), &trusted), None);
    }
}
