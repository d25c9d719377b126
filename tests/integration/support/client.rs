//! A small browser: keeps cookies, never follows redirects on its own, parses pages.

use std::collections::BTreeMap;
use std::sync::Mutex;

use scraper::{Html, Selector};
use ureq::http;

/// A cookie-keeping HTTP client bound to one server.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    cookies: Mutex<BTreeMap<String, String>>,
}

/// One response, with helpers to read it as a person would.
pub struct Page {
    /// HTTP status code.
    pub status: u16,
    /// Response headers (names lower-cased).
    pub headers: Vec<(String, String)>,
    /// The body as text (lossy for binary bodies).
    pub body: String,
    /// The body as sent.
    pub bytes: Vec<u8>,
}

impl Client {
    /// A client for the server at `base`.
    pub fn new(base: &str) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(super::DEADLINE))
            .build()
            .into();
        Client {
            agent,
            base: base.to_string(),
            cookies: Mutex::new(BTreeMap::new()),
        }
    }

    /// The server's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends further requests to the server at `base`, with the same cookies (another
    /// instance of the same shop, say).
    pub fn set_base(&mut self, base: &str) {
        self.base = base.to_string();
    }

    /// Sends a request with the client's cookies and keeps the cookies it sets.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Page {
        self.try_request(method, path, headers, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// Like [`Client::request`], but a request that gets no response (the server is gone,
    /// or refused the connection) is an `Err` instead of a panic.
    pub fn try_request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<Page, String> {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        let mut builder = http::Request::builder().method(method).uri(&url);
        let cookie_header: String = self
            .cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        if !cookie_header.is_empty() {
            builder = builder.header("Cookie", cookie_header);
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = builder.body(body).expect("a valid request");
        let mut response = self.agent.run(request).map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    v.to_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        for (name, value) in &headers {
            if name == "set-cookie" {
                self.store_cookie(value);
            }
        }
        let bytes = response
            .body_mut()
            .read_to_vec()
            .map_err(|e| format!("the response broke off: {e}"))?;
        // Pages are read as text; `bytes` keeps a binary body (an image) whole.
        let body = String::from_utf8_lossy(&bytes).into_owned();
        Ok(Page {
            status,
            headers,
            body,
            bytes,
        })
    }

    fn store_cookie(&self, set_cookie: &str) {
        let mut parts = set_cookie.split(';');
        let Some((name, value)) = parts.next().and_then(|kv| kv.split_once('=')) else {
            return;
        };
        let expired = parts.any(|attr| {
            let attr = attr.trim().to_ascii_lowercase();
            attr == "max-age=0" || attr.starts_with("expires=thu, 01 jan 1970")
        });
        let mut jar = self.cookies.lock().unwrap();
        if expired || value.is_empty() {
            jar.remove(name.trim());
        } else {
            jar.insert(name.trim().to_string(), value.trim().to_string());
        }
    }

    /// GET `path`.
    pub fn get(&self, path: &str) -> Page {
        self.request("GET", path, &[], Vec::new())
    }

    /// GET `path`; `Err` when no response came.
    pub fn try_get(&self, path: &str) -> Result<Page, String> {
        self.try_request("GET", path, &[], Vec::new())
    }

    /// GET `path` and follow redirects to the final page.
    pub fn get_following(&self, path: &str) -> Page {
        self.follow(self.get(path))
    }

    /// Follows a chain of redirects with GETs.
    pub fn follow(&self, mut page: Page) -> Page {
        for _ in 0..10 {
            match (page.status, page.location()) {
                (301 | 302 | 303 | 307 | 308, Some(location)) => page = self.get(&location),
                _ => break,
            }
        }
        page
    }

    /// POST `fields` as a form to `path`.
    pub fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.try_post_form(path, fields)
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// POST `fields` as a form to `path`; `Err` when no response came.
    pub fn try_post_form(&self, path: &str, fields: &[(&str, &str)]) -> Result<Page, String> {
        let body = serde_urlencoded::to_string(fields).expect("encode the form");
        self.try_request(
            "POST",
            path,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            body.into_bytes(),
        )
    }

    /// Fills and posts the form with `action` found on `page`, as a browser would: every
    /// input, textarea and selected option it holds (the CSRF token included), with
    /// `fields` typed over them.
    pub fn submit_on(&self, page: &Page, action: &str, fields: &[(&str, &str)]) -> Page {
        self.try_submit_on(page, action, fields)
            .unwrap_or_else(|e| panic!("POST {action}: {e}"))
    }

    /// Like [`Client::submit_on`]; `Err` when no response came.
    pub fn try_submit_on(
        &self,
        page: &Page,
        action: &str,
        fields: &[(&str, &str)],
    ) -> Result<Page, String> {
        let mut values = page
            .form_values(action)
            .unwrap_or_else(|| panic!("no form posting to {action} on the page:\n{}", page.body));
        for (name, value) in fields {
            values.retain(|(k, _)| k != name);
            values.push((name.to_string(), value.to_string()));
        }
        let pairs: Vec<(&str, &str)> = values
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.try_post_form(action, &pairs)
    }

    /// Posts `fields` and `files` as multipart/form-data, as a browser sends a form with
    /// `enctype="multipart/form-data"`. Files are (field, file name, content type, bytes).
    pub fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &str, &[u8])],
    ) -> Page {
        // Mixed case, like Chromium's ----WebKitFormBoundary…: boundaries are case-sensitive.
        let boundary = format!(
            "----ShopfrontTestBoundary{}",
            shopfront::config::random_hex(8)
        );
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
            );
        }
        for (name, file_name, content_type, data) in files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(data);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let content_type = format!("multipart/form-data; boundary={boundary}");
        self.request("POST", path, &[("Content-Type", &content_type)], body)
    }

    /// Fills the multipart form with `action` on `page` like `submit_on`, and attaches `files`.
    pub fn submit_multipart_on(
        &self,
        page: &Page,
        action: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &str, &[u8])],
    ) -> Page {
        let mut values = page
            .form_values(action)
            .unwrap_or_else(|| panic!("no form posting to {action} on the page:\n{}", page.body));
        for (name, value) in fields {
            values.retain(|(k, _)| k != name);
            values.push((name.to_string(), value.to_string()));
        }
        let pairs: Vec<(&str, &str)> = values
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.post_multipart(action, &pairs, files)
    }

    /// GETs `page_path`, then fills and posts its form to `action`.
    pub fn submit(&self, page_path: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let page = self.get(page_path);
        self.submit_on(&page, action, fields)
    }

    /// The cookies the client holds.
    pub fn cookies(&self) -> BTreeMap<String, String> {
        self.cookies.lock().unwrap().clone()
    }

    /// Replaces the client's cookies (to replay an old cookie, say).
    pub fn set_cookies(&self, cookies: BTreeMap<String, String>) {
        *self.cookies.lock().unwrap() = cookies;
    }
}

