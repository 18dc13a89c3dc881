//! Reading an import's input on a second thread.
//!
//! Parsing and validating a CSV row costs about as much as everything a store then does with it on
//! this side of the connection (1M supply events: roughly half of the client's CPU time). Both
//! engines consume rows one at a time through a [`RowSource`], so [`Threaded`] runs any source on
//! a scoped thread and hands its rows over in batches: the store's work (staging, hashing, its
//! own SQLite B-trees) overlaps with the parsing of the next rows. It changes nothing about what
//! the store sees: the same rows, in the same order, and the same answer to `commit_allowed` once
//! the input is exhausted.
//!
//! Memory stays bounded: at most [`IN_FLIGHT`] batches of [`BATCH`] rows wait between the threads.

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::thread::{Scope, ScopedJoinHandle};

use msadesk_store::{Row, RowSource};

/// Rows per hand-over: large enough that the channel costs nothing per row.
const BATCH: usize = 1024;

/// Batches that may wait for the store; the reader blocks beyond that.
const IN_FLIGHT: usize = 4;

/// A [`RowSource`] whose rows are read by `source` on a thread of `scope`.
pub struct Threaded<'scope, T> {
    rows: Option<Receiver<VecDeque<Row<T>>>>,
    batch: VecDeque<Row<T>>,
    /// Emptied batches go back to the reader, which fills them again: allocating a fresh batch
    /// each time (and freeing it on the other thread) cost more than the hand-over itself.
    spare: Sender<VecDeque<Row<T>>>,
    /// The reader's `commit_allowed`, until it has been collected.
    reader: Option<ScopedJoinHandle<'scope, bool>>,
    commit_allowed: bool,
}

impl<'scope, T: Send + 'scope> Threaded<'scope, T> {
    pub fn spawn<'env, S>(scope: &'scope Scope<'scope, 'env>, source: &'scope mut S) -> Self
    where
        S: RowSource<T> + Send + ?Sized,
    {
        let (tx, rx) = sync_channel(IN_FLIGHT);
        let (spare, spares) = channel();
        let reader = scope.spawn(move || read(source, &tx, &spares));
        Threaded { rows: Some(rx), batch: VecDeque::new(), spare, reader: Some(reader), commit_allowed: false }
    }
}

/// The reader thread: sends the rows in batches, then answers whether the commit is allowed. When
/// the store stops early (an error), the receiving end is dropped and the reader stops too.
fn read<T, S: RowSource<T> + ?Sized>(
    source: &mut S,
    tx: &SyncSender<VecDeque<Row<T>>>,
    spares: &Receiver<VecDeque<Row<T>>>,
) -> bool {
    let mut batch = VecDeque::with_capacity(BATCH);
    while let Some(row) = source.next_row() {
        batch.push_back(row);
        if batch.len() == BATCH {
            let next = spares.try_recv().unwrap_or_else(|_| VecDeque::with_capacity(BATCH));
            if tx.send(std::mem::replace(&mut batch, next)).is_err() {
                return false;
            }
        }
    }
    if !batch.is_empty() && tx.send(batch).is_err() {
        return false;
    }
    source.commit_allowed()
}

impl<T> RowSource<T> for Threaded<'_, T> {
    fn next_row(&mut self) -> Option<Row<T>> {
        loop {
            if let Some(row) = self.batch.pop_front() {
                return Some(row);
            }
            match self.rows.as_ref()?.recv() {
                Ok(batch) => {
                    // The reader may have finished meanwhile: then the spare is simply dropped.
                    let _ = self.spare.send(std::mem::replace(&mut self.batch, batch));
                }
                Err(_) => {
                    // The reader has sent everything and returned (or panicked, which forbids the
                    // commit: its rows may be incomplete).
                    self.rows = None;
                    self.commit_allowed = self.reader.take().is_some_and(|h| h.join().unwrap_or(false));
                    return None;
                }
            }
        }
    }

    /// Meaningful once the input is exhausted, as the trait says; before that, `false`.
    fn commit_allowed(&self) -> bool {
        self.commit_allowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use msadesk_store::VecSource;

    #[test]
    fn hands_over_every_row_in_order_and_the_source_commit_answer() {
        for allow in [true, false] {
            let mut source = VecSource::new((0..5000u32).collect());
            source.allow_commit = allow;
            let (lines, values, allowed) = std::thread::scope(|s| {
                let mut t = Threaded::spawn(s, &mut source);
                assert!(!t.commit_allowed(), "no answer before the input is exhausted");
                let (mut lines, mut values) = (Vec::new(), Vec::new());
                while let Some(r) = t.next_row() {
                    lines.push(r.line);
                    values.push(r.record);
                }
                assert!(t.next_row().is_none(), "stays exhausted");
                (lines, values, t.commit_allowed())
            });
            assert_eq!(values, (0..5000).collect::<Vec<_>>());
            assert_eq!(lines, (2..5002).collect::<Vec<_>>());
            assert_eq!(allowed, allow);
        }
    }

    #[test]
    fn a_consumer_that_stops_early_does_not_hang_the_reader() {
        let mut source = VecSource::new((0..100_000u32).collect());
        let first = std::thread::scope(|s| {
            let mut t = Threaded::spawn(s, &mut source);
            t.next_row().map(|r| r.record)
            // `t` is dropped here with most rows unread; the scope then joins the reader.
        });
        assert_eq!(first, Some(0));
    }
}
