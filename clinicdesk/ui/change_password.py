"""File > Change my password: any signed-in person, given their current password.

Asking for the current password stops a passer-by at an unlocked screen from taking over the
account; a wrong one counts as a failed sign-in, so the growing wait applies here too.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from clinicdesk.services.session import CurrentUser
from clinicdesk.services.users import UserService
from clinicdesk.ui.account_form import FormDialog, line_edit


class ChangePasswordDialog(FormDialog):
    def __init__(
        self, users: UserService, user: CurrentUser, parent: QWidget | None = None
    ) -> None:
        super().__init__(
            "Change my password",
            f"Signed in as {user.display_name} ({user.username}).",
            "Change password",
            parent,
        )
        self.setObjectName("change_password_dialog")
        self.users = users
        self.user = user
        self.add_field(
            "old_password",
            "Current password",
            line_edit("old_password", "the one you sign in with now", password=True),
        )
        self.add_field("new_password", "New password", line_edit("new_password", password=True))
        self.add_field(
            "repeat_password",
            "New password again",
            line_edit("repeat_password", "type it again", password=True),
        )
        self.fields["old_password"].editor.setFocus()

    def submit(self) -> bool:
        if not self.passwords_match("new_password", "repeat_password"):
            return False
        self.users.change_own_password(
            self.user, self.text("old_password"), self.text("new_password")
        )
        return True
