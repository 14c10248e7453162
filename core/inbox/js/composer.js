// The keys of a message box: Enter sends, Shift+Enter makes a new line, and
// an Enter that confirms an IME conversion (Japanese input: isComposing, or
// the keyCode 229 some browsers report instead) never sends.

export function isImeEnter(e) {
  return e.isComposing || e.keyCode === 229;
}

// send() is called for a plain Enter.
export function attachComposerKeys(textarea, send) {
  textarea.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' && e.keyCode !== 13 && e.keyCode !== 229) return;
    if (isImeEnter(e)) return;           // the IME takes this Enter
    if (e.shiftKey || e.altKey || e.ctrlKey || e.metaKey) return; // newline
    e.preventDefault();
    send();
  });
}
