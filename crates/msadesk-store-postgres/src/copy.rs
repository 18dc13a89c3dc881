//! Writing rows in the text format of `COPY … FROM STDIN`.
//!
//! The text format separates columns with a tab and rows with a newline, writes NULL as `\N`, and
//! reads a backslash as the start of an escape. A value must therefore have its backslashes, tabs,
//! newlines and carriage returns escaped, or a name such as `Łódź \ back<TAB>slash` would shift the
//! columns, and a reference spelt `\N` would become NULL. Nothing else needs escaping: every other
//! byte, including the bytes of multi-byte UTF-8 characters, is taken literally.

/// Appends `value` to `buf`, escaped for a text-format COPY column.
pub(crate) fn push_text(buf: &mut Vec<u8>, value: &str) {
    let bytes = value.as_bytes();
    // Most values need no escaping: copy them in one go.
    if !bytes.iter().any(|b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r')) {
        buf.extend_from_slice(bytes);
        return;
    }
    for &b in bytes {
        // These are ASCII bytes, which never occur inside a multi-byte UTF-8 sequence, so working
        // byte by byte cannot split a character.
        match b {
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            _ => buf.push(b),
        }
    }
}

/// Appends an optional text: `None` is NULL.
pub(crate) fn push_opt_text(buf: &mut Vec<u8>, value: Option<&str>) {
    match value {
        Some(v) => push_text(buf, v),
        None => buf.extend_from_slice(b"\\N"),
    }
}

/// Appends a `bytea` value in hex form. The server reads `\x…` once the COPY layer has turned the
/// escaped `\\` back into one backslash.
pub(crate) fn push_bytea(buf: &mut Vec<u8>, value: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    buf.extend_from_slice(b"\\\\x");
    for b in value {
        buf.push(DIGITS[usize::from(b >> 4)]);
        buf.push(DIGITS[usize::from(b & 15)]);
    }
}

/// Appends a value whose text form never needs escaping (numbers, dates, fixed keywords).
pub(crate) fn push_plain(buf: &mut Vec<u8>, value: impl std::fmt::Display) {
    use std::io::Write;
    // Writing to a Vec cannot fail.
    let _ = write!(buf, "{value}");
}

/// Ends a column.
pub(crate) fn tab(buf: &mut Vec<u8>) {
    buf.push(b'\t');
}

/// Ends a row.
pub(crate) fn end_row(buf: &mut Vec<u8>) {
    buf.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &str) {
        let mut buf = Vec::new();
        push_text(&mut buf, input);
        assert_eq!(String::from_utf8(buf).expect("COPY text is UTF-8"), expected, "escaping {input:?}");
    }

    #[test]
    fn escapes_exactly_the_characters_copy_reads_specially() {
        check("", "");
        check("plain text", "plain text");
        check("back\\slash", "back\\\\slash");
        check("tab\there", "tab\\there");
        check("line\nbreak", "line\\nbreak");
        check("carriage\rreturn", "carriage\\rreturn");
        check("\r\n", "\\r\\n");
        check("\\N", "\\\\N");
        check("\\\\", "\\\\\\\\");
        check("Łódź \"Sp. z o.o.\", \\ back\tslash", "Łódź \"Sp. z o.o.\", \\\\ back\\tslash");
        check("DN,1;\"x\"\\N", "DN,1;\"x\"\\\\N");
        check("日本語\t✓", "日本語\\t✓");
    }

    #[test]
    fn nulls_and_bytea_have_their_own_forms() {
        let mut buf = Vec::new();
        push_opt_text(&mut buf, None);
        tab(&mut buf);
        push_opt_text(&mut buf, Some("\\N"));
        tab(&mut buf);
        push_bytea(&mut buf, &[0x00, 0x0f, 0xab, 0xff]);
        end_row(&mut buf);
        assert_eq!(String::from_utf8(buf).expect("COPY text is UTF-8"), "\\N\t\\\\N\t\\\\x000fabff\n");
    }
}
