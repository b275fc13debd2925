//! The scratch arena generated code carves its intermediates out of.

use crate::abi::WORKSPACE_ALIGN;
use alloc::alloc::{alloc_zeroed, dealloc, Layout};

/// A reusable, 64-byte aligned scratch buffer. Keep one per thread and pass it to
/// `*_into` functions to run a model without allocating.
pub struct Workspace {
    ptr: *mut u8,
    bytes: usize,
}

impl Workspace {
    pub const fn new() -> Workspace {
        Workspace { ptr: core::ptr::null_mut(), bytes: 0 }
    }

    /// A workspace of `bytes` bytes, allocated now (for example a generated
    /// `f_max_workspace_bytes()`, so later calls never allocate).
    pub fn with_capacity(bytes: usize) -> Workspace {
        let mut workspace = Workspace::new();
        workspace.ensure(bytes);
        workspace
    }

    /// Grows the arena to at least `bytes` and returns its start. The contents are
    /// unspecified; generated code never reads what it did not write.
    pub fn ensure(&mut self, bytes: usize) -> *mut u8 {
        if bytes > self.bytes {
            self.release();
            let layout = Layout::from_size_align(bytes, WORKSPACE_ALIGN).expect("workspace size overflows");
            // SAFETY: layout has non-zero size (bytes > self.bytes >= 0).
            let ptr = unsafe { alloc_zeroed(layout) };
            if ptr.is_null() {
                alloc::alloc::handle_alloc_error(layout);
            }
            self.ptr = ptr;
            self.bytes = bytes;
        }
        if self.ptr.is_null() {
            // A dangling but aligned pointer for an empty workspace.
            WORKSPACE_ALIGN as *mut u8
        } else {
            self.ptr
        }
    }

    pub fn len(&self) -> usize {
        self.bytes
    }

    pub fn is_empty(&self) -> bool {
        self.bytes == 0
    }

    fn release(&mut self) {
        if !self.ptr.is_null() {
            let layout = Layout::from_size_align(self.bytes, WORKSPACE_ALIGN).unwrap();
            // SAFETY: ptr was allocated with exactly this layout.
            unsafe { dealloc(self.ptr, layout) };
            self.ptr = core::ptr::null_mut();
            self.bytes = 0;
        }
    }
}

impl Default for Workspace {
    fn default() -> Self {
        Workspace::new()
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        self.release();
    }
}

// SAFETY: the workspace owns its allocation exclusively.
unsafe impl Send for Workspace {}
