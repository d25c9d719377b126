//! Gzip for clients that ask, never for HTTP/1.0 ones.
//!
//! actix's `Compress` streams a compressed body, which HTTP/1.1 frames with chunked
//! transfer-encoding. HTTP/1.0 has no chunked encoding: a 1.0 client (text browsers, some
//! proxies and monitors) would read the chunk sizes as page text. Pages are small, so a 1.0
//! request is simply answered uncompressed, framed by `Content-Length`.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Version};
use actix_web::middleware::Next;

/// Drops `Accept-Encoding` from HTTP/1.0 requests; wrap it outside `Compress`.
pub async fn identity_for_http10(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.version() < Version::HTTP_11 {
        req.headers_mut().remove(header::ACCEPT_ENCODING);
    }
    next.call(req).await
}
