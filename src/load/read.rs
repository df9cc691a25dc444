//! LOAD: read one file's bytes, within bounds, without ever blocking.
//!
//! A path found during discovery may be gone, replaced, unreadable, a FIFO (opening one
//! blocks until a writer appears), or far bigger than any template. Each case is a diagnostic
//! for that file; the scan goes on with the others. This module only reads bytes.

use std::io::Read;
use std::path::Path;

use crate::diagnostic::{InputProblem, ProblemCode, Severity};

/// Files larger than this are not read. A big export is read item by item, a bounded batch
/// at a time, and costs under three times its size at peak (see README, Performance): a
/// Resource Graph or `az vm list` export of 100k VMs is 400-500 MB in one file, so the bound
/// is generous, but a bound (and under 4 GiB, so offsets in the text fit in 32 bits).
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// Documents longer than this are not parsed as one tree: a template (Azure limits one to
/// 4 MB) is held as a whole tree, several times its size, while it is expanded, and so is
/// any document that is not an export read item by item. The same bound applies to one item
/// of a big export.
pub const MAX_TREE_BYTES: usize = 256 * 1024 * 1024;

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
