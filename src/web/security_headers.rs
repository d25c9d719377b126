//! Headers every response carries: no framing, no sniffing, no inline script, forms only to us.

use actix_web::middleware::DefaultHeaders;

/// The Content-Security-Policy: everything from this origin only, nothing inline, no plugins.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     style-src 'self'; script-src 'none'; object-src 'none'; frame-ancestors 'none'; \
     form-action 'self'; base-uri 'none'";

/// Every security header and its value.
pub const SECURITY_HEADERS: [(&str, &str); 6] = [
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    (
        "Permissions-Policy",
        "camera=(), microphone=(), geolocation=()",
    ),
];

/// Sent when cookies are HTTPS-only (`COOKIE_SECURE=on`): browsers then use HTTPS for this
/// host and its subdomains for two years, so no request leaks over plain HTTP first.
pub const STRICT_TRANSPORT_SECURITY: (&str, &str) = (
    "Strict-Transport-Security",
    "max-age=63072000; includeSubDomains",
);

/// A middleware that adds the security headers to every response that lacks them, and HSTS
/// when the shop is served over HTTPS (`https_only`).
pub fn security_headers(https_only: bool) -> DefaultHeaders {
    let headers = SECURITY_HEADERS
        .into_iter()
        .fold(DefaultHeaders::new(), |headers, pair| headers.add(pair));
    if https_only {
        headers.add(STRICT_TRANSPORT_SECURITY)
    } else {
        headers
    }
}
