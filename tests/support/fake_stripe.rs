//! A fake of Stripe for tests, on a local port: the API calls the shop makes, spoken as
//! Stripe documents them, and the hosted payment page a customer pays on.
//!
//! - `POST /v1/checkout/sessions`, `GET /v1/checkout/sessions/{id}`,
//!   `POST /v1/checkout/sessions/{id}/expire`, `POST /v1/refunds`: form-encoded bodies
//!   (`application/x-www-form-urlencoded`, nested keys like `line_items[0][quantity]`),
//!   `Authorization: Bearer <secret key>` (else 401), JSON answers with Stripe's object shapes
//!   and `{"error": {"type", "message"}}` errors. An `Idempotency-Key` replays the first answer
//!   for the same parameters and refuses other parameters under the same key, as Stripe does.
//! - `GET /pay/{session}` is the hosted page (a plain form, no script); `POST /pay/{session}`
//!   pays: the session becomes `complete`/`paid` with a payment intent, the
//!   `checkout.session.completed` event is posted to the shop's webhook signed the way Stripe
//!   signs (`Stripe-Signature: t=…,v1=HMAC-SHA256(secret, "{t}.{body}")`), and the browser is
//!   sent to the session's `success_url`.
//!
//! Written from Stripe's API reference, independently of the shop's code (the signature is
//! computed here with `hmac` directly), so the two cannot agree on a mistake.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

/// The secret key the fake accepts.
pub const SECRET_KEY: &str = "sk_test_fake_shopfront";
/// The webhook signing secret it signs events with.
pub const WEBHOOK_SECRET: &str = "whsec_fake_shopfront";

/// One API request the fake received.
#[derive(Debug, Clone)]
pub struct Received {
    /// `GET` or `POST`.
    pub method: String,
    /// The path, like `/v1/checkout/sessions`.
    pub path: String,
    /// The `Idempotency-Key` header, if any.
    pub idempotency_key: Option<String>,
    /// The form fields, in order.
    pub form: Vec<(String, String)>,
}

