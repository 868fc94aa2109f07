// The confirmation dialog: a native modal <dialog>, so focus stays inside
// it, Escape cancels, and focus goes back to the button that opened it.
import { replace } from './dom.js';

// Tab and Shift+Tab wrap around inside the open dialog.
function trapFocus(ev) {
  if (ev.key !== 'Tab') return;
  const items = [...ev.currentTarget.querySelectorAll('button, select, input')].filter((el) => !el.disabled);
  const [first, last] = [items[0], items[items.length - 1]];
  if (ev.shiftKey && document.activeElement === first) {
    ev.preventDefault();
    last.focus();
  } else if (!ev.shiftKey && document.activeElement === last) {
    ev.preventDefault();
    first.focus();
  }
}

/**
 * confirmAction shows title and text (nodes or strings), with extra
 * controls under them, and resolves to true on Confirm, false on Cancel
 * or Escape.
 */
export function confirmAction({ title, text, extra = null, confirmLabel = 'Confirm', danger = false }) {
  const dialog = document.getElementById('confirm');
  const ok = document.getElementById('confirm-ok');
  const cancel = document.getElementById('confirm-cancel');
  const opener = document.activeElement;
  replace(document.getElementById('confirm-title'), title);
  replace(document.getElementById('confirm-text'), text);
  replace(document.getElementById('confirm-extra'), extra);
  ok.textContent = confirmLabel;
  ok.classList.toggle('danger', danger);
  dialog.returnValue = '';
  dialog.onkeydown = trapFocus;
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
      resolve(dialog.returnValue === 'confirm');
    }, { once: true });
    dialog.showModal();
    // A risky action starts on Cancel, so Enter alone never confirms it.
    (danger ? cancel : extra?.querySelector('select') || ok).focus();
  });
}
