//! The address a request came from. `X-Forwarded-For` is believed only when the peer that sent
//! it is one of `[server] trusted_proxies`; anyone else could write any address into it.

use std::net::IpAddr;

use actix_web::HttpRequest;
use ipnet::IpNet;

/// The client's address: the peer, or — when the peer is a trusted proxy — the nearest address in
/// `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_ip(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if !is_trusted(trusted, peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|hop| hop.trim().parse().ok())
        .collect();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !is_trusted(trusted, *ip))
            .unwrap_or(peer),
    )
}

fn is_trusted(trusted: &[IpNet], ip: IpAddr) -> bool {
    trusted.iter().any(|net| net.contains(&ip))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn request(peer: &str, xff: Option<&str>) -> HttpRequest {
        let mut r = TestRequest::default().peer_addr(format!("{peer}:5000").parse().unwrap());
        if let Some(v) = xff {
            r = r.insert_header(("x-forwarded-for", v));
        }
        r.to_http_request()
    }

    #[test]
    fn forwarded_for_from_anyone_else_is_ignored() {
        let ip = client_ip(&request("203.0.113.9", Some("10.1.1.1")), &[]);
        assert_eq!(ip, Some("203.0.113.9".parse().unwrap()));
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_spoofed_hops_are_skipped() {
        let trusted: Vec<IpNet> = vec![
            "127.0.0.1/32".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
        ];
        // The client wrote a fake first hop; the proxies appended what they saw.
        let ip = client_ip(
            &request("127.0.0.1", Some("1.2.3.4, 198.51.100.7, 10.0.0.5")),
            &trusted,
        );
        assert_eq!(ip, Some("198.51.100.7".parse().unwrap()));
        let ip = client_ip(&request("127.0.0.1", None), &trusted);
        assert_eq!(ip, Some("127.0.0.1".parse().unwrap()));
    }
}