impl Received {
    /// The value of form field `name`.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A form body, its fields in order.
type Form = Vec<(String, String)>;
/// An API answer: the status and the JSON body.
type Reply = (u16, Value);

#[derive(Default)]
struct State {
    sessions: HashMap<String, Value>,
    /// Idempotency key → (the request's fields, the status and body answered).
    replays: HashMap<String, (Form, u16, Value)>,
    /// Payment intent → (amount paid, amount refunded).
    charges: HashMap<String, (i64, i64)>,
    refunds: Vec<Value>,
    received: Vec<Received>,
    /// Every webhook delivery: the event and the status the shop answered.
    deliveries: Vec<(Value, u16)>,
    webhook_url: Option<String>,
    /// While set, every API call answers 500 (`api_error`).
    down: bool,
    /// When set, the amount a payment reports instead of the session's (a mismatch).
    pay_amount_override: Option<i64>,
    counter: u64,
}

/// The fake, serving until dropped.
pub struct FakeStripe {
    /// `http://127.0.0.1:PORT`: give it to the shop as `STRIPE_API_BASE`.
    pub base: String,
    state: Arc<Mutex<State>>,
    handle: ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Signs `payload` as Stripe signs webhook events.
pub fn stripe_signature(secret: &str, timestamp: i64, payload: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{timestamp}.{payload}").as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

fn error(status: u16, kind: &str, message: &str) -> (u16, Value) {
    (status, json!({"error": {"type": kind, "message": message}}))
}

fn answer((status, body): (u16, Value)) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("a status"))
        .content_type("application/json")
        .body(body.to_string())
}

impl FakeStripe {
    /// Starts the fake on a free port.
    pub fn start() -> FakeStripe {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let base = format!("http://{}", listener.local_addr().expect("local addr"));
        let state = Arc::new(Mutex::new(State::default()));
        let (tx, rx) = mpsc::channel();
        let shared = Arc::clone(&state);
        let page_base = base.clone();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(web::Data::new(Arc::clone(&shared)))
                        .app_data(web::Data::new(page_base.clone()))
                        .route("/v1/checkout/sessions", web::post().to(create_session))
                        .route("/v1/checkout/sessions/{id}", web::get().to(get_session))
                        .route(
                            "/v1/checkout/sessions/{id}/expire",
                            web::post().to(expire_session),
                        )
                        .route("/v1/refunds", web::post().to(create_refund))
                        .route("/pay/{id}", web::get().to(hosted_page))
                        .route("/pay/{id}", web::post().to(hosted_pay))
                })
                .workers(1)
                .disable_signals()
                .listen(listener)
                .expect("listen")
                .run();
                tx.send(server.handle()).expect("report the handle");
                let _ = server.await;
            });
        });
        let handle = rx.recv().expect("the fake started");
        FakeStripe {
            base,
            state,
            handle,
            thread: Some(thread),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Posts every event to `url` (the shop's webhook) from now on.
    pub fn deliver_webhooks_to(&self, url: &str) {
        self.state().webhook_url = Some(url.to_string());
    }

    /// While `down`, every API call answers 500.
    pub fn set_down(&self, down: bool) {
        self.state().down = down;
    }

    /// Payments report this amount instead of the session's (to test a mismatch).
    pub fn pay_amount(&self, amount: Option<i64>) {
        self.state().pay_amount_override = amount;
    }

    /// Every API request so far.
    pub fn received(&self) -> Vec<Received> {
        self.state().received.clone()
    }

    /// The API requests to `path` so far.
    pub fn received_at(&self, method: &str, path: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.method == method && r.path == path)
            .collect()
    }

    /// Every session made, by id.
    pub fn sessions(&self) -> Vec<Value> {
        self.state().sessions.values().cloned().collect()
    }

    /// The session `id`.
    pub fn session(&self, id: &str) -> Option<Value> {
        self.state().sessions.get(id).cloned()
    }

    /// Every refund made.
    pub fn refunds(&self) -> Vec<Value> {
        self.state().refunds.clone()
    }

    /// Every webhook delivery: the event and the status the shop answered.
    pub fn deliveries(&self) -> Vec<(Value, u16)> {
        self.state().deliveries.clone()
    }

    /// Pays session `id` as the hosted page would, without delivering the event; returns
    /// the `checkout.session.completed` event, for the test to deliver (or not) itself.
    pub fn pay_quietly(&self, id: &str) -> Option<Value> {
        let mut state = self.state();
        complete(&mut state, id)
    }

    /// Pays session `id` and delivers the event to the webhook; returns the shop's status.
    pub fn pay(&self, id: &str) -> Option<u16> {
        let (event, url) = {
            let mut state = self.state();
            (complete(&mut state, id)?, state.webhook_url.clone()?)
        };
        let status = deliver(&url, &event);
        self.state().deliveries.push((event, status));
        Some(status)
    }

    /// Pays session `id` even though it is no longer open (the money came in just as the
    /// session expired) and delivers the event; returns the shop's status.
    pub fn pay_late(&self, id: &str) -> Option<u16> {
        {
            let mut state = self.state();
            state.sessions.get_mut(id)?["status"] = json!("open");
        }
        self.pay(id)
    }

    /// Delivers `event` to the webhook again (as Stripe retries); returns the shop's status.
    pub fn redeliver(&self, event: &Value) -> Option<u16> {
        let url = self.state().webhook_url.clone()?;
        let status = deliver(&url, event);
        self.state().deliveries.push((event.clone(), status));
        Some(status)
    }
}

