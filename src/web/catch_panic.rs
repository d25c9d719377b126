//! Turns a panicking handler into the 500 page instead of a dropped connection.
//!
//! actix-web-lab's `CatchPanic` answers an empty 500; this one answers our error page (the
//! panic hook has already logged the message and location). The request cannot be kept for
//! a response of our own (routing needs the only reference to it), so the panic becomes an
//! `AppError`, whose response carries the security headers itself.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::rc::Rc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse};
use futures_util::FutureExt;

use crate::web::error::AppError;

/// Middleware factory; wrap it innermost so the other middleware still see the 500.
#[derive(Debug, Clone, Copy, Default)]
pub struct CatchPanic;

rc_middleware!(CatchPanic => CatchPanicService);

/// The service `CatchPanic` wraps around the app.
pub struct CatchPanicService<S> {
    service: Rc<S>,
}

impl<S, B> Service<ServiceRequest> for CatchPanicService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        Box::pin(async move {
            match AssertUnwindSafe(service.call(req)).catch_unwind().await {
                Ok(result) => result.map(ServiceResponse::map_into_boxed_body),
                Err(_) => Err(AppError::Internal("a request handler panicked".into()).into()),
            }
        })
    }
}
