"""File > Change my password: any signed-in person, given their current password.

Asking for the current password stops a passer-by at an unlocked screen from taking over the
account; a wrong one counts as a failed sign-in, so the growing wait applies here too.

The same dialog is shown, and cannot be skipped, when someone signs in with a password an
administrator set (a new account or a reset): ``choose_own_password`` asks for a new one before
the window opens, the password just typed standing in for the current one, and Cancel signs
them out again.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QWidget

from clinicdesk.services.session import CurrentUser
from clinicdesk.services.users import UserService
from clinicdesk.ui.admin.account_form import FormDialog, line_edit

REQUIRED_INTRO = (
    "An administrator set the password you signed in with, so they know it. Choose your own "
    "password before going on; nobody else should know it. Cancel signs you out."
)


class ChangePasswordDialog(FormDialog):
    """``user`` is the signed-in user after a change (no password change due any more).

    With ``current_password`` (the one just typed at sign-in) the change is required: the
    current password is not asked for again and the Cancel button says "Sign out".
    """

    def __init__(
        self,
        users: UserService,
        user: CurrentUser,
        parent: QWidget | None = None,
        *,
        current_password: str | None = None,
    ) -> None:
        required = current_password is not None
        super().__init__(
            "Choose your own password" if required else "Change my password",
            (f"{user.display_name} ({user.username}): " + REQUIRED_INTRO)
            if required
            else f"Signed in as {user.display_name} ({user.username}).",
            "Change password",
            parent,
        )
        self.setObjectName("change_password_dialog")
        self.users = users
        self.user = user
        self.required = required
        self._current_password = current_password
        if current_password is None:
            self.add_field(
                "old_password",
                "Current password",
                line_edit("old_password", "the one you sign in with now", password=True),
            )
        else:
            cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
            cancel.setText("Sign out")
            cancel.setObjectName("sign_out_button")
        self.add_password_fields("new_password", "New password", "New password again")
        first = "old_password" if current_password is None else "new_password"
        self.fields[first].editor.setFocus()

    def submit(self) -> bool:
        if not self.passwords_match("new_password", "repeat_password"):
            return False
        old = self._current_password
        if old is None:
            old = self.text("old_password")
        self.user = self.users.change_own_password(self.user, old, self.text("new_password"))
        return True


def choose_own_password(
    users: UserService, user: CurrentUser, password: str, parent: QWidget | None = None
) -> CurrentUser | None:
    """``user`` as is when no change is due; else the required dialog (modal): the user after
    the change, or None if they cancelled (the caller signs them out)."""
    if not user.must_change_password:
        return user
    dialog = ChangePasswordDialog(users, user, parent, current_password=password)
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.user
    finally:
        dialog.deleteLater()
