//! An append-only file of records with group commit, for data written on the hot path (the
//! delivery ledger) where sled's per-flush hand-off to its I/O threads costs more than the work.
//!
//! Each record is framed as `length (u32 LE) | crc32 of the payload (u32 LE) | payload`. One
//! writer thread owns the file: callers send records over a channel; the thread writes
//! everything queued in one `write`, makes it durable with one `fdatasync`, then answers each
//! caller. So a burst of N appends costs one write and one sync, and the only thread hand-off
//! per caller is the channel and the answer. Records nobody waits for
//! ([`AppendLog::append_unawaited`]) are written as they come and synced with the next batch that
//! somebody waits for, or within [`SYNC_UNAWAITED_WITHIN`]. When records arrive faster than
//! batches (one is already queued as a batch ends, or the last batch answered several callers),
//! the writer waits [`GATHER_WINDOW`] before the next, so that more share it.
//!
//! A crash mid-write leaves a torn or garbled last record: [`AppendLog::recover`] reads up to
//! the first record whose frame or checksum does not hold and cuts the file there. The owner
//! then rewrites the file with only the records still live ([`Recovered::start`],
//! [`AppendLog::rewrite`]): a new file, synced, renamed over the old one, the folder synced.
//!
//! One process at a time: the file has no lock of its own. It lives in the sled folder, which
//! sled locks, and it is opened only after the store; dropping the last handle waits for the
//! writer thread to finish what is queued, so an in-process restart opens a quiet file.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Instant;

use tokio::sync::oneshot;

use super::StoreError;

/// The largest record read back; a longer frame is taken for garbage (a torn length).
const MAX_RECORD: usize = 16 * 1024 * 1024;
/// How much one batch writes at most before it syncs and answers, so the first callers of a
/// long burst are not held back by the last.
const MAX_BATCH_BYTES: usize = 4 * 1024 * 1024;
/// How long records nobody waits for may stay unsynced.
const SYNC_UNAWAITED_WITHIN: std::time::Duration = std::time::Duration::from_millis(200);
/// How long the writer waits for more records before a batch, when they arrive faster than
/// batches: a sync is shared by the records of about a millisecond (several, under a load of
/// thousands of messages a second), and an acknowledgement waits at most that much longer.
const GATHER_WINDOW: std::time::Duration = std::time::Duration::from_micros(1000);
/// The frame's header: length and checksum.
const HEADER: usize = 8;

/// The file as found at start, torn tail cut, before the writer runs.
pub struct Recovered {
    path: PathBuf,
    records: Vec<Vec<u8>>,
    /// Bytes cut off the end: a record torn or garbled by a crash mid-write.
    pub cut: u64,
}

impl Recovered {
    /// The payloads of the intact records, oldest first.
    pub fn records(&self) -> &[Vec<u8>] {
        &self.records
    }

    /// Rewrites the file with `live` records only (compaction) and starts the writer thread.
    pub fn start(self, live: Vec<Vec<u8>>) -> Result<AppendLog, StoreError> {
        let (file, length) = rewrite(&self.path, &live).map_err(|error| io(&self.path, error))?;
        let (commands, received) = mpsc::channel();
        #[cfg(test)]
        let failing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        #[cfg(test)]
        let syncs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let writer = Writer {
            path: self.path,
            file,
            length,
            unsynced_since: None,
            last_waiters: 0,
            #[cfg(test)]
            failing: std::sync::Arc::clone(&failing),
            #[cfg(test)]
            syncs: std::sync::Arc::clone(&syncs),
        };
        let thread = std::thread::Builder::new()
            .name("doorman-log".into())
            .spawn(move || writer.run(received))
            .map_err(|error| StoreError::Io(format!("cannot start the log writer: {error}")))?;
        Ok(AppendLog {
            commands: Some(commands),
            thread: Some(thread),
            #[cfg(test)]
            failing,
            #[cfg(test)]
            syncs,
        })
    }
}