impl Page {
    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Where a redirect points.
    pub fn location(&self) -> Option<String> {
        self.header("location").map(str::to_string)
    }

    /// The parsed document.
    pub fn html(&self) -> Html {
        Html::parse_document(&self.body)
    }

    /// The text of every element matching `css`, whitespace folded.
    pub fn texts(&self, css: &str) -> Vec<String> {
        let selector = Selector::parse(css).unwrap_or_else(|e| panic!("bad selector {css}: {e:?}"));
        self.html()
            .select(&selector)
            .map(|el| {
                el.text()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    /// The text of the first element matching `css`.
    pub fn text(&self, css: &str) -> Option<String> {
        self.texts(css).into_iter().next()
    }

    /// The value of attribute `attr` on every element matching `css`.
    pub fn attrs(&self, css: &str, attr: &str) -> Vec<String> {
        let selector = Selector::parse(css).unwrap_or_else(|e| panic!("bad selector {css}: {e:?}"));
        self.html()
            .select(&selector)
            .filter_map(|el| el.value().attr(attr).map(str::to_string))
            .collect()
    }

    /// The page's `<title>`.
    pub fn title(&self) -> String {
        self.text("title").unwrap_or_default()
    }

    /// The page's first `<h1>`.
    pub fn h1(&self) -> String {
        self.text("h1").unwrap_or_default()
    }

    /// The name/value pairs a browser would send for the POST form with `action`.
    pub fn form_values(&self, action: &str) -> Option<Vec<(String, String)>> {
        let html = self.html();
        let forms = Selector::parse("form").unwrap();
        let form = html.select(&forms).find(|f| {
            f.value().attr("action") == Some(action)
                && f.value()
                    .attr("method")
                    .is_some_and(|m| m.eq_ignore_ascii_case("post"))
        })?;
        let fields = Selector::parse("input[name], textarea[name], select[name]").unwrap();
        let options = Selector::parse("option").unwrap();
        let mut values = Vec::new();
        for field in form.select(&fields) {
            let el = field.value();
            let name = el.attr("name").unwrap_or_default().to_string();
            match el.name() {
                "textarea" => values.push((name, field.text().collect())),
                "select" => {
                    let chosen = field
                        .select(&options)
                        .find(|o| o.value().attr("selected").is_some())
                        .or_else(|| field.select(&options).next());
                    if let Some(option) = chosen {
                        values.push((
                            name,
                            option.value().attr("value").unwrap_or_default().to_string(),
                        ));
                    }
                }
                _ => {
                    let kind = el.attr("type").unwrap_or("text").to_ascii_lowercase();
                    if matches!(kind.as_str(), "submit" | "button" | "file" | "image") {
                        continue;
                    }
                    if matches!(kind.as_str(), "checkbox" | "radio") && el.attr("checked").is_none()
                    {
                        continue;
                    }
                    values.push((name, el.attr("value").unwrap_or_default().to_string()));
                }
            }
        }
        Some(values)
    }

    /// The flash messages shown on the page.
    pub fn flashes(&self) -> Vec<String> {
        self.texts(".flash")
    }

    /// Messages shown beside form fields and for the form as a whole.
    pub fn form_errors(&self) -> Vec<String> {
        self.texts(".field-error, .form-error")
    }

    /// Names of the products a list links to, in page order.
    pub fn product_names(&self) -> Vec<String> {
        self.texts(".card a.card-name")
    }

    /// Everything a reader sees, tags stripped, whitespace folded.
    pub fn visible_text(&self) -> String {
        self.texts("body").join(" ")
    }
}
