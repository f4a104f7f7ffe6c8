"""Encrypt, unlock, change the passphrase, forget it, lock: the coroutines
behind the Store menu and the controller's unlock hook.

Passphrases live in local variables and in the dialogs' fields only: they go
to the store over the plugin connection and to the keyring (through the
vault's ``a*`` methods, off the UI thread), never into logs, settings, the
plugin's options or environment. The keyring is written only after the store
confirmed the passphrase.

Encrypting and changing the passphrase rewrite every value: on a big store that
takes a while, and the store reports no progress, so the dialog shows how long
it has run, and its Cancel stops the call (the RPC is cancelled; our sqlite
store then rolls its one transaction back). Whether the store had committed
before the stop reached it is then asked of the store itself (which passphrase
opens it, whether it is encrypted): the dialog says "nothing was changed" only
when the store confirms it, and a change that did commit is finished as if
Cancel had not been pressed. Once the store answered, Cancel is not offered.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QMessageBox

from zhi_gui.core import errors as E
from zhi_gui.core.model import Encryption
from zhi_gui.plugin.client import StoreClient
from zhi_gui.services.keyring_service import Availability, AvailabilityStatus, VaultError
from zhi_gui.ui.async_dialogs import ask
from zhi_gui.ui.security import messages as M
from zhi_gui.ui.security.passphrase_dialogs import ChangePassphraseDialog, EncryptDialog, UnlockDialog
from zhi_gui.ui.security.widgets import SecretDialog

if TYPE_CHECKING:
    from zhi_gui.ui.security.context import SecurityContext

log = logging.getLogger("zhi_gui.ui.security")

OK = Availability(AvailabilityStatus.OK, "Passphrases can be remembered in the system keyring.")
STOP_TIP = "Stop: the store rolls back what it began, and the current passphrase keeps working"
STOPPING = "Stopping: waiting for the store to roll back\u2026"
ENCRYPTING = "Encrypting every value and version\u2026"
ROTATING = "Re-encrypting every value under the new passphrase\u2026"
NOT_ENCRYPTED = "Stopped: nothing was changed, the store is not encrypted."
NOT_ROTATED = "Stopped: nothing was changed, the current passphrase still opens the store."
# The stop reached the store after it had committed: the change stands, and the user is told
# why Cancel did not undo it.
ENCRYPTED_BEFORE_STOP = "Cancel came too late, the store had finished: it is encrypted"
ROTATED_BEFORE_STOP = "Cancel came too late, the store had finished: the passphrase was changed"


async def stoppable(dialog: SecretDialog, call: Coroutine[Any, Any, None], text: str) -> bool:
    """Await the store ``call`` while ``dialog`` shows ``text`` and for how long it has
    run; the dialog's Cancel stops it. True: it ended (its errors raised here); False:
    stopped (what the store did is then unknown until asked)."""
    task = asyncio.ensure_future(call)
    stopped = False

    def stop() -> None:
        nonlocal stopped
        stopped = task.cancel()  # False: it ended meanwhile, and that result counts
        dialog.progress_label.setText(STOPPING)

    dialog.set_stoppable(stop, STOP_TIP)
    started = time.monotonic()
    try:
        while not task.done():
            await asyncio.wait({task}, timeout=1.0)
            if not stopped:
                dialog.progress_label.setText(f"{text} {time.monotonic() - started:.0f} s")
    finally:
        if not task.done():  # we were cancelled (the window closes): so is the store call
            task.cancel()
        else:
            dialog.set_stoppable(None)
    if stopped and task.cancelled():
        return False
    task.result()
    return True


class EncryptionFlows:
    def __init__(self, security: SecurityContext) -> None:
        self.security = security
        self.user_locked = False  # "Lock now": stay locked, also across plugin restarts, until "Unlock..."
        self.last_unlock_source = ""  # "keyring" | "dialog" | "" (still locked)

    # --- the hook: after every start of the plugin -------------------------------------
    async def unlock_hook(self, store: StoreClient) -> None:
        """Called by the controller when a freshly started plugin reports ``locked``."""
        self.security.update_status()  # the controller tells the window only after its hooks
        if self.user_locked:
            log.info("store stays locked: the user locked it")
            self.security.banner(self._locked_banner())
            return
        if not await self.unlock(store):
            self.security.banner(self._locked_banner())

    # --- unlock ----------------------------------------------------------------------------
    async def unlock(self, store: StoreClient) -> bool:
        """From the keyring silently if remembered, else by the dialog. False: left locked (cancelled)."""
        s = self.security
        key = s.identity_key()
        availability, problem, stale = OK, "", False
        try:
            remembered = await s.vault.aget(key)
        except VaultError as exc:
            availability, problem = M.availability_from_error(exc), M.keyring_problem(exc)
            log.info("unlock: keyring not usable (%s)", type(exc).__name__)
        else:
            if remembered is not None:
                try:
                    await store.unlock(remembered.encode("utf-8"))
                except E.WrongPassphrase:
                    stale, problem = True, M.STALE_KEYRING_PASSPHRASE
                    log.info("unlock: the keyring's passphrase was refused by the store")
                else:
                    log.info("unlock: passphrase taken from the keyring")
                    self._unlocked("keyring", "Unlocked with the passphrase remembered in the keyring")
                    return True
        return await self._unlock_by_dialog(store, key, availability, problem, stale)

    async def _unlock_by_dialog(self, store: StoreClient, key: str, availability: Availability, problem: str,
                                stale: bool) -> bool:
        s = self.security
        dialog = UnlockDialog(s.store_label(), availability, remember=True, parent=s.parent_widget)
        # A keyring that cannot be used is said once, quietly, under "Remember" (nothing went
        # wrong yet); red is for what did: a remembered passphrase the store refused.
        if stale or (problem and not dialog.remember.reason.text()):
            dialog.show_problem(problem)
        try:
            while await dialog.submission():
                passphrase = dialog.passphrase()
                dialog.set_busy(True, "Unlocking\u2026")
                try:
                    await store.unlock(passphrase.encode("utf-8"))
                except E.WrongPassphrase:
                    log.info("unlock: wrong passphrase typed")
                    dialog.wrong(M.WRONG_PASSPHRASE)
                    continue
                except E.StoreError as exc:
                    dialog.wrong(M.store_problem(exc))
                    continue
                remember = dialog.remember.wanted()
                dialog.finish(True)
                self._unlocked("dialog", "Unlocked")
                if remember:
                    await s.remember(key, passphrase, "The store is unlocked")
                elif stale:  # the wrong entry would only be tried (and fail) again next time
                    await s.forget(key, quiet=True)
                return True
            log.info("unlock cancelled: the store stays locked")
            return False
        finally:
            dialog.finish(False)

    def _unlocked(self, source: str, text: str) -> None:
        self.last_unlock_source = source
        self.user_locked = False
        self.security.clear_banner()
        self.security.notify(text)
        self.security.unlocked.emit(source)

    def _locked_banner(self) -> str:
        return ("This store is locked: its values stay encrypted until you unlock it with its passphrase"
                " (Store \u25b8 Unlock\u2026).")

    async def unlock_to_write(self) -> bool:
        """A save on a locked store: unlocked first, as Store \u25b8 Unlock\u2026 does. False: it
        stays locked (cancelled), and a store the user locked stays locked across restarts."""
        return await self._unlock_and_show(forget_user_lock=False)

    async def unlock_action(self) -> None:
        """Store \u25b8 Unlock\u2026 on a locked store; shows the values afterwards."""
        await self._unlock_and_show(forget_user_lock=True)

    async def _unlock_and_show(self, *, forget_user_lock: bool) -> bool:
        """Unlock from the keyring or by the dialog, then show the values again; True when
        the store is unlocked. ``forget_user_lock``: "Lock now" no longer holds, even if
        the dialog is cancelled (Unlock\u2026 asked for it)."""
        c = self.security.controller
        store = await c.store_ready()
        if forget_user_lock:
            self.user_locked = False
        if not await self.unlock(store):
            return False
        await c.refresh_capabilities()
        await self.security.show_values()
        return not c.locked

    # --- encrypt ---------------------------------------------------------------------------
    async def encrypt(self) -> None:
        s = self.security
        c = s.controller
        store = await c.store_ready()
        key = s.identity_key()
        availability = await s.vault.aavailable()
        dialog = EncryptDialog(s.store_label(), availability, s.user_inputs(), s.parent_widget)
        try:
            while await dialog.submission():
                passphrase = dialog.passphrase()
                dialog.set_busy(True, ENCRYPTING)
                done = "The store is encrypted"
                try:
                    if not await stoppable(dialog, store.init_encryption(passphrase.encode("utf-8")), ENCRYPTING):
                        await c.refresh_capabilities()  # answers once the store has rolled back (or committed)
                        if c.capabilities.encryption != Encryption.ACTIVE:
                            log.info("encrypting stopped: the store stays plain")
                            dialog.set_busy(False)
                            dialog.show_problem(NOT_ENCRYPTED)
                            continue
                        log.info("encrypting stopped too late: the store had committed")
                        done = ENCRYPTED_BEFORE_STOP
                except E.StoreError as exc:
                    dialog.set_busy(False)
                    dialog.show_problem(M.store_problem(exc))
                    continue
                remember = dialog.remember.wanted()
                dialog.finish(True)
                log.info("store encrypted")
                self.user_locked = False
                await c.refresh_capabilities()
                s.notify(done)
                if remember:
                    await s.remember(key, passphrase, done)
                return
        finally:
            dialog.finish(False)

    # --- change the passphrase -------------------------------------------------------------
    async def change_passphrase(self) -> None:
        s = self.security
        c = s.controller
        store = await c.store_ready()
        key = s.identity_key()
        availability, remembered = await s.keyring_state(key)
        was_locked = c.description is not None and c.description.locked
        dialog = ChangePassphraseDialog(s.store_label(), availability, remembered, s.user_inputs(), s.parent_widget)
        try:
            while await dialog.submission():
                old, new = dialog.old_passphrase(), dialog.new_passphrase()
                dialog.set_busy(True, ROTATING)
                done = "The passphrase was changed"
                try:
                    call = store.rotate_encryption(old.encode("utf-8"), new.encode("utf-8"))
                    if not await stoppable(dialog, call, ROTATING):
                        if not await self._rotated_after_all(store, old, new, was_locked):
                            dialog.set_busy(False)
                            dialog.show_problem(NOT_ROTATED)
                            continue
                        done = ROTATED_BEFORE_STOP
                except E.WrongPassphrase:
                    log.info("change passphrase: the current passphrase was wrong")
                    dialog.wrong_old(M.WRONG_OLD_PASSPHRASE)
                    continue
                except E.StoreError as exc:
                    dialog.set_busy(False)
                    dialog.show_problem(M.store_problem(exc))
                    continue
                remember = dialog.remember.wanted()
                dialog.finish(True)
                log.info("passphrase changed")
                self.user_locked = False
                await c.refresh_capabilities()
                s.notify(done)
                if was_locked:  # RotateEncryption needs the old passphrase, and leaves the store unlocked
                    s.clear_banner()
                    await s.show_values()
                # Only now that the store confirmed does the keyring change.
                if remember:
                    await s.remember(key, new, done, stale_note=remembered)
                elif remembered:
                    await s.forget(key, quiet=True)
                return
        finally:
            dialog.finish(False)

    async def _rotated_after_all(self, store: StoreClient, old: str, new: str, was_locked: bool) -> bool:
        """A stopped passphrase change: did the store commit before the stop reached it?
        Asked of the store, which answers after its rewrite ended: the new passphrase
        opens it (committed), or the old one does (rolled back; a store that was locked is
        locked again). Neither: WrongPassphrase, the typed current passphrase was wrong."""
        try:
            await store.unlock(new.encode("utf-8"))
        except E.WrongPassphrase:
            pass
        else:
            log.info("passphrase change stopped too late: the store had committed")
            return True
        await store.unlock(old.encode("utf-8"))  # WrongPassphrase goes to the caller: nothing changed
        if was_locked:
            await store.lock()
        log.info("passphrase change stopped: the store rolled back")
        return False

    # --- forget, lock --------------------------------------------------------------------
    async def forget(self) -> None:
        # Forgetting cannot be undone from here (the passphrase must be typed again next
        # time, and if nobody remembers it the store stays closed): ask first.
        answer = await ask(self.security.window.main_window(), "Forget passphrase",
                           "Remove this store's passphrase from the system keyring?",
                           "The store stays encrypted. The next time it is opened, its passphrase must be typed: "
                           "make sure you know it.",
                           QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                           QMessageBox.StandardButton.Cancel, QMessageBox.Icon.Warning)
        if answer != QMessageBox.StandardButton.Yes:
            return
        await self.security.forget(self.security.identity_key(), what="passphrase")

    async def lock(self) -> None:
        s = self.security
        c = s.controller
        if not await s.window.settle_editor("locking the store"):
            return
        store = await c.store_ready()
        await store.lock()
        self.user_locked = True
        self.last_unlock_source = ""
        log.info("store locked by the user")
        await c.refresh_capabilities()
        s.hide_values()
        s.banner(self._locked_banner())
        s.notify("The store is locked")
        s.locked.emit()
