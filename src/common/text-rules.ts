/** C0 controls except tab, newline and carriage return; DEL and C1 controls. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const LINE_BREAK_OR_TAB = /[\t\n\r\u2028\u2029]/;
/** Bidi embeddings, overrides and isolates: they can make a name read as something else. */
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a string from a request may not be stored at all, or null when it may. */
export function unstorableReason(value: string): string | null {
  if (value.includes('\u0000')) {
    return 'contains a NUL character';
  }
  if (LONE_SURROGATE.test(value)) {
    return 'contains an unpaired surrogate (not valid Unicode)';
  }
  if (CONTROL.test(value)) {
    return 'contains a control character';
  }
  return null;
}

/** For names, emails, titles: one line, no bidi tricks. */
export function singleLineReason(value: string): string | null {
  if (LINE_BREAK_OR_TAB.test(value)) {
    return 'must be a single line';
  }
  if (BIDI_CONTROL.test(value)) {
    return 'contains a bidirectional control character';
  }
  return unstorableReason(value);
}

/**
 * Length in code points, as the API counts it: a surrogate pair is one, a lone surrogate one too
 * (what `Array.from(value).length` gives, without an array of up to 10,000 one-character
 * strings for every body validated).
 */
export function codePointLength(value: string): number {
  let length = value.length;
  for (let i = 0; i < value.length - 1; i += 1) {
    const unit = value.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        length -= 1;
        i += 1;
      }
    }
  }
  return length;
}

/**
 * Format characters (Unicode Cf: zero-width spaces and joiners, bidi marks, soft hyphens, tags…)
 * are invisible: in an address they make two look-alike addresses differ.
 */
const FORMAT_CHARACTER = /\p{Cf}/u;

export function invisibleCharacterReason(value: string): string | null {
  return FORMAT_CHARACTER.test(value) ? 'contains an invisible (format) character' : null;
}

/**
 * Characters that draw nothing: whitespace, separators, controls, format characters, combining
 * marks on their own, and the blank letters (Hangul fillers, the Braille blank).
 */
const BLANK = /^[\s\p{Z}\p{Cc}\p{Cf}\p{M}\u115f\u1160\u3164\uffa0\u2800]*$/u;

/** Whether the text shows at least one visible character (a name made of blanks names no one). */
export function hasVisibleCharacter(value: string): boolean {
  return !BLANK.test(value);
}
