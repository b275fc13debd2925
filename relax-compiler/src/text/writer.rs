//! Indented output for the printers: four spaces per level.

/// The indentation of a line at `depth`.
pub(super) fn indent(depth: usize) -> String {
    "    ".repeat(depth)
}

/// Collects lines at a current depth.
pub(super) struct Writer {
    out: String,
    depth: usize,
}

impl Writer {
    pub(super) fn new(depth: usize) -> Writer {
        Writer { out: String::new(), depth }
    }

    pub(super) fn depth(&self) -> usize {
        self.depth
    }

    /// One line at the current depth. `text` may span several lines (an `if`
    /// expression); those are already indented relative to this depth.
    pub(super) fn line(&mut self, text: &str) {
        self.out += &indent(self.depth);
        self.out += text;
        self.out.push('\n');
    }

    /// A line that opens a block; what follows is one level deeper.
    pub(super) fn open(&mut self, text: &str) {
        self.line(text);
        self.depth += 1;
    }

    /// A line that closes a block, back at the enclosing level.
    pub(super) fn close(&mut self, text: &str) {
        self.depth -= 1;
        self.line(text);
    }

    /// A line between two blocks at the same level: `} else {`.
    pub(super) fn reopen(&mut self, text: &str) {
        self.depth -= 1;
        self.line(text);
        self.depth += 1;
    }

    pub(super) fn finish(self) -> String {
        self.out
    }
}
