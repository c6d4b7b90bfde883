//! Proof that an organization controls a site's hostname: its token served at
//! `https://HOST/.well-known/chat-widget-verification`, or set as the TXT record
//! `_chat-widget-verification.HOST` = `chat-widget-verification=TOKEN`, read through DNS over
//! HTTPS. Several organizations may list one hostname; only one that can publish its token there
//! verifies it.

use std::net::Ipv4Addr;
use std::time::Duration;

use serde::Deserialize;
use shared::admin::domains::{VerificationMethod, VERIFICATION_DNS_LABEL, VERIFICATION_PATH, VERIFICATION_TXT_PREFIX};
use shared::Hostname;
use url::Url;
use worker::{Fetch, Headers, Method, Request, RequestInit, RequestRedirect};

use crate::error::log_excerpt;
use crate::outbound::{read_within, within};
use crate::settings::VerificationSettings;

/// How long one request of a check may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// A verification file is a token or a few; a DNS answer a few records.
const MAX_FILE_BYTES: usize = 4 * 1024;
const MAX_DNS_ANSWER_BYTES: usize = 64 * 1024;
/// Sites commonly redirect once or twice (to `www.`, to a trailing slash).
const MAX_REDIRECTS: usize = 3;

/// Looks for `token` at the site's well-known address, then in its DNS; the way it was found,
/// or what each way found instead.
pub async fn check(
    settings: &VerificationSettings,
    host: &Hostname,
    token: &str,
) -> Result<VerificationMethod, String> {
    let over_http = match well_known_url(host, settings.loopback_port) {
        Ok(url) => served(url, host, token).await,
        Err(e) => Err(e),
    };
    let Err(http_finding) = over_http else { return Ok(VerificationMethod::Http) };
    let in_dns = if is_loopback(host) || as_ipv4(host).is_some() {
        Err(format!("{host} is not a DNS name"))
    } else {
        in_dns(&settings.dns_over_https_url, host, token).await
    };
    match in_dns {
        Ok(()) => Ok(VerificationMethod::Dns),
        Err(dns_finding) => Err(format!("{http_finding}; {dns_finding}")),
    }
}

/// The hostname as an IPv4 address, the way URLs read it (`0` and `2130706433` are addresses).
fn as_ipv4(host: &Hostname) -> Option<Ipv4Addr> {
    match Url::parse(&format!("https://{host}/")).ok()?.host()? {
        url::Host::Ipv4(ip) => Some(ip),
        _ => None,
    }
}

/// `localhost`, its subdomains and 127.0.0.0/8: names no site on the internet answers for.
pub(crate) fn is_loopback(host: &Hostname) -> bool {
    let h = host.as_str();
    h == "localhost" || h.ends_with(".localhost") || as_ipv4(host).is_some_and(|ip| ip.is_loopback())
}

/// Where the token is looked for: the site over HTTPS, or for a loopback hostname the local
/// port development names (there is no other way to reach it). Addresses of private networks
/// are never asked.
fn well_known_url(host: &Hostname, loopback_port: Option<u16>) -> Result<Url, String> {
    let raw = match (is_loopback(host), loopback_port) {
        (true, Some(port)) => format!("http://127.0.0.1:{port}{VERIFICATION_PATH}"),
        (true, None) => return Err(format!("{host} is a loopback hostname, which no check can reach")),
        (false, _) => {
            if as_ipv4(host).is_some_and(|ip| ip.is_private() || ip.is_unspecified() || ip.is_link_local()) {
                return Err(format!("{host} is not a public address"));
            }
            format!("https://{host}{VERIFICATION_PATH}")
        }
    };
    Url::parse(&raw).map_err(|e| format!("{raw}: {e}"))
}

/// The address a redirect from `from` to `location` leads to, if the check may follow it:
/// same scheme, and the hostname itself or its `www.` twin (a redirect elsewhere would let
/// another site vouch for this one).
fn redirect_target(from: &Url, location: &str, host: &Hostname) -> Result<Url, String> {
    let to = from.join(location).map_err(|e| format!("{from} redirects to an invalid address: {e}"))?;
    let h = host.as_str();
    let twin = h.strip_prefix("www.").map_or_else(|| format!("www.{h}"), str::to_owned);
    let same_site = to.host_str().is_some_and(|t| t == h || t == twin || from.host_str() == Some(t));
    if to.scheme() != from.scheme() || !same_site {
        return Err(format!("{from} redirects to {to}, another site"));
    }
    Ok(to)
}

