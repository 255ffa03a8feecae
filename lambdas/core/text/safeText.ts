/**
 * Text that came from outside (Intercom's answers, object names in an archive someone else can
 * write to, query results) is printed to terminals and written into Markdown summaries. Escape
 * sequences in it could move the cursor and erase lines (a failed verify made to look like
 * "OK"), set the window title, or hide text; bidirectional overrides can reorder what is shown.
 *
 * Hand-written: `strip-ansi` removes only well-formed ANSI sequences and leaves a bare ESC,
 * other C0/C1 controls, and bidi overrides in place; here every such code point goes.
 */

// C0 controls, DEL, C1 controls, bidi embeddings/overrides/isolates, line/paragraph separators.
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const CONTROLS_BUT_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** One value shown inside a line (a name, a cell, a field): every control character removed, line breaks included. */
export function safeText(value: string): string {
  return value.replace(CONTROLS, '');
}

/** A whole block of output: control characters removed, but its own line breaks and tabs kept. */
export function safeLines(text: string): string {
  return text.replace(CONTROLS_BUT_LINES, '');
}
