//! Runs the echo origin on `ECHO_ORIGIN_LISTEN` (default `127.0.0.1:8090`) until Ctrl-C or SIGTERM.

use std::env::{self, VarError};
use std::io;
use std::process::ExitCode;

use tokio::net::TcpListener;

const DEFAULT_LISTEN: &str = "127.0.0.1:8090";

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("echo-origin: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> io::Result<()> {
    let addr = match env::var("ECHO_ORIGIN_LISTEN") {
        Ok(addr) => addr,
        Err(VarError::NotPresent) => DEFAULT_LISTEN.to_owned(),
        Err(err) => {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("ECHO_ORIGIN_LISTEN: {err}")));
        }
    };
    let listener = TcpListener::bind(&addr)
        .await
        .map_err(|err| io::Error::new(err.kind(), format!("cannot listen on {addr}: {err}")))?;
    eprintln!("echo-origin listening on http://{}", listener.local_addr()?);
    tokio::select! {
        result = echo_origin::serve(listener) => result,
        result = shutdown_signal() => result,
    }
}

async fn shutdown_signal() -> io::Result<()> {
    #[cfg(unix)]
    {
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = terminate.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await
}
