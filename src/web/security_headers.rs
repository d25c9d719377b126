//! Headers every response carries: no framing, no sniffing, no inline script, forms only to us.

use actix_web::middleware::DefaultHeaders;

/// The Content-Security-Policy: everything from this origin only, nothing inline, no plugins.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     style-src 'self'; script-src 'none'; object-src 'none'; frame-ancestors 'none'; \
     form-action 'self'; base-uri 'none'";

/// Stripe's hosted payment page, where the checkout and order pages send card payers.
pub const STRIPE_CHECKOUT_ORIGIN: &str = "https://checkout.stripe.com";

/// The policy for a page whose form may be answered with a redirect to another origin:
/// browsers hold a redirect after a form post to `form-action` too, so those origins join
/// `'self'` there.
pub fn policy_with_form_targets(origins: &[String]) -> String {
    let targets: String = origins.iter().map(|o| format!(" {o}")).collect();
    CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'",
        &format!("form-action 'self'{targets}"),
    )
}

/// The origins a card payment's form may lead to: Stripe's hosted page and, when the API is
/// somewhere else (a test double), that origin, which serves its payment page.
pub fn payment_form_targets(stripe_api_base: &str) -> Vec<String> {
    let mut origins = vec![STRIPE_CHECKOUT_ORIGIN.to_string()];
    if stripe_api_base != "https://api.stripe.com" {
        origins.push(stripe_api_base.to_string());
    }
    origins
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_pages_may_send_forms_to_stripe_only() {
        let targets = payment_form_targets("https://api.stripe.com");
        assert_eq!(targets, ["https://checkout.stripe.com"]);
        let policy = policy_with_form_targets(&payment_form_targets("http://127.0.0.1:4242"));
        assert!(policy
            .contains("form-action 'self' https://checkout.stripe.com http://127.0.0.1:4242;"));
        assert!(policy.contains("script-src 'none'"));
    }
}