impl Drop for FakeStripe {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Marks session `id` paid and returns its `checkout.session.completed` event; `None` when it
/// is not open.
fn complete(state: &mut State, id: &str) -> Option<Value> {
    state.counter += 1;
    let counter = state.counter;
    let amount_override = state.pay_amount_override;
    let session = state.sessions.get_mut(id)?;
    if session["status"] != "open" {
        return None;
    }
    let intent = format!("pi_fake_{counter}");
    let amount = amount_override.unwrap_or_else(|| session["amount_total"].as_i64().unwrap_or(0));
    session["status"] = json!("complete");
    session["payment_status"] = json!("paid");
    session["payment_intent"] = json!(intent);
    session["amount_total"] = json!(amount);
    let object = session.clone();
    state.charges.insert(intent, (amount, 0));
    Some(json!({
        "id": format!("evt_fake_{counter}"),
        "object": "event",
        "api_version": "2024-06-20",
        "created": unix_now(),
        "type": "checkout.session.completed",
        "livemode": false,
        "data": {"object": object},
    }))
}

/// Posts `event` to `url` signed with [`WEBHOOK_SECRET`]; the status answered (0 when the
/// shop could not be reached).
fn deliver(url: &str, event: &Value) -> u16 {
    let payload = event.to_string();
    let signature = stripe_signature(WEBHOOK_SECRET, unix_now(), &payload);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    agent
        .post(url)
        .header("Content-Type", "application/json")
        .header("Stripe-Signature", &signature)
        .send(payload.as_bytes())
        .map_or(0, |r| r.status().as_u16())
}

/// Checks the key and the body type, records the request, and answers a replay of an earlier
/// request with the same idempotency key; `Err` carries the answer to give.
fn admit(
    req: &HttpRequest,
    body: &[u8],
    state: &mut State,
) -> Result<(Form, Option<String>), Reply> {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let key = header("Idempotency-Key");
    state.received.push(Received {
        method: req.method().to_string(),
        path: req.path().to_string(),
        idempotency_key: key.clone(),
        form: form.clone(),
    });
    if header("Authorization").as_deref() != Some(&format!("Bearer {SECRET_KEY}")) {
        return Err(error(
            401,
            "invalid_request_error",
            "Invalid API Key provided",
        ));
    }
    if state.down {
        return Err(error(
            500,
            "api_error",
            "Something went wrong on Stripe's end.",
        ));
    }
    if req.method() == actix_web::http::Method::POST
        && !body.is_empty()
        && header("Content-Type").as_deref() != Some("application/x-www-form-urlencoded")
    {
        return Err(error(
            400,
            "invalid_request_error",
            "Stripe's API takes application/x-www-form-urlencoded bodies.",
        ));
    }
    if let Some(key) = &key {
        if let Some((fields, status, body)) = state.replays.get(key) {
            if *fields != form {
                return Err(error(
                    400,
                    "idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                ));
            }
            return Err((*status, body.clone()));
        }
    }
    Ok((form, key))
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

type Shared = web::Data<Arc<Mutex<State>>>;

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared.lock().unwrap_or_else(|p| p.into_inner())
}

async fn create_session(
    req: HttpRequest,
    body: web::Bytes,
    shared: Shared,
    base: web::Data<String>,
) -> HttpResponse {
    let mut state = lock(&shared);
    let (form, key) = match admit(&req, &body, &mut state) {
        Ok(admitted) => admitted,
        Err(reply) => return answer(reply),
    };
    let reply = new_session(&mut state, &form, &base);
    if let Some(key) = key {
        state.replays.insert(key, (form, reply.0, reply.1.clone()));
    }
    answer(reply)
}

/// A Checkout Session for `form`, checked as Stripe checks it.
fn new_session(state: &mut State, form: &[(String, String)], base: &str) -> (u16, Value) {
    let missing = [
        "mode",
        "success_url",
        "cancel_url",
        "line_items[0][quantity]",
        "line_items[0][price_data][currency]",
        "line_items[0][price_data][unit_amount]",
        "line_items[0][price_data][product_data][name]",
    ]
    .into_iter()
    .find(|name| field(form, name).is_none());
    if let Some(name) = missing {
        return error(
            400,
            "invalid_request_error",
            &format!("Missing required param: {name}."),
        );
    }
    if field(form, "mode") != Some("payment") {
        return error(400, "invalid_request_error", "Invalid mode.");
    }
    let number = |name: &str| field(form, name).and_then(|v| v.parse::<i64>().ok());
    let (Some(quantity), Some(unit_amount)) = (
        number("line_items[0][quantity]"),
        number("line_items[0][price_data][unit_amount]"),
    ) else {
        return error(400, "invalid_request_error", "Invalid integer.");
    };
    let now = unix_now();
    if let Some(expires_at) = field(form, "expires_at") {
        let Ok(expires_at) = expires_at.parse::<i64>() else {
            return error(400, "invalid_request_error", "Invalid integer: expires_at.");
        };
        // Stripe: at least 30 minutes and at most 24 hours after creation.
        if expires_at < now + 30 * 60 - 5 || expires_at > now + 24 * 3600 {
            return error(
                400,
                "invalid_request_error",
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.",
            );
        }
    }
    state.counter += 1;
    let id = format!("cs_test_fake{}", state.counter);
    let metadata: serde_json::Map<String, Value> = form
        .iter()
        .filter_map(|(k, v)| {
            let name = k.strip_prefix("metadata[")?.strip_suffix(']')?;
            Some((name.to_string(), json!(v)))
        })
        .collect();
    let session = json!({
        "id": id,
        "object": "checkout.session",
        "mode": "payment",
        "status": "open",
        "payment_status": "unpaid",
        "amount_total": quantity * unit_amount,
        "currency": field(form, "line_items[0][price_data][currency]"),
        "client_reference_id": field(form, "client_reference_id"),
        "customer_email": field(form, "customer_email"),
        "success_url": field(form, "success_url"),
        "cancel_url": field(form, "cancel_url"),
        "expires_at": field(form, "expires_at").and_then(|v| v.parse::<i64>().ok()).unwrap_or(now + 24 * 3600),
        "created": now,
        "metadata": metadata,
        "payment_intent": null,
        "url": format!("{base}/pay/{id}"),
    });
    state.sessions.insert(id, session.clone());
    (200, session)
}

async fn get_session(req: HttpRequest, id: web::Path<String>, shared: Shared) -> HttpResponse {
    let mut state = lock(&shared);
    if let Err(reply) = admit(&req, &[], &mut state) {
        return answer(reply);
    }
    match state.sessions.get(id.as_str()) {
        Some(session) => answer((200, session.clone())),
        None => answer(error(
            404,
            "invalid_request_error",
            &format!("No such checkout.session: '{id}'"),
        )),
    }
}

async fn expire_session(
    req: HttpRequest,
    body: web::Bytes,
    id: web::Path<String>,
    shared: Shared,
) -> HttpResponse {
    let mut state = lock(&shared);
    if let Err(reply) = admit(&req, &body, &mut state) {
        return answer(reply);
    }
    let Some(session) = state.sessions.get_mut(id.as_str()) else {
        return answer(error(
            404,
            "invalid_request_error",
            &format!("No such checkout.session: '{id}'"),
        ));
    };
    if session["status"] != "open" {
        return answer(error(
            400,
            "invalid_request_error",
            &format!(
                "Only Checkout Sessions with a status in [\"open\"] can be expired. This Checkout Session has a status of \"{}\".",
                session["status"].as_str().unwrap_or("")
            ),
        ));
    }
    session["status"] = json!("expired");
    answer((200, session.clone()))
}

async fn create_refund(req: HttpRequest, body: web::Bytes, shared: Shared) -> HttpResponse {
    let mut state = lock(&shared);
    let (form, key) = match admit(&req, &body, &mut state) {
        Ok(admitted) => admitted,
        Err(reply) => return answer(reply),
    };
    let intent = field(&form, "payment_intent").unwrap_or("").to_string();
    let amount = field(&form, "amount").and_then(|v| v.parse::<i64>().ok());
    let reply = match (state.charges.get(&intent).copied(), amount) {
        (None, _) => error(
            404,
            "invalid_request_error",
            &format!("No such payment_intent: '{intent}'"),
        ),
        (Some(_), None) => error(400, "invalid_request_error", "Invalid integer: amount."),
        (Some((paid, refunded)), Some(amount)) if amount <= 0 || refunded + amount > paid => error(
            400,
            "invalid_request_error",
            &format!(
                "Refund amount ({amount}) is greater than unrefunded amount on charge ({})",
                paid - refunded
            ),
        ),
        (Some((paid, refunded)), Some(amount)) => {
            state
                .charges
                .insert(intent.clone(), (paid, refunded + amount));
            state.counter += 1;
            let refund = json!({
                "id": format!("re_fake_{}", state.counter),
                "object": "refund",
                "amount": amount,
                "payment_intent": intent,
                "status": "succeeded",
                "created": unix_now(),
            });
            state.refunds.push(refund.clone());
            (200, refund)
        }
    };
    if let Some(key) = key {
        state.replays.insert(key, (form, reply.0, reply.1.clone()));
    }
    answer(reply)
}

async fn hosted_page(id: web::Path<String>, shared: Shared) -> HttpResponse {
    let state = lock(&shared);
    let Some(session) = state.sessions.get(id.as_str()) else {
        return HttpResponse::NotFound().body("no such session");
    };
    let amount = session["amount_total"].as_i64().unwrap_or(0);
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Pay · Fake Stripe</title></head>\
         <body><h1>Fake Stripe Checkout</h1><p class=\"amount\">{} {}.{:02}</p><p class=\"status\">{}</p>\
         <form method=\"post\" action=\"/pay/{id}\"><label>Card number <input name=\"card\" value=\"4242 4242 4242 4242\"></label>\
         <button type=\"submit\">Pay</button></form></body></html>",
        session["currency"].as_str().unwrap_or("").to_uppercase(),
        amount / 100,
        amount % 100,
        session["status"].as_str().unwrap_or(""),
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body)
}

async fn hosted_pay(id: web::Path<String>, shared: Shared) -> HttpResponse {
    let (event, url, success) = {
        let mut state = lock(&shared);
        let Some(event) = complete(&mut state, &id) else {
            return HttpResponse::BadRequest().body("this session cannot be paid");
        };
        let success = event["data"]["object"]["success_url"]
            .as_str()
            .unwrap_or("/")
            .to_string();
        (event, state.webhook_url.clone(), success)
    };
    if let Some(url) = url {
        let sent = event.clone();
        let status = web::block(move || deliver(&url, &sent)).await.unwrap_or(0);
        lock(&shared).deliveries.push((event, status));
    }
    HttpResponse::SeeOther()
        .insert_header(("Location", success))
        .finish()
}
