//! LOAD: read one file's bytes, within bounds, without ever blocking.
//!
//! A path found during discovery may be gone, replaced, unreadable, a FIFO (opening one
//! blocks until a writer appears), or far bigger than any template. Each case is a diagnostic
//! for that file; the scan goes on with the others. This module only reads bytes.

use std::io::Read;
use std::path::Path;

use crate::diagnostic::{InputProblem, ProblemCode, Severity};

/// Files larger than this are not read. Azure limits a template to 4 MB; exports of big
/// subscriptions are larger, so the bound is generous, but a bound: a template is held as a
/// whole tree (several times its size) while it is expanded; a big export is read item by
/// item and costs under three times its size at peak (see README, Performance).
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Reads a regular file of at most [`MAX_FILE_BYTES`]; `display` names it in problems.
pub fn read_bounded(path: &Path, display: &str) -> Result<Vec<u8>, Box<InputProblem>> {
    let meta = std::fs::metadata(path).map_err(|err| unreadable(display, &err))?;
    if !meta.is_file() {
        return Err(Box::new(InputProblem::whole_file(
            ProblemCode::Unreadable,
            Severity::Error,
            display,
            format!(
                "{display} is {}, not a regular file; it was not read",
                file_type(&meta)
            ),
            "scan regular files only; remove special files from the scanned folder",
        )));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_big(display, meta.len()));
    }
    let file = std::fs::File::open(path).map_err(|err| unreadable(display, &err))?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // The file may grow between the size check and the read: never take more than the bound.
    file.take(MAX_FILE_BYTES + 1)
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
