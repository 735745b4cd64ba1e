//! Where the Hub tells the rest of the system that members or projects changed. Provisioning (chat users,
//! channels, memberships on the chat backend) will implement [`ChangeHook`]; until then [`NoHook`] is used.
//!
//! The hook is called after the change committed. Changes made by `rill hub` in another process do not pass
//! through a running server's hook; provisioning will also reconcile on a timer, which covers them.

/// A committed change of the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    MemberAdded {
        member_id: String,
    },
    MemberChanged {
        member_id: String,
    },
    MemberRemoved {
        member_id: String,
    },
    ProjectAdded {
        project_id: String,
    },
    ProjectChanged {
        project_id: String,
    },
    /// The chat backend's settings were saved.
    IntegrationChanged,
}

pub trait ChangeHook: Send + Sync {
    /// Called after the change committed; must not block (hand the work to a task or a queue).
    fn changed(&self, change: Change);
}

/// Does nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHook;

impl ChangeHook for NoHook {
    fn changed(&self, _change: Change) {}
}
