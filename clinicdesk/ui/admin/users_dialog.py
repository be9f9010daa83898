"""Admin > Users: the clinic's staff accounts, and the forms that change them.

The table lists every account, disabled ones too (greyed: accounts are never deleted, the
audit trail names them). The buttons act on the selected account; each change goes through
``UserService``, which checks the role, the version and the last-administrator rule, and the
row is updated from what the service returns. The buttons the service would refuse for your
own account are off while it is selected, with a tooltip saying why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.dates import local_time
from clinicdesk.domain.roles import Role
from clinicdesk.errors import ConcurrentEdit, UserError
from clinicdesk.services.session import CurrentUser
from clinicdesk.services.users import NewUser, UserAccount, UserService
from clinicdesk.ui.admin.account_form import FormDialog, line_edit
from clinicdesk.ui.widgets.errors import show_user_error

HEADERS = ("User name", "Name", "Role", "Registration number", "Status", "Last sign-in")
NEVER_SIGNED_IN = "Never"
DISABLED_BRUSH = QBrush(QColor("#8a8a8a"))
REGISTRATION_HINT = "GMC, NMC or GDC number"
ROLE_HELP = {
    Role.RECEPTION: "Reception: patients' details, follow-ups and printing; no clinical notes.",
    Role.CLINICIAN: "Clinician: the full clinical record, photos and progress reports.",
    Role.ADMIN: "Administrator: staff accounts, settings, backups and the audit trail.",
}

Index = QModelIndex | QPersistentModelIndex


class UserTableModel(QAbstractTableModel):
    def __init__(
        self, accounts: Sequence[UserAccount], me: CurrentUser, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.accounts = list(accounts)
        self.me = me

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt signature)
        return 0 if parent.isValid() else len(self.accounts)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> str | None:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(HEADERS)
        ):
            return HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self.accounts):
            return None
        account = self.accounts[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            name = account.display_name + (" (you)" if account.id == self.me.id else "")
            return (
                account.username,
                name,
                account.role.label,
                account.registration_number,
                _status(account),
                local_time(account.last_sign_in) if account.last_sign_in else NEVER_SIGNED_IN,
            )[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == len(HEADERS) - 1:
            return "From the audit trail: the last time this account signed in or unlocked"
        if role == Qt.ItemDataRole.ForegroundRole and not account.active:
            return DISABLED_BRUSH
        return None

    def account_at(self, row: int) -> UserAccount | None:
        return self.accounts[row] if 0 <= row < len(self.accounts) else None

    def row_of(self, account: UserAccount) -> int:
        return next((i for i, a in enumerate(self.accounts) if a.id == account.id), -1)

    def put(self, account: UserAccount) -> int:
        """Show ``account`` as the service returned it: replace its row, or add it in order."""
        row = self.row_of(account)
        if row >= 0:
            self.accounts[row] = account
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1))
            return row
        row = sum(1 for a in self.accounts if a.username < account.username)
        self.beginInsertRows(QModelIndex(), row, row)
        self.accounts.insert(row, account)
        self.endInsertRows()
        return row


def _status(account: UserAccount) -> str:
    if not account.active:
        return "Disabled"
    return "Active, must choose a password" if account.must_change_password else "Active"


def _add_role_field(form: FormDialog, current: Role) -> QComboBox:
    """A role choice with a line under it saying what that role may do."""
    combo = QComboBox()
    combo.setObjectName("role")
    for role in (Role.RECEPTION, Role.CLINICIAN, Role.ADMIN):
        combo.addItem(role.label, role.value)
    combo.setCurrentIndex(combo.findData(current.value))
    help_label = QLabel()
    help_label.setObjectName("role_help")
    help_label.setWordWrap(True)

    def show_help(_index: int) -> None:
        help_label.setText(ROLE_HELP[Role(combo.currentData())])

    combo.currentIndexChanged.connect(show_help)
    show_help(combo.currentIndex())
    form.add_field("role", "Role", combo)
    form.form.addRow("", help_label)
    return combo


class NewUserDialog(FormDialog):
    def __init__(
        self, users: UserService, acting: CurrentUser, parent: QWidget | None = None
    ) -> None:
        super().__init__(
            "New user",
            "The person signs in with this user name and password; ask them to change the "
            "password (File > Change my password) when they first sign in.",
            "Create user",
            parent,
        )
        self.setObjectName("new_user_dialog")
        self.users = users
        self.acting = acting
        self.account: UserAccount | None = None
        self.add_field("username", "User name", line_edit("username", "e.g. j.smith"))
        self.add_field("display_name", "Full name", line_edit("display_name", "e.g. Dr Jo Smith"))
        self.role = _add_role_field(self, Role.RECEPTION)
        self.add_field(
            "registration_number",
            "Registration number",
            line_edit("registration_number", REGISTRATION_HINT),
        )
        self.add_password_fields("password", "Password", "Password again")

    def submit(self) -> bool:
        if not self.passwords_match("password", "repeat_password"):
            return False
        self.account = self.users.create_user(
            self.acting,
            NewUser(
                self.text("username"),
                self.text("display_name"),
                Role(self.role.currentData()),
                self.text("password"),
                self.text("registration_number"),
            ),
        )
        return True


class _AccountDialog(FormDialog):
    """A change an administrator makes to someone else's account (``original``); after a
    successful submit, ``account`` is the account as stored."""

    def __init__(
        self,
        users: UserService,
        acting: CurrentUser,
        account: UserAccount,
        texts: tuple[str, str, str],  # the title, the intro and the action button
        name: str,
        parent: QWidget | None,
    ) -> None:
        super().__init__(*texts, parent)
        self.setObjectName(name)
        self.users = users
        self.acting = acting
        self.original = account
        self.account: UserAccount | None = None


class ChangeRoleDialog(_AccountDialog):
    def __init__(
        self,
        users: UserService,
        acting: CurrentUser,
        account: UserAccount,
        parent: QWidget | None = None,
    ) -> None:
        intro = f"What may {account.display_name} ({account.username}) do?"
        texts = ("Change role", intro, "Change role")
        super().__init__(users, acting, account, texts, "change_role_dialog", parent)
        self.role = _add_role_field(self, account.role)
        registration = line_edit("registration_number", REGISTRATION_HINT)
        registration.setText(account.registration_number)
        self.add_field("registration_number", "Registration number", registration)

    def submit(self) -> bool:
        self.account = self.users.change_role(
            self.acting,
            self.original,
            Role(self.role.currentData()),
            self.text("registration_number"),
        )
        return True


class ResetPasswordDialog(_AccountDialog):
    def __init__(
        self,
        users: UserService,
        acting: CurrentUser,
        account: UserAccount,
        parent: QWidget | None = None,
    ) -> None:
        intro = (
            f"Set a new password for {account.display_name} ({account.username}). Give it to "
            "them in person, and ask them to change it when they next sign in."
        )
        texts = ("Reset password", intro, "Set password")
        super().__init__(users, acting, account, texts, "reset_password_dialog", parent)
        self.add_password_fields("password", "New password", "Password again")

    def submit(self) -> bool:
        if not self.passwords_match("password", "repeat_password"):
            return False
        self.account = self.users.reset_password(self.acting, self.original, self.text("password"))
        return True


class UsersDialog(QDialog):
    def __init__(
        self, users: UserService, acting: CurrentUser, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.users = users
        self.acting = acting
        self.form: FormDialog | None = None  # the open New / Change role / Reset form
        self.setObjectName("users_dialog")
        self.setWindowTitle("Users")
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Everyone who uses ClinicDesk has their own account. Accounts are disabled, never "
            "deleted, so the audit trail can still say who did what."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.model = UserTableModel(users.list_users(acting), acting, self)
        self.table = QTableView()
        self.table.setObjectName("users_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.doubleClicked.connect(self._double_clicked)
        layout.addWidget(self.table, 1)

        row = QHBoxLayout()
        self.new_button = self._button("New user…", "new_user", self.new_user, row)
        self.role_button = self._button("Change role…", "change_role", self.change_role, row)
        self.active_button = self._button("Disable", "toggle_active", self.toggle_active, row)
        self.reset_button = self._button(
            "Reset password…", "reset_password", self.reset_password, row
        )
        row.addStretch(1)
        layout.addLayout(row)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)
        self.resize(760, 420)
        if self.model.rowCount():
            self.select_row(0)
        self._update_buttons()

    def _button(
        self, text: str, name: str, slot: Callable[[], None], row: QHBoxLayout
    ) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.setAutoDefault(False)
        button.clicked.connect(slot)
        row.addWidget(button)
        return button

    # -- selection ------------------------------------------------------------------------

    def selected(self) -> UserAccount | None:
        return self.model.account_at(self.table.currentIndex().row())

    def select_row(self, row: int) -> None:
        self.table.selectRow(row)
        self.table.setCurrentIndex(self.model.index(row, 0))

    def select_user(self, username: str) -> None:
        for row, account in enumerate(self.model.accounts):
            if account.username == username:
                self.select_row(row)
                return
        raise LookupError(username)

    def _current_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        self._update_buttons()

    def _double_clicked(self, _index: QModelIndex) -> None:
        self.change_role()

    def _update_buttons(self) -> None:
        account = self.selected()
        mine = account is not None and account.id == self.acting.id
        for button in (self.role_button, self.active_button, self.reset_button):
            button.setEnabled(account is not None and not mine)
            button.setToolTip("")
        self.active_button.setText("Enable" if account and not account.active else "Disable")
        if mine:
            self.role_button.setToolTip("Another administrator must change your role.")
            self.active_button.setToolTip("You cannot disable the account you are signed in with.")
            self.reset_button.setToolTip("Use File > Change my password for your own password.")

    def _show(self, account: UserAccount) -> None:
        self.select_row(self.model.put(account))
        self._update_buttons()

    def reload(self) -> None:
        """Read every account again (after someone else changed one), keeping the selection."""
        selected = self.selected()
        self.model.beginResetModel()
        self.model.accounts = self.users.list_users(self.acting)
        self.model.endResetModel()
        row = self.model.row_of(selected) if selected is not None else -1
        self.select_row(max(row, 0))
        self._update_buttons()

    # -- actions --------------------------------------------------------------------------

    def _open_form(self, form: FormDialog) -> None:
        self.form = form

        def done() -> None:
            result = getattr(form, "account", None)
            if isinstance(result, UserAccount):
                self._show(result)
            self.form = None
            form.deleteLater()

        def cancelled() -> None:
            # The form may have met a change made elsewhere (ConcurrentEdit): show the news.
            self.form = None
            form.deleteLater()
            self.reload()

        form.accepted.connect(done)
        form.rejected.connect(cancelled)
        form.open()

    def new_user(self) -> None:
        self._open_form(NewUserDialog(self.users, self.acting, self))

    def change_role(self) -> None:
        if (account := self.selected()) is not None and account.id != self.acting.id:
            self._open_form(ChangeRoleDialog(self.users, self.acting, account, self))

    def reset_password(self) -> None:
        if (account := self.selected()) is not None and account.id != self.acting.id:
            self._open_form(ResetPasswordDialog(self.users, self.acting, account, self))

    def toggle_active(self) -> None:
        account = self.selected()
        if account is None:
            return
        try:
            if account.active:
                answer = QMessageBox.question(
                    self,
                    "Disable user",
                    f"Disable {account.display_name} ({account.username})? They will not be "
                    "able to sign in. Their name stays on everything they did; you can enable "
                    "the account again later and then reset their password.",
                )
                if answer != QMessageBox.StandardButton.Yes:
                    return
                changed = self.users.disable_user(self.acting, account)
            else:
                changed = self.users.enable_user(self.acting, account)
                QMessageBox.information(
                    self,
                    "Account enabled",
                    f"{account.display_name} can sign in again once you reset their password "
                    "(disabling removed their key to the encrypted data).",
                )
        except UserError as exc:
            show_user_error(self, exc, "Users")
            if isinstance(exc, ConcurrentEdit):
                self.reload()
            return
        self._show(changed)