/// The running log: appends go to its writer thread.
pub struct AppendLog {
    commands: Option<mpsc::Sender<Command>>,
    thread: Option<JoinHandle<()>>,
    /// Test switch: while set, every batch and every sync fails as a full or failing disk would.
    #[cfg(test)]
    failing: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Test counter: the `fdatasync` calls made so far.
    #[cfg(test)]
    syncs: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

/// What the writer thread is asked to do.
enum Command {
    /// Append `record`; answer `done` (when given) once it is synced.
    Append {
        record: Vec<u8>,
        done: Option<oneshot::Sender<Result<(), String>>>,
    },
    /// Answer once everything sent before is synced.
    Sync(oneshot::Sender<Result<(), String>>),
    /// Replace the file by `records` (compaction).
    Rewrite {
        records: Vec<Vec<u8>>,
        done: oneshot::Sender<Result<(), String>>,
    },
}

/// The answer to an append or a rewrite, once the writer has synced it.
pub struct Written(Option<oneshot::Receiver<Result<(), String>>>);

impl Written {
    /// Waits until the record is on disk.
    pub async fn durable(self) -> Result<(), StoreError> {
        let Some(answer) = self.0 else {
            return Err(stopped());
        };
        match answer.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) => Err(StoreError::Io(reason)),
            Err(_) => Err(stopped()),
        }
    }
}

impl AppendLog {
    /// Reads the file at `path` (created when absent) up to its first torn or garbled record
    /// and cuts it there.
    pub fn recover(path: &Path) -> Result<Recovered, StoreError> {
        let mut file = open_private(path).map_err(|error| io(path, error))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|error| io(path, error))?;
        let (records, intact) = parse(&bytes);
        let cut = (bytes.len() - intact) as u64;
        if cut > 0 {
            file.set_len(intact as u64)
                .and_then(|()| file.sync_all())
                .map_err(|error| io(path, error))?;
        }
        Ok(Recovered {
            path: path.to_owned(),
            records,
            cut,
        })
    }

    /// Queues `record`; the answer says when it is on disk. Records are written in the order
    /// they were queued.
    pub fn append(&self, record: Vec<u8>) -> Written {
        let (done, answer) = oneshot::channel();
        let sent = self.send(Command::Append {
            record,
            done: Some(done),
        });
        Written(sent.then_some(answer))
    }

    /// Queues `record` without waiting for it: it joins the next batch's sync. Fails only when
    /// the writer has stopped.
    pub fn append_unawaited(&self, record: Vec<u8>) -> Result<(), StoreError> {
        if self.send(Command::Append { record, done: None }) {
            Ok(())
        } else {
            Err(stopped())
        }
    }

    /// Answers once everything queued before is on disk.
    pub fn sync(&self) -> Written {
        let (done, answer) = oneshot::channel();
        Written(self.send(Command::Sync(done)).then_some(answer))
    }

    /// Replaces the file's content by `records`, after everything queued before: the caller
    /// must queue this at the moment `records` describe (under the lock that orders its
    /// appends).
    pub fn rewrite(&self, records: Vec<Vec<u8>>) -> Written {
        let (done, answer) = oneshot::channel();
        Written(
            self.send(Command::Rewrite { records, done })
                .then_some(answer),
        )
    }

    /// How many times the file was synced so far.
    #[cfg(test)]
    pub(crate) fn syncs(&self) -> usize {
        self.syncs.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Makes every batch fail from now on (`true`), as a full disk would, or work again.
    #[cfg(test)]
    pub(crate) fn fail_writes(&self, failing: bool) {
        self.failing
            .store(failing, std::sync::atomic::Ordering::SeqCst);
    }

    fn send(&self, command: Command) -> bool {
        self.commands
            .as_ref()
            .is_some_and(|commands| commands.send(command).is_ok())
    }
}

impl Drop for AppendLog {
    /// Lets the writer finish what is queued, so the file is quiet once the log is gone.
    fn drop(&mut self) {
        drop(self.commands.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the log writer thread panicked");
        }
    }
}

