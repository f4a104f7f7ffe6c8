"""The login form, built from the store's AuthMethods: one tab per method,
one field per ``AuthField`` (secret fields masked, required ones marked)."""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtWidgets import QFormLayout, QLineEdit, QTabWidget, QVBoxLayout, QWidget

from zhi_gui.core.model import AuthField, AuthMethod
from zhi_gui.services.keyring_service import Availability
from zhi_gui.ui.security.widgets import PassphraseEdit, RememberBox, SecretDialog, note


def field_label(auth_field: AuthField) -> str:
    text = auth_field.description or auth_field.name
    text = text[:1].upper() + text[1:]
    return f"{text} *:" if auth_field.required else f"{text}:"


class LoginDialog(SecretDialog):
    def __init__(self, store_label: str, methods: Sequence[AuthMethod], availability: Availability,
                 remember: bool = True, parent: QWidget | None = None) -> None:
        super().__init__("login-dialog", "Log in", parent)
        self.methods = list(methods)
        self.fields: dict[str, dict[str, QLineEdit]] = {}
        layout = QVBoxLayout(self.body)
        layout.setContentsMargins(0, 0, 0, 0)
        intro = note(f"<b>{html.escape(store_label)}</b> needs you to log in. Fields marked * are required.",
                     "intro")
        intro.setMinimumWidth(420)
        layout.addWidget(intro)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("methods")
        self.tabs.setDocumentMode(True)
        for method in self.methods:
            page = QWidget()
            page.setObjectName(f"method-{method.type}")
            form = QFormLayout(page)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            if method.description:
                form.addRow(note(html.escape(method.description[:1].upper() + method.description[1:]) + ".",
                                 "method-description"))
            edits: dict[str, QLineEdit] = {}
            for auth_field in method.fields:
                name = f"field-{method.type}-{auth_field.name}"
                edit: QLineEdit
                if auth_field.secret:
                    edit = PassphraseEdit(name)
                    self.secret_edits.append(edit)
                else:
                    edit = QLineEdit()
                    edit.setObjectName(name)
                edit.setToolTip(("required" if auth_field.required else "optional")
                                + (", secret" if auth_field.secret else ""))
                edit.textChanged.connect(lambda _text: self.refresh())
                form.addRow(field_label(auth_field), edit)
                edits[auth_field.name] = edit
            if not method.fields:
                form.addRow(note("This method needs no input.", "no-fields"))
            self.fields[method.type] = edits
            self.tabs.addTab(page, method.type)
        self.tabs.tabBar().setVisible(len(self.methods) > 1)
        self.tabs.currentChanged.connect(lambda _index: self.refresh())
        layout.addWidget(self.tabs)
        self.remember = RememberBox("Remember this login in keyring")
        self.remember.set_availability(availability, default=remember)
        layout.addWidget(self.remember)
        self.ok_button.setText("Log in")
        self.refresh()

    def method(self) -> AuthMethod:
        return self.methods[max(0, self.tabs.currentIndex())]

    def select_method(self, method_type: str) -> None:
        for index, method in enumerate(self.methods):
            if method.type == method_type:
                self.tabs.setCurrentIndex(index)

    def problem_now(self) -> str:
        if not self.methods:
            return "The store offers no login method."
        method = self.method()
        edits = self.fields[method.type]
        missing = [f.description or f.name for f in method.fields if f.required and not edits[f.name].text()]
        return f"Fill in: {', '.join(missing)}." if missing else ""

    def credentials(self) -> dict[str, str]:
        """The current method's fields (empty optional fields left out)."""
        method = self.method()
        return {name: edit.text() for name, edit in self.fields[method.type].items() if edit.text()}

    def prefill(self, method_type: str, values: dict[str, str]) -> None:
        """Fill non-secret fields (a user name) from a previous login."""
        method = next((m for m in self.methods if m.type == method_type), None)
        if method is None:
            return
        for auth_field in method.fields:
            if not auth_field.secret and auth_field.name in values:
                self.fields[method_type][auth_field.name].setText(values[auth_field.name])

    def refused(self, text: str) -> None:
        self.set_busy(False)
        for edit in self.secret_edits:
            edit.wipe()
        self.show_problem(text)
        method = self.method()
        secret = next((self.fields[method.type][f.name] for f in method.fields if f.secret), None)
        if secret is not None:
            secret.setFocus()