/// A line of the file is the token (a file may list several organizations' tokens).
fn file_has_token(body: &str, token: &str) -> bool {
    body.lines().any(|line| line.trim() == token)
}

async fn get(url: &Url, accept: &str) -> Result<worker::Response, String> {
    let headers = Headers::new();
    headers.set("accept", accept).map_err(|e| e.to_string())?;
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers).with_redirect(RequestRedirect::Manual);
    let request = Request::new_with_init(url.as_str(), &init).map_err(|e| format!("{url}: {e}"))?;
    match within(REQUEST_TIMEOUT, Fetch::Request(request).send()).await {
        None => Err(format!("{url} did not answer within {} s", REQUEST_TIMEOUT.as_secs())),
        Some(Err(e)) => Err(format!("{url} could not be reached: {}", log_excerpt(&e.to_string()))),
        Some(Ok(r)) => Ok(r),
    }
}

async fn served(mut url: Url, host: &Hostname, token: &str) -> Result<(), String> {
    for _ in 0..=MAX_REDIRECTS {
        let response = get(&url, "text/plain").await?;
        let status = response.status_code();
        if (300..400).contains(&status) {
            let location = response.headers().get("location").ok().flatten();
            let location = location.ok_or_else(|| format!("{url} answered {status} with no Location"))?;
            url = redirect_target(&url, &location, host)?;
            continue;
        }
        if status != 200 {
            return Err(format!("{url} answered {status}"));
        }
        let body = within(REQUEST_TIMEOUT, read_within(response, MAX_FILE_BYTES))
            .await
            .ok_or_else(|| format!("{url} did not send its body within {} s", REQUEST_TIMEOUT.as_secs()))?;
        return if file_has_token(&body, token) {
            Ok(())
        } else {
            Err(format!("{url} does not have the token on a line of its own"))
        };
    }
    Err(format!("{url}: more than {MAX_REDIRECTS} redirects"))
}

async fn in_dns(resolver: &str, host: &Hostname, token: &str) -> Result<(), String> {
    let name = format!("{VERIFICATION_DNS_LABEL}.{host}");
    let expected = format!("{VERIFICATION_TXT_PREFIX}{token}");
    let mut url = Url::parse(resolver).map_err(|e| format!("DNS over HTTPS at {resolver}: {e}"))?;
    url.query_pairs_mut().append_pair("name", &name).append_pair("type", "TXT");
    let response = get(&url, "application/dns-json").await.map_err(|e| format!("DNS lookup failed: {e}"))?;
    let status = response.status_code();
    if status != 200 {
        return Err(format!("DNS lookup failed: the resolver answered {status}"));
    }
    let body = within(REQUEST_TIMEOUT, read_within(response, MAX_DNS_ANSWER_BYTES))
        .await
        .ok_or_else(|| "DNS lookup failed: the resolver's answer did not arrive in time".to_owned())?;
    let records = txt_records(&body).map_err(|e| format!("DNS lookup failed: {e}"))?;
    if records.iter().any(|r| r.trim() == expected) {
        Ok(())
    } else {
        Err(format!("no TXT record at {name} says {expected}"))
    }
}

/// The TXT records of a DNS-over-HTTPS JSON answer (RFC 8427 style, as Cloudflare and Google
/// write it), each as one string: a record's quoted parts are joined, as DNS means them.
fn txt_records(json: &str) -> Result<Vec<String>, String> {
    #[derive(Deserialize)]
    struct Answer {
        #[serde(rename = "type")]
        kind: u16,
        data: String,
    }
    #[derive(Deserialize)]
    struct Body {
        #[serde(rename = "Status")]
        status: u16,
        #[serde(rename = "Answer", default)]
        answer: Vec<Answer>,
    }
    const TXT: u16 = 16;
    const NXDOMAIN: u16 = 3;
    let body: Body = serde_json::from_str(json).map_err(|e| format!("the resolver's answer is not DNS JSON: {e}"))?;
    match body.status {
        0 | NXDOMAIN => Ok(body.answer.iter().filter(|a| a.kind == TXT).map(|a| unquote(&a.data)).collect()),
        code => Err(format!("the resolver answered DNS status {code}")),
    }
}

