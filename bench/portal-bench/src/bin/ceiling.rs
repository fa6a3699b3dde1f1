//! The ceiling for the portal's pages: a bare axum handler that answers every GET with the bytes
//! of a file (a page the portal rendered), so that wrk measures only the HTTP stack.
//!
//! Usage: ceiling <listen address> <file>

use axum::body::Bytes;
use axum::http::header;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(listen), Some(file)) = (args.next(), args.next()) else {
        eprintln!("usage: ceiling <listen address> <file>");
        std::process::exit(2);
    };
    let page = Bytes::from(std::fs::read(&file).unwrap_or_else(|error| panic!("{file}: {error}")));
    let app = axum::Router::new().fallback(move || {
        let page = page.clone();
        async move { ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page) }
    });
    let listener = tokio::net::TcpListener::bind(&listen).await.expect("listen");
    axum::serve(listener, app).await.expect("serve");
}
