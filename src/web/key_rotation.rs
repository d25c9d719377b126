//! Key rotation without logging anybody out: a session or CSRF cookie signed with
//! `SECRET_KEY_PREVIOUS` is re-signed with `SECRET_KEY` on its way in, so the session and
//! CSRF layers only ever check the current key, and the browser is handed the re-signed
//! cookie so it no longer needs the previous key.

use actix_web::body::MessageBody;
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, CookieJar, Key, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web::Data;

use crate::web::csrf;
use crate::web::state::AppState;

/// A cookie the request carried signed with the previous key, now signed with the current one.
struct Resigned {
    name: &'static str,
    value: String,
}

/// Re-signs the request's cookies that only the previous key vouches for, and hands them back
/// re-signed unless the response sets them anyway.
pub async fn resign_previous_key_cookies(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let Some(state) = req.app_data::<Data<AppState>>().cloned() else {
        return next.call(req).await;
    };
    let Some(previous) = &state.previous_cookie_key else {
        return next.call(req).await;
    };
    let secure = state.config.cookie_secure;
    let names = [
        crate::session_cookie_name(secure),
        csrf::cookie_name(secure),
    ];
    let resigned = resign_request(&mut req, &names, &state.cookie_key, previous);
    let mut res = next.call(req).await?;
    for cookie in resigned {
        let already_set = res
            .response()
            .cookies()
            .any(|set| set.name() == cookie.name);
        if already_set {
            continue;
        }
        let mut handed_back = Cookie::new(cookie.name, cookie.value);
        handed_back.set_path("/");
        handed_back.set_http_only(true);
        handed_back.set_same_site(SameSite::Lax);
        handed_back.set_secure(secure);
        if cookie.name == crate::session_cookie_name(secure) {
            handed_back.set_max_age(CookieDuration::days(crate::LOGIN_DEADLINE_DAYS as i64));
        }
        res.response_mut().add_cookie(&handed_back)?;
    }
    Ok(res)
}

/// Rewrites the request's `Cookie` header so every cookie in `names` that verifies only with
/// `previous` carries a `current` signature instead; returns those cookies.
fn resign_request(
    req: &mut ServiceRequest,
    names: &[&'static str],
    current: &Key,
    previous: &Key,
) -> Vec<Resigned> {
    let mut resigned = Vec::new();
    let mut pairs = Vec::new();
    for value in req.headers().get_all(header::COOKIE) {
        let Ok(text) = value.to_str() else {
            return Vec::new();
        };
        for pair in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let replaced = Cookie::parse_encoded(pair).ok().and_then(|cookie| {
                let name = names.iter().find(|name| **name == cookie.name())?;
                let value = resign(name, cookie.value(), current, previous)?;
                Some(Resigned { name, value })
            });
            match replaced {
                Some(cookie) => {
                    pairs.push(
                        Cookie::new(cookie.name, cookie.value.clone())
                            .encoded()
                            .to_string(),
                    );
                    resigned.push(cookie);
                }
                None => pairs.push(pair.to_string()),
            }
        }
    }
    if resigned.is_empty() {
        return resigned;
    }
    match HeaderValue::from_str(&pairs.join("; ")) {
        Ok(rewritten) => {
            let headers = req.headers_mut();
            headers.remove(header::COOKIE);
            headers.insert(header::COOKIE, rewritten);
            resigned
        }
        Err(_) => Vec::new(),
    }
}

/// `signed` with a `current` signature, when `current` does not verify it and `previous` does.
fn resign(name: &str, signed: &str, current: &Key, previous: &Key) -> Option<String> {
    let mut jar = CookieJar::new();
    jar.add_original(Cookie::new(name.to_string(), signed.to_string()));
    if jar.signed(current).get(name).is_some() {
        return None;
    }
    let plain = jar.signed(previous).get(name)?;
    let mut out = CookieJar::new();
    out.signed_mut(current).add(plain);
    out.get(name).map(|cookie| cookie.value().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(key: &Key, name: &str, value: &str) -> Option<String> {
        let mut jar = CookieJar::new();
        jar.signed_mut(key)
            .add(Cookie::new(name.to_string(), value.to_string()));
        jar.get(name).map(|cookie| cookie.value().to_string())
    }

    fn verified(key: &Key, name: &str, value: &str) -> Option<String> {
        let mut jar = CookieJar::new();
        jar.add_original(Cookie::new(name.to_string(), value.to_string()));
        jar.signed(key)
            .get(name)
            .map(|cookie| cookie.value().to_string())
    }

    #[test]
    fn only_a_cookie_of_the_previous_key_is_resigned_and_keeps_its_value() {
        let (current, previous, other) = (Key::generate(), Key::generate(), Key::generate());
        let old = signed(&previous, "s", "session-id").expect("signed");
        let resigned = resign("s", &old, &current, &previous).expect("re-signed");
        assert_eq!(
            verified(&current, "s", &resigned).as_deref(),
            Some("session-id")
        );

        let fresh = signed(&current, "s", "session-id").expect("signed");
        assert_eq!(resign("s", &fresh, &current, &previous), None);
        let forged = signed(&other, "s", "session-id").expect("signed");
        assert_eq!(resign("s", &forged, &current, &previous), None);
        assert_eq!(resign("s", "session-id", &current, &previous), None);
    }
}