/// `"abc" "def"` → `abcdef`, with `\"` and `\\` unescaped; text with no quotes as it is.
fn unquote(data: &str) -> String {
    if !data.trim_start().starts_with('"') {
        return data.to_owned();
    }
    let (mut out, mut inside, mut chars) = (String::new(), false, data.chars());
    while let Some(c) = chars.next() {
        match c {
            '"' => inside = !inside,
            '\\' if inside => out.extend(chars.next()),
            c if inside => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(h: &str) -> Hostname {
        Hostname::parse(h).unwrap()
    }

    #[test]
    fn sites_are_checked_over_https_and_loopback_only_on_the_named_port() {
        let url = well_known_url(&host("shop.example.com"), Some(8000)).unwrap();
        assert_eq!(url.as_str(), "https://shop.example.com/.well-known/chat-widget-verification");
        for h in ["localhost", "shop.localhost", "127.0.0.1", "127.9.9.9"] {
            assert_eq!(
                well_known_url(&host(h), Some(4321)).unwrap().as_str(),
                "http://127.0.0.1:4321/.well-known/chat-widget-verification"
            );
            assert!(well_known_url(&host(h), None).is_err(), "{h}");
        }
        assert!(!is_loopback(&host("localhost.example.com")));
        assert!(!is_loopback(&host("128.0.0.1")));
        // Numeric hosts are addresses to a URL, whatever they look like.
        assert!(is_loopback(&host("2130706433")));
        for private in ["0", "10.1.2.3", "192.168.0.1", "169.254.169.254"] {
            assert!(
                well_known_url(&host(private), Some(4321)).unwrap_err().contains("not a public address"),
                "{private}"
            );
        }
    }

    #[test]
    fn redirects_are_followed_only_within_the_site() {
        let from = Url::parse("https://shop.example.com/.well-known/chat-widget-verification").unwrap();
        let h = host("shop.example.com");
        let www = redirect_target(&from, "https://www.shop.example.com/.well-known/x", &h).unwrap();
        assert_eq!(www.as_str(), "https://www.shop.example.com/.well-known/x");
        assert_eq!(
            redirect_target(&from, "/v/token.txt", &h).unwrap().as_str(),
            "https://shop.example.com/v/token.txt"
        );
        for elsewhere in ["https://evil.example/token", "http://shop.example.com/x", "https://example.com/x"] {
            assert!(redirect_target(&from, elsewhere, &h).is_err(), "{elsewhere}");
        }
        let apex = redirect_target(
            &Url::parse("https://www.shop.example.com/a").unwrap(),
            "https://shop.example.com/a",
            &host("www.shop.example.com"),
        );
        assert!(apex.is_ok());
    }

    #[test]
    fn the_token_must_be_a_line_of_the_file() {
        let token = "0123456789abcdef0123456789abcdef";
        assert!(file_has_token(&format!("{token}\n"), token));
        assert!(file_has_token(&format!("other-org-token\r\n  {token}  \r\n"), token));
        assert!(!file_has_token(&format!("x{token}"), token));
        assert!(!file_has_token("", token));
    }

    #[test]
    fn txt_records_are_read_from_dns_json() {
        // As Cloudflare's resolver writes it: quoted strings, long records split in parts.
        let answer = r#"{"Status":0,"TC":false,"RD":true,"RA":true,"AD":false,"CD":false,
            "Question":[{"name":"_chat-widget-verification.example.com","type":16}],
            "Answer":[{"name":"_chat-widget-verification.example.com","type":16,"TTL":300,
                       "data":"\"chat-widget-verification=\" \"0123456789abcdef0123456789abcdef\""},
                      {"name":"_chat-widget-verification.example.com","type":16,"TTL":300,"data":"\"a \\\"quoted\\\" word\""},
                      {"name":"x","type":5,"TTL":300,"data":"alias.example.com."}]}"#;
        assert_eq!(
            txt_records(answer).unwrap(),
            ["chat-widget-verification=0123456789abcdef0123456789abcdef", "a \"quoted\" word"]
        );
        assert_eq!(txt_records(r#"{"Status":3,"Question":[]}"#).unwrap(), Vec::<String>::new());
        assert!(txt_records(r#"{"Status":2}"#).unwrap_err().contains("status 2"));
        assert!(txt_records("<html>").is_err());
    }
}