/// The writer thread's state: the file and how long it is.
struct Writer {
    path: PathBuf,
    file: File,
    /// The file's length after the last batch that was written: a failed batch is cut back to
    /// it, so a record that was refused never comes back at the next start.
    length: u64,
    /// Since when records nobody waited for have been written but not synced (or since their
    /// last sync failed): they are synced once SYNC_UNAWAITED_WITHIN has passed since.
    unsynced_since: Option<Instant>,
    /// How many callers the last batch that anyone waited for answered.
    last_waiters: usize,
    #[cfg(test)]
    failing: std::sync::Arc<std::sync::atomic::AtomicBool>,
    #[cfg(test)]
    syncs: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

/// Callers waiting for the batch being gathered.
type Waiters = Vec<oneshot::Sender<Result<(), String>>>;

/// What the writer finds when it looks for work ([`Writer::next_command`]).
enum Next {
    /// A command that was queued already: callers are arriving faster than batches.
    Queued(Command),
    /// A command the writer waited for.
    Arrived(Command),
    /// Nothing came before records nobody waits for were due their sync.
    SyncDue,
    /// Every sender is gone.
    Closed,
}

impl Writer {
    fn run(mut self, commands: mpsc::Receiver<Command>) {
        let mut batch = Vec::new();
        let mut waiters: Waiters = Vec::new();
        loop {
            // Records nobody waits for are synced within SYNC_UNAWAITED_WITHIN even while a
            // stream of them keeps the writer from ever waiting.
            if self
                .unsynced_since
                .is_some_and(|since| since.elapsed() >= SYNC_UNAWAITED_WITHIN)
            {
                self.sync_unawaited();
            }
            // A command already queued when the last batch ends means callers are arriving
            // faster than batches: let the ones landing meanwhile share the next sync. Under
            // load a sync (and a wake-up of this thread) per record was the writer's main cost;
            // a caller who finds the writer waiting after a batch that served one is not held
            // back.
            let (first, arriving) = match self.next_command(&commands) {
                Next::Queued(command) => (command, true),
                Next::Arrived(command) => (command, false),
                // The check above syncs them.
                Next::SyncDue => continue,
                Next::Closed => break,
            };
            if arriving || self.last_waiters > 1 {
                std::thread::sleep(GATHER_WINDOW);
            }
            let mut next = Some(first);
            while let Some(command) = next.take() {
                match command {
                    Command::Append { record, done } => {
                        frame(&mut batch, &record);
                        waiters.extend(done);
                    }
                    Command::Sync(done) => waiters.push(done),
                    Command::Rewrite { records, done } => {
                        self.commit(&mut batch, &mut waiters);
                        let outcome = self.rewrite(&records);
                        let _ = done.send(outcome);
                    }
                }
                if batch.len() >= MAX_BATCH_BYTES {
                    self.commit(&mut batch, &mut waiters);
                }
                next = commands.try_recv().ok();
            }
            self.commit(&mut batch, &mut waiters);
        }
        self.sync_unawaited();
    }

    /// The next command: one already queued, or else the next to arrive, waiting no longer
    /// than until records nobody waits for are due their sync (they are synced with the next
    /// batch somebody waits for, or SYNC_UNAWAITED_WITHIN after the first of them, whichever
    /// is first).
    fn next_command(&self, commands: &mpsc::Receiver<Command>) -> Next {
        match commands.try_recv() {
            Ok(command) => return Next::Queued(command),
            Err(mpsc::TryRecvError::Disconnected) => return Next::Closed,
            Err(mpsc::TryRecvError::Empty) => {}
        }
        let Some(since) = self.unsynced_since else {
            return commands.recv().map_or(Next::Closed, Next::Arrived);
        };
        match commands.recv_timeout(SYNC_UNAWAITED_WITHIN.saturating_sub(since.elapsed())) {
            Ok(command) => Next::Arrived(command),
            Err(mpsc::RecvTimeoutError::Timeout) => Next::SyncDue,
            Err(mpsc::RecvTimeoutError::Disconnected) => Next::Closed,
        }
    }

    /// Writes `batch` with one write, then, when anyone waits for it, syncs (which covers the
    /// unawaited records written before) and answers every waiter. A batch of records nobody
    /// waits for (the ledger's done marks) is not synced on its own: under load, a sync for
    /// each such batch cost as much as one for the acknowledgements.
    fn commit(&mut self, batch: &mut Vec<u8>, waiters: &mut Waiters) {
        if batch.is_empty() && waiters.is_empty() {
            return;
        }
        let sync = !waiters.is_empty();
        if sync {
            self.last_waiters = waiters.len();
        }
        let outcome = self.write(batch, sync);
        batch.clear();
        for waiter in waiters.drain(..) {
            let _ = waiter.send(outcome.clone());
        }
    }

    /// Syncs the unawaited records written since the last sync.
    fn sync_unawaited(&mut self) {
        if self.unsynced_since.is_none() {
            return;
        }
        match self.sync_data() {
            Ok(()) => self.unsynced_since = None,
            // They were awaited by nobody: a crash now means the next start hands on once more
            // what they marked done. The next synced batch tries again, or this, once the
            // bound has passed again (not at once: a failing disk must not spin the writer).
            Err(error) => {
                tracing::error!(error = %io(&self.path, error), "cannot sync the log");
                self.unsynced_since = Some(Instant::now());
            }
        }
    }

