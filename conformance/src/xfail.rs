//! Expected-failure files: one pattern per line (`*` is a wildcard), then
//! two spaces, `#` and the reason. Blank lines and lines starting with `#`
//! are comments.
//!
//! ```text
//! ndarray-encode-json-refuse-*  # the encoder writes NaN and fails only later
//! ```

/// One entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The id pattern.
    pub pattern: String,
    /// Why it is expected to fail.
    pub reason: String,
}

/// A parsed expected-failure file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct XfailList {
    /// The entries, in file order.
    pub entries: Vec<Entry>,
}

impl XfailList {
    /// Parses the file's text; every entry needs a reason.
    pub fn parse(text: &str) -> Result<XfailList, String> {
        let mut entries = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((pattern, reason)) = line.split_once('#') else {
                return Err(format!("line {}: no reason: write `{line}  # why it fails`", n + 1));
            };
            let (pattern, reason) = (pattern.trim(), reason.trim());
            if pattern.is_empty() || pattern.contains(char::is_whitespace) || reason.is_empty() {
                return Err(format!("line {}: expected `PATTERN  # reason`", n + 1));
            }
            entries.push(Entry { pattern: pattern.to_string(), reason: reason.to_string() });
        }
        Ok(XfailList { entries })
    }

    /// The first entry matching `id`.
    pub fn find(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| crate::runner::glob(&e.pattern, id))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_requires_reasons() {
        let l = XfailList::parse("# comment\n\nndarray-a-*  # because\nx # y\n").unwrap();
        assert_eq!(l.entries.len(), 2);
        assert_eq!(l.find("ndarray-a-b").map(|e| e.reason.as_str()), Some("because"));
        assert!(l.find("ndarray-b").is_none());
        assert!(XfailList::parse("no-reason\n").is_err());
        assert!(XfailList::parse("two words  # r\n").is_err());
    }
}
