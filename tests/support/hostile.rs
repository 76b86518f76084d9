//! Hostile inputs made in the test: workbooks built zip member by zip member
//! (a lying dimension, a zip bomb, a million rows), and the real binary run
//! with its peak memory read from the kernel.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// A minimal XLSX workbook with one sheet whose XML is `sheet` (inline
/// strings, no shared strings), plus any extra members.
pub fn workbook(sheet: &[u8], extra: &[(&str, &[u8])]) -> Vec<u8> {
    workbook_streamed(|w| w.write_all(sheet).expect("zip write"), extra)
}

/// A workbook whose sheet XML is written by `write_sheet` straight into the
/// zip, so a huge sheet never sits in the test's memory (which the child's
/// peak memory, as the kernel counts it, would include).
pub fn workbook_streamed(write_sheet: impl FnOnce(&mut dyn Write), extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let members: [(&str, &[u8]); 4] = [
        (
            "[Content_Types].xml",
            br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
        ),
        (
            "_rels/.rels",
            br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        (
            "xl/workbook.xml",
            br#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="So lieu" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        ),
        (
            "xl/_rels/workbook.xml.rels",
            br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
        ),
    ];
    for (name, body) in members.iter().chain(extra.iter()) {
        zip.start_file(*name, options).expect("zip member");
        zip.write_all(body).expect("zip write");
    }
    zip.start_file("xl/worksheets/sheet1.xml", options).expect("zip member");
    write_sheet(&mut zip);
    zip.finish().expect("zip finish").into_inner()
}

/// A sheet's XML: the optional `<dimension ref>`, then `rows` of
/// `(label, value)`, one row each from row 1.
pub fn sheet(dimension: Option<&str>, rows: &[(&str, i64)]) -> Vec<u8> {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#,
    );
    if let Some(d) = dimension {
        xml.push_str(&format!(r#"<dimension ref="{d}"/>"#));
    }
    xml.push_str("<sheetData>");
    for (i, (label, value)) in rows.iter().enumerate() {
        let r = i + 1;
        xml.push_str(&format!(
            r#"<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{label}</t></is></c><c r="B{r}"><v>{value}</v></c></row>"#
        ));
    }
    xml.push_str("</sheetData></worksheet>");
    xml.into_bytes()
}

/// A workbook of `rows` rows of one number each (positions left implicit).
pub fn long_workbook(rows: usize) -> Vec<u8> {
    workbook_streamed(
        |w| {
            let head = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#;
            w.write_all(head.as_bytes()).expect("zip write");
            let block = "<row><c><v>1</v></c></row>".repeat(1000);
            for _ in 0..rows / 1000 {
                w.write_all(block.as_bytes()).expect("zip write");
            }
            w.write_all(b"</sheetData></worksheet>").expect("zip write");
        },
        &[],
    )
}

/// A workbook whose one sheet is padded with `padding_mb` megabytes of
/// spaces: a zip bomb of a few dozen kilobytes.
pub fn bomb(padding_mb: usize) -> Vec<u8> {
    let xml = sheet(None, &[("cases_accepted", 10)]);
    let at = xml.len() - "</worksheet>".len();
    workbook_streamed(
        |w| {
            w.write_all(&xml[..at]).expect("zip write");
            let chunk = vec![b' '; 1024 * 1024];
            for _ in 0..padding_mb {
                w.write_all(&chunk).expect("zip write");
            }
            w.write_all(&xml[at..]).expect("zip write");
        },
        &[],
    )
}

/// Runs giaoban with `config` and `args`, reaps it with `wait4` and returns
/// its output and its peak resident memory in bytes (`ru_maxrss`). The
/// kernel counts the test process's own peak in it too (the child is
/// spawned from its memory), so the figure is an upper bound: keep big
/// inputs out of the test's memory (see [`workbook_streamed`]).
pub fn run_measured(config: &Path, args: &[&str], env: &[(&str, &str)]) -> (Output, u64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (out_path, err_path) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let child = Command::new(env!("CARGO_BIN_EXE_giaoban"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("STATE_DIRECTORY")
        .env_remove("GIAOBAN_CONFIG")
        .env_remove("CREDENTIALS_DIRECTORY")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .expect("start giaoban");
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: a zeroed rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child, not yet waited for; both pointers are
    // valid for the call.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4 on giaoban");
    std::mem::forget(child);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    let output = Output {
        status: std::os::unix::process::ExitStatusExt::from_raw(code << 8),
        stdout: std::fs::read(&out_path).expect("stdout"),
        stderr: std::fs::read(&err_path).expect("stderr"),
    };
    // Linux gives ru_maxrss in kilobytes.
    (output, usage.ru_maxrss as u64 * 1024)
}