    fn write(&mut self, batch: &[u8], sync: bool) -> Result<(), String> {
        if batch.is_empty() && !(sync && self.unsynced_since.is_some()) {
            return Ok(());
        }
        match self.write_out(batch, sync) {
            Ok(()) => {
                self.length += batch.len() as u64;
                if sync {
                    self.unsynced_since = None;
                } else {
                    self.unsynced_since.get_or_insert_with(Instant::now);
                }
                Ok(())
            }
            Err(error) => {
                // Cut what may have reached the file, so the refused records stay refused, and
                // write on from that end (a file written since a rewrite is not in append mode:
                // without the seek, the next batch would land past a gap of zeros).
                let cut = self
                    .file
                    .set_len(self.length)
                    .and_then(|()| self.file.seek(SeekFrom::Start(self.length)));
                if let Err(undo) = cut {
                    tracing::error!(error = %undo, "cannot cut a failed write from the log");
                }
                Err(io(&self.path, error).to_string())
            }
        }
    }

    fn write_out(&mut self, batch: &[u8], sync: bool) -> std::io::Result<()> {
        #[cfg(test)]
        if self.failing.load(std::sync::atomic::Ordering::SeqCst) {
            // As a full disk does: part of the batch reaches the file, then the write fails.
            self.file.write_all(&batch[..batch.len() / 2])?;
            return Err(std::io::Error::other("disk full"));
        }
        self.file.write_all(batch)?;
        if sync {
            self.sync_data()?;
        }
        Ok(())
    }

    fn sync_data(&self) -> std::io::Result<()> {
        #[cfg(test)]
        {
            self.syncs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if self.failing.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(std::io::Error::other("disk failing"));
            }
        }
        self.file.sync_data()
    }

    fn rewrite(&mut self, records: &[Vec<u8>]) -> Result<(), String> {
        let (file, length) =
            rewrite(&self.path, records).map_err(|error| io(&self.path, error).to_string())?;
        self.file = file;
        self.length = length;
        self.unsynced_since = None;
        Ok(())
    }
}

/// Writes `records` to a new file beside `path`, syncs it, renames it over `path` and syncs the
/// folder; returns the new file, positioned at its end for appending, and its length.
fn rewrite(path: &Path, records: &[Vec<u8>]) -> std::io::Result<(File, u64)> {
    let fresh = path.with_extension("new");
    let mut bytes = Vec::new();
    for record in records {
        frame(&mut bytes, record);
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode_private()
        .open(&fresh)?;
    let written = file
        .write_all(&bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&fresh, path));
    if let Err(error) = written {
        let _ = std::fs::remove_file(&fresh);
        return Err(error);
    }
    // The rename is done: the new file is the log from here on, whatever the folder's sync
    // says (a failure there is reported, not undone).
    if let Some(folder) = path.parent()
        && let Err(error) = File::open(folder).and_then(|folder| folder.sync_all())
    {
        tracing::error!(%error, "cannot sync the folder after rewriting the log");
    }
    Ok((file, bytes.len() as u64))
}

/// Appends `record`, framed, to `out`.
fn frame(out: &mut Vec<u8>, record: &[u8]) {
    // A record longer than u32 cannot be framed; the ledger's records are a few kB.
    let length = u32::try_from(record.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&length.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(record).to_le_bytes());
    out.extend_from_slice(record);
}

/// The intact records at the start of `bytes`, and where they end.
fn parse(bytes: &[u8]) -> (Vec<Vec<u8>>, usize) {
    let mut records = Vec::new();
    let mut at = 0;
    while let Some(header) = bytes.get(at..at + HEADER) {
        let length = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let checksum = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        // No record is empty: eight zero bytes (whose checksum would match) are a gap, not one.
        if length == 0 || length > MAX_RECORD {
            break;
        }
        let Some(payload) = bytes.get(at + HEADER..at + HEADER + length) else {
            break;
        };
        if crc32fast::hash(payload) != checksum {
            break;
        }
        records.push(payload.to_vec());
        at += HEADER + length;
    }
    (records, at)
}

/// Opens (or creates) `path` for reading and appending, readable by its owner only.
fn open_private(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .mode_private()
        .open(path)
}

/// `OpenOptions::mode(0o600)` where the platform has modes.
trait ModePrivate {
    fn mode_private(&mut self) -> &mut Self;
}

impl ModePrivate for OpenOptions {
    #[cfg(unix)]
    fn mode_private(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.mode(0o600)
    }

    #[cfg(not(unix))]
    fn mode_private(&mut self) -> &mut Self {
        self
    }
}

fn io(path: &Path, error: std::io::Error) -> StoreError {
    StoreError::Io(format!("{}: {error}", path.display()))
}

fn stopped() -> StoreError {
    StoreError::Io("the log writer has stopped".into())
}

#[cfg(test)]
mod tests;
