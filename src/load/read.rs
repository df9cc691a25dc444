//! LOAD: read one file's bytes, within bounds, without ever blocking.
//!
//! A path found during discovery may be gone, replaced, unreadable, a FIFO (opening one
//! blocks until a writer appears), or far bigger than any template. Each case is a diagnostic
//! for that file; the scan goes on with the others. This module only reads bytes.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::Path;

use super::confine::Roots;

use crate::diagnostic::{InputProblem, ProblemCode, Severity};

/// Files larger than this are not read. A big export is read item by item, a bounded batch
/// at a time, and costs under three times its size at peak (see docs/performance.md): a
/// Resource Graph or `az vm list` export of 100k VMs is 400-500 MB in one file, so the bound
/// is generous, but a bound (and under 4 GiB, so offsets in the text fit in 32 bits).
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// Documents longer than this are not parsed as one tree: a template (Azure limits one to
/// 4 MB) is held as a whole tree, several times its size, while it is expanded, and so is
/// any document that is not an export read item by item. The same bound applies to one item
/// of a big export.
pub const MAX_TREE_BYTES: usize = 256 * 1024 * 1024;

/// Reads a regular file the user named on the command line (the config, `--parameters`) of
/// at most [`MAX_FILE_BYTES`]; `display` names it in problems. Never blocks (see
/// `open_regular`).
pub fn read_bounded(path: &Path, display: &str) -> Result<Vec<u8>, Box<InputProblem>> {
    read_checked(path, display, None)
}

/// Reads an input found under the scan roots, like [`read_bounded`], and refuses it when the
/// file actually opened lies outside `roots` (a link swapped after the walk judged it).
pub fn read_confined(
    path: &Path,
    display: &str,
    roots: &Roots,
) -> Result<Vec<u8>, Box<InputProblem>> {
    read_checked(path, display, Some(roots))
}

fn read_checked(
    path: &Path,
    display: &str,
    roots: Option<&Roots>,
) -> Result<Vec<u8>, Box<InputProblem>> {
    let file = open_regular(path, display)?;
    if let Some(roots) = roots {
        if !opened_inside(&file, path, roots) {
            return Err(Box::new(outside_roots(display)));
        }
    }
    let len = file
        .metadata()
        .map_err(|err| unreadable(display, &err))?
        .len();
    if len > MAX_FILE_BYTES {
        return Err(too_big(display, len));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    // The file may grow between the size check and the read: never take more than the bound.
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| unreadable(display, &err))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big(display, bytes.len() as u64));
    }
    Ok(bytes)
}

/// Opens a regular file without ever blocking. The type is checked before opening (a device
/// is never opened) and again on the open handle: a path swapped for a FIFO in between would
/// otherwise block `open` until a writer appears, so the file is opened with `O_NONBLOCK`
/// (no effect on reading a regular file) and `O_NOCTTY`.
pub(crate) fn open_regular(path: &Path, display: &str) -> Result<File, Box<InputProblem>> {
    let meta = std::fs::metadata(path).map_err(|err| unreadable(display, &err))?;
    if !meta.is_file() {
        return Err(Box::new(not_regular(display, &meta)));
    }
    open_checked(path, display)
}

/// Opens `path` without blocking and checks, on the handle, that it is a regular file.
fn open_checked(path: &Path, display: &str) -> Result<File, Box<InputProblem>> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options
        .open(path)
        .map_err(|err| unreadable(display, &err))?;
    let meta = file.metadata().map_err(|err| unreadable(display, &err))?;
    if !meta.is_file() {
        return Err(Box::new(not_regular(display, &meta)));
    }
    Ok(file)
}

/// Whether the file behind `file` lies inside `roots`: judged on the handle itself where the
/// system says what it is (Linux's `/proc/self/fd`), else on the path.
fn opened_inside(file: &File, path: &Path, roots: &Roots) -> bool {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        if let Ok(real) = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())) {
            return roots.holds(&real);
        }
    }
    let _ = file;
    roots.admit(path).is_some()
}

/// The problem of a file that resolves outside the scan roots. It does not say where the
/// link leads, nor whether its target exists.
pub(crate) fn outside_roots(display: &str) -> InputProblem {
    InputProblem::whole_file(
        ProblemCode::OutsideRoots,
        Severity::Error,
        display,
        format!("{display} resolves to a file outside the scanned paths; it was not read"),
        "jitscan reads only inside the paths given to it: scan the folder that holds the file itself",
    )
}

fn not_regular(display: &str, meta: &std::fs::Metadata) -> InputProblem {
    InputProblem::whole_file(
        ProblemCode::Unreadable,
        Severity::Error,
        display,
        format!(
            "{display} is {}, not a regular file; it was not read",
            file_type(meta)
        ),
        "scan regular files only (use `-` to read standard input); remove special files from the scanned folder",
    )
}

/// Reads standard input (`-`), within the same bound as a file.
pub(crate) fn read_stdin(display: &str) -> Result<Vec<u8>, Box<InputProblem>> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| unreadable(display, &err))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big(display, bytes.len() as u64));
    }
    Ok(bytes)
}

fn too_big(display: &str, len: u64) -> Box<InputProblem> {
    Box::new(InputProblem::whole_file(
        ProblemCode::TooLarge,
        Severity::Error,
        display,
        format!("{display} is {len} bytes; jitscan reads files of at most {MAX_FILE_BYTES} bytes"),
        "split the export into several files",
    ))
}

/// A document of `len` bytes that would be parsed as one tree: refused over
/// [`MAX_TREE_BYTES`] (exports listing their items are read item by item instead).
pub(crate) fn tree_too_big(display: &str, len: usize) -> Option<Box<InputProblem>> {
    (len > MAX_TREE_BYTES).then(|| {
        Box::new(InputProblem::whole_file(
            ProblemCode::TooLarge,
            Severity::Error,
            display,
            format!(
                "{display} is {len} bytes; a template, or any document that is not an export \
                 listing its items, is parsed whole and may be at most {MAX_TREE_BYTES} bytes"
            ),
            "split it into several files (exports of up to 2 GiB that list their resources in \
             `value`, `data` or a top-level array are read item by item)",
        ))
    })
}

fn unreadable(display: &str, err: &std::io::Error) -> Box<InputProblem> {
    Box::new(InputProblem::whole_file(
        ProblemCode::Unreadable,
        Severity::Error,
        display,
        format!("cannot read {display}: {err}"),
        "check that the file exists and is readable (it may have been removed during the scan)",
    ))
}

/// What a file that is not a regular file is, for messages.
pub(crate) fn file_type(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    if meta.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The open itself never blocks on a FIFO (as it would without `O_NONBLOCK`, waiting for
    /// a writer): what a path swapped after the type check would meet.
    #[cfg(unix)]
    #[test]
    fn opening_a_fifo_does_not_block() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.json");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(open_checked(&fifo, "pipe.json").map(|_| ()));
        });
        let opened = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("opening a FIFO blocked");
        let problem = opened.expect_err("a FIFO is no input");
        assert!(problem.message.contains("FIFO"), "{}", problem.message);
    }
}
