//! Connections the simulator can cut mid-exchange: the lost answer of DESIGN.md section 8
//! (`lose_next_writes`), where a write is carried out and the connection then closes without a
//! response, as when a network drops it.
//!
//! [`SimListener`] accepts TCP connections wrapped in [`Severable`]; each carries a
//! [`Severance`] that a handler reaches through axum's `ConnectInfo`. Once severed, the
//! connection refuses every further read and write, so hyper gives up on the answer it was about
//! to send and drops the socket: the client sees the connection close before any response.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// The handle that cuts one connection.
#[derive(Clone, Debug, Default)]
pub struct Severance {
    cut: Arc<AtomicBool>,
}

impl Severance {
    /// Cuts the connection: nothing more is read from or written to it.
    pub fn sever(&self) {
        self.cut.store(true, Ordering::SeqCst);
    }

    fn is_cut(&self) -> bool {
        self.cut.load(Ordering::SeqCst)
    }
}

/// A stream that stops working once its [`Severance`] is used.
pub struct Severable<S> {
    inner: S,
    severance: Severance,
}

impl<S> Severable<S> {
    pub fn severance(&self) -> &Severance {
        &self.severance
    }
}

fn cut() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "the simulator cut this connection",
    )
}

impl<S: AsyncRead + Unpin> AsyncRead for Severable<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.severance.is_cut() {
            return Poll::Ready(Err(cut()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Severable<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.severance.is_cut() {
            return Poll::Ready(Err(cut()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.severance.is_cut() {
            return Poll::Ready(Err(cut()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A TCP listener whose connections can be severed.
pub struct SimListener {
    inner: TcpListener,
}

impl SimListener {
    pub fn new(inner: TcpListener) -> Self {
        SimListener { inner }
    }
}

impl Listener for SimListener {
    type Io = Severable<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (stream, address) = Listener::accept(&mut self.inner).await;
        let stream = Severable {
            inner: stream,
            severance: Severance::default(),
        };
        (stream, address)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

impl Connected<IncomingStream<'_, SimListener>> for Severance {
    fn connect_info(stream: IncomingStream<'_, SimListener>) -> Self {
        stream.io().severance().clone()
    }
}
