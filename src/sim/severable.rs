//! Connections the simulator can cut mid-exchange: the lost answer of DESIGN.md section 8
//! (`lose_next_writes`), where a write is carried out and the connection then closes without a
//! response, as when a network drops it.
//!
//! [`SimListener`] accepts TCP connections wrapped in [`Severable`]; each carries a
//! [`Severance`] that a handler reaches through axum's `ConnectInfo`. Once severed, the
//! connection refuses every further read and write, so hyper gives up on the answer it was about
//! to send and drops the socket: the client sees the connection close before any response.
//!
//! Under `--tls` the listener completes each TLS handshake on its own task before handing the
//! connection to axum, and the severance sits above TLS: cutting drops the TLS session with
//! the socket, without a `close_notify`, just as a network failure would.

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
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// How long a client has to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

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

/// One accepted connection: plain TCP, or TLS over it.
pub enum Connection {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(stream) => Pin::new(stream).poll_read(cx, buf),
            Connection::Tls(stream) => Pin::new(stream.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Connection::Plain(stream) => Pin::new(stream).poll_write(cx, buf),
            Connection::Tls(stream) => Pin::new(stream.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(stream) => Pin::new(stream).poll_flush(cx),
            Connection::Tls(stream) => Pin::new(stream.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(stream) => Pin::new(stream).poll_shutdown(cx),
            Connection::Tls(stream) => Pin::new(stream.as_mut()).poll_shutdown(cx),
        }
    }
}

/// A TCP listener whose connections can be severed, serving TLS when given an acceptor.
pub struct SimListener {
    inner: TcpListener,
    tls: Option<TlsAcceptor>,
    /// TLS handshakes under way, each on its own task.
    handshakes: JoinSet<Option<(TlsStream<TcpStream>, SocketAddr)>>,
}

impl SimListener {
    pub fn new(inner: TcpListener, tls: Option<TlsAcceptor>) -> Self {
        SimListener {
            inner,
            tls,
            handshakes: JoinSet::new(),
        }
    }
}

fn severable(inner: Connection) -> Severable<Connection> {
    Severable {
        inner,
        severance: Severance::default(),
    }
}

impl Listener for SimListener {
    type Io = Severable<Connection>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let SimListener {
            inner,
            tls,
            handshakes,
        } = self;
        let Some(acceptor) = tls else {
            let (stream, address) = Listener::accept(inner).await;
            return (severable(Connection::Plain(stream)), address);
        };
        loop {
            tokio::select! {
                (stream, address) = Listener::accept(inner) => {
                    let acceptor = acceptor.clone();
                    handshakes.spawn(async move {
                        match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                            Ok(Ok(stream)) => Some((stream, address)),
                            Ok(Err(error)) => {
                                tracing::debug!(%error, %address, "tls handshake failed");
                                None
                            }
                            Err(_) => None,
                        }
                    });
                }
                Some(done) = handshakes.join_next(), if !handshakes.is_empty() => {
                    if let Ok(Some((stream, address))) = done {
                        return (severable(Connection::Tls(Box::new(stream))), address);
                    }
                }
            }
        }
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
