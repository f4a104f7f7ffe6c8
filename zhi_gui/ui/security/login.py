"""Login for stores with ``auth``: silently from the keyring when remembered,
else the form built from AuthMethods; Log out restarts the plugin (the store
forgets the session with its process) and shows the form again.

A remembered login is one keyring entry per store identity and method,
``<identity key>:login:<method>``, holding the JSON object of the fields.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from zhi_gui.core import errors as E
from zhi_gui.core.model import AuthMethod, LoginResult
from zhi_gui.plugin.client import StoreClient
from zhi_gui.services.keyring_service import Availability, AvailabilityStatus, VaultError
from zhi_gui.ui.security import messages as M
from zhi_gui.ui.security.login_dialog import LoginDialog

if TYPE_CHECKING:
    from zhi_gui.ui.security.context import SecurityContext

log = logging.getLogger("zhi_gui.ui.security")

OK = Availability(AvailabilityStatus.OK, "Logins can be remembered in the system keyring.")
REFUSED = (E.AuthRequired, E.AccessDenied, E.InvalidArgument)


def login_entry(identity_key: str, method: str) -> str:
    """The keyring entry of a remembered login."""
    return f"{identity_key}:login:{method}"


def _decode(raw: str) -> dict[str, str] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return None
    return value


class LoginFlows:
    def __init__(self, security: SecurityContext) -> None:
        self.security = security
        self.logged_in = False
        self.user = ""
        self.last_login_source = ""  # "keyring" | "dialog" | "form" (Open store) | ""
        self.force_form = False  # after Log out: the form, not the keyring
        self._public: tuple[str, dict[str, str]] | None = None  # last method and its non-secret fields

    async def login_hook(self, store: StoreClient) -> None:
        """Called by the controller after every start of a plugin whose store has ``auth``."""
        self.logged_in = False
        self.security.update_status()
        if not await self.log_in_to(store):
            self.security.banner("You are not logged in to this store: its values cannot be read"
                                 " (Store \u25b8 Log in\u2026).")

    async def log_in_to(self, store: StoreClient) -> bool:
        s = self.security
        methods = await store.auth_methods()
        if not methods:
            s.banner("This store requires a login but offers no login method (AuthMethods is empty).")
            return False
        key = s.identity_key()
        availability, problem = OK, ""
        stale: set[str] = set()
        offer = s.take_offered_login()
        if offer is not None:
            done, problem = await self._offered_login(store, methods, key, *offer)
            if done:
                return True
        if self.force_form:
            self.force_form = False
            availability = await s.vault.aavailable()
        else:
            for method in methods:
                entry = login_entry(key, method.type)
                try:
                    raw = await s.vault.aget(entry)
                except VaultError as exc:
                    availability, problem = M.availability_from_error(exc), M.keyring_problem(exc)
                    log.info("login: keyring not usable (%s)", type(exc).__name__)
                    break
                if raw is None:
                    continue
                credentials = _decode(raw)
                if credentials is None:
                    stale.add(method.type)
                    continue
                try:
                    result = await store.login(method.type, credentials)
                except REFUSED:
                    log.info("login: the keyring's %s login was refused", method.type)
                    stale.add(method.type)
                    problem = M.STALE_KEYRING_LOGIN
                    self._public = (method.type, self._public_fields(method, credentials))
                    continue
                self._logged_in("keyring", method, credentials, result)
                return True
        return await self._login_by_dialog(store, methods, key, availability, problem, stale)

    async def _offered_login(self, store: StoreClient, methods: list[AuthMethod], key: str, method_type: str,
                             credentials: dict[str, str]) -> tuple[bool, str]:
        """Log in with what Open store's form was given and keep it in the keyring, as a login
        dialog with "Remember" does: a later open (Recent stores) logs in from the keyring."""
        method = next((m for m in methods if m.type == method_type), None)
        if method is None:
            log.info("login: the form's method %s is not offered by the store", method_type)
            return False, ""
        known = {f.name for f in method.fields}
        given = {k: v for k, v in credentials.items() if k in known}
        try:
            result = await store.login(method.type, given)
        except REFUSED as exc:
            log.info("login: the form's %s login was refused", method.type)
            self._public = (method.type, self._public_fields(method, given))
            return False, M.store_problem(exc)
        self._logged_in("form", method, given, result)
        await self.security.remember(login_entry(key, method.type), json.dumps(given, sort_keys=True), "Logged in",
                                     what="login")
        return True, ""

    async def _login_by_dialog(self, store: StoreClient, methods: list[AuthMethod], key: str,
                               availability: Availability, problem: str, stale: set[str]) -> bool:
        s = self.security
        dialog = LoginDialog(s.store_label(), methods, availability, remember=True, parent=s.parent_widget)
        if self._public is not None:
            dialog.select_method(self._public[0])
            dialog.prefill(*self._public)
        dialog.show_problem(problem)
        try:
            while await dialog.submission():
                method, credentials = dialog.method(), dialog.credentials()
                dialog.set_busy(True, "Logging in\u2026")
                try:
                    result = await store.login(method.type, credentials)
                except E.StoreError as exc:
                    log.info("login refused (%s)", type(exc).__name__)
                    dialog.refused(M.store_problem(exc))
                    continue
                remember = dialog.remember.wanted()
                dialog.finish(True)
                self._logged_in("dialog", method, credentials, result)
                entry = login_entry(key, method.type)
                if remember:
                    await s.remember(entry, json.dumps(credentials, sort_keys=True), "Logged in", what="login")
                elif method.type in stale:
                    await s.forget(entry, quiet=True)
                return True
            log.info("login cancelled")
            return False
        finally:
            dialog.finish(False)

    @staticmethod
    def _public_fields(method: AuthMethod, credentials: Mapping[str, str]) -> dict[str, str]:
        secret = {f.name for f in method.fields if f.secret}
        known = {f.name for f in method.fields}
        return {k: v for k, v in credentials.items() if k in known and k not in secret}

    def _logged_in(self, source: str, method: AuthMethod, credentials: Mapping[str, str],
                   result: LoginResult) -> None:
        self.logged_in = True
        self.last_login_source = source
        self._public = (method.type, self._public_fields(method, credentials))
        self.user = result.metadata.get("user", "") or credentials.get("username", "")
        log.info("logged in (%s, method %s)", source, method.type)
        s = self.security
        s.clear_banner()
        s.notify(f"Logged in as {self.user}" if self.user else "Logged in")
        s.update_status()
        s.loggedIn.emit(source)

    # --- menu actions ----------------------------------------------------------------------
    async def log_in_action(self) -> None:
        c = self.security.controller
        store = await c.store_ready()
        if await self.log_in_to(store):
            await c.refresh_capabilities()
            await self.security.show_values()

    async def log_out(self) -> None:
        s = self.security
        c = s.controller
        self.force_form = True
        self.logged_in = False
        self.user = ""
        s.hide_values()
        s.notify("Logged out: the store plugin was restarted")
        await c.restart_plugin()  # the login hook shows the form again
        if self.logged_in:
            await s.show_values()

    async def forget_login(self) -> None:
        s = self.security
        store = await s.controller.store_ready()
        key = s.identity_key()
        existed = False
        try:
            for method in await store.auth_methods():
                existed = await s.vault.adelete(login_entry(key, method.type)) or existed
        except VaultError as exc:
            s.warn("Forget login", M.keyring_problem(exc))
            return
        s.notify("The remembered login was removed from the keyring" if existed else
                 "There was no remembered login for this store in the keyring")
