"""The sandbox: where untrusted code (the project's tests under a patch) runs, and how its verdicts are judged."""

from selfmod.tools.sandbox.sandbox import Sandbox, Workspace
from selfmod.tools.sandbox.verdict import failure_reason, judge, summary
from selfmod.tools.sandbox.workspace import SKIP_DIRS, copy_project, tree_hash

__all__ = ["SKIP_DIRS", "Sandbox", "Workspace", "copy_project", "failure_reason", "judge", "summary", "tree_hash"]
