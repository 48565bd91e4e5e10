//! Keeps the workers' shares of open viewer connections even.
//!
//! Each worker accepts on its own `SO_REUSEPORT` socket, and the kernel spreads new
//! connections by a hash of their addresses: 64 connections from one client machine were
//! split 39/25 or 27/37 between two workers in our measurements. Every request of a connection
//! is served by the worker that holds it, so the busier worker's viewers wait longer. Like
//! Envoy's `exact_balance`, a worker that accepts a connection while it holds more than the
//! least loaded worker hands it over (the socket moves to that worker's runtime); the counts
//! are of connections open now, so they follow closes as well as opens. With one worker this
//! does nothing. At shutdown a connection still in a stopping worker's hand-over queue is
//! closed unanswered, as one still in the kernel's accept queue would be.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc;

/// A connection handed from one worker to another, already counted on the receiver (counted
/// when the choice is made, so that a burst of accepts sees the hand-overs still in flight).
pub(crate) type Handoff = (std::net::TcpStream, SocketAddr, OpenOn);

/// The workers of one listener group (the plain listener, or the TLS one).
#[derive(Debug)]
pub(crate) struct Balancer {
    workers: Vec<Worker>,
}

#[derive(Debug)]
struct Worker {
    open: AtomicU64,
    handoff: mpsc::UnboundedSender<Handoff>,
}

/// One worker's part: its index, and the receiving end of connections handed to it.
#[derive(Debug)]
pub(crate) struct Seat {
    pub(crate) balancer: Arc<Balancer>,
    pub(crate) index: usize,
    pub(crate) handed: mpsc::UnboundedReceiver<Handoff>,
}

impl Balancer {
    /// A balancer for `n` workers and the seat of each.
    pub(crate) fn seats(n: usize) -> Vec<Seat> {
        let (workers, receivers): (Vec<Worker>, Vec<_>) = (0..n)
            .map(|_| {
                let (tx, rx) = mpsc::unbounded_channel();
                (
                    Worker {
                        open: AtomicU64::new(0),
                        handoff: tx,
                    },
                    rx,
                )
            })
            .unzip();
        let balancer = Arc::new(Balancer { workers });
        receivers
            .into_iter()
            .enumerate()
            .map(|(index, handed)| Seat {
                balancer: balancer.clone(),
                index,
                handed,
            })
            .collect()
    }

    /// The worker that should serve a connection `me` just accepted: `me` unless another
    /// holds at least two fewer open connections (one fewer would only swap the imbalance).
    pub(crate) fn pick(&self, me: usize) -> usize {
        let mine = self.open(me);
        let (least, count) = self
            .workers
            .iter()
            .enumerate()
            .map(|(i, w)| (i, w.open.load(Ordering::Relaxed)))
            .min_by_key(|&(_, n)| n)
            .unwrap_or((me, mine));
        if count + 2 <= mine {
            least
        } else {
            me
        }
    }

    fn open(&self, worker: usize) -> u64 {
        self.workers
            .get(worker)
            .map_or(0, |w| w.open.load(Ordering::Relaxed))
    }

    /// Hands `conn` (counted on `worker`) to `worker`; gives it back if that worker is gone
    /// (shutting down).
    pub(crate) fn hand(&self, worker: usize, conn: Handoff) -> Result<(), Handoff> {
        match self.workers.get(worker) {
            Some(w) => w.handoff.send(conn).map_err(|e| e.0),
            None => Err(conn),
        }
    }

    /// Counts a connection open on `worker` until the guard is dropped.
    pub(crate) fn opened(self: &Arc<Self>, worker: usize) -> OpenOn {
        if let Some(w) = self.workers.get(worker) {
            w.open.fetch_add(1, Ordering::Relaxed);
        }
        OpenOn {
            balancer: self.clone(),
            worker,
        }
    }
}

/// A connection counted open on its worker.
#[derive(Debug)]
pub(crate) struct OpenOn {
    balancer: Arc<Balancer>,
    worker: usize,
}

impl Drop for OpenOn {
    fn drop(&mut self) {
        if let Some(w) = self.balancer.workers.get(self.worker) {
            w.open.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_keeps_connections_until_another_has_two_fewer() {
        let seats = Balancer::seats(3);
        let b = seats[0].balancer.clone();
        assert_eq!(b.pick(0), 0, "all empty");
        let a1 = b.opened(0);
        assert_eq!(b.pick(0), 0, "1 against 0: moving would only swap");
        let _a2 = b.opened(0);
        let picked = b.pick(0);
        assert!(picked == 1 || picked == 2, "2 against 0 moves");
        let _b1 = b.opened(1);
        let _c1 = b.opened(2);
        assert_eq!(b.pick(0), 0, "2 against 1");
        drop(a1);
        assert_eq!(b.open(0), 1, "closes are counted");
        assert_eq!(b.pick(1), 1);
    }

    #[test]
    fn a_connection_handed_over_arrives_and_a_gone_worker_gives_it_back() {
        let mut seats = Balancer::seats(2);
        let b = seats[0].balancer.clone();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let _client = std::net::TcpStream::connect(addr).expect("connect");
        let (stream, peer) = listener.accept().expect("accept");
        assert!(b.hand(1, (stream, peer, b.opened(1))).is_ok());
        let (_, got, counted) = seats[1].handed.try_recv().expect("handed over");
        assert_eq!(got, peer);
        assert_eq!(b.open(1), 1, "counted on the receiver");
        drop(counted);
        let gone = seats.pop().expect("seat 1");
        drop(gone);
        let _client2 = std::net::TcpStream::connect(addr).expect("connect");
        let (stream, peer) = listener.accept().expect("accept");
        let conn = b
            .hand(1, (stream, peer, b.opened(1)))
            .expect_err("worker 1 is gone");
        assert!(b.hand(7, conn).is_err(), "no worker 7");
    }
}
