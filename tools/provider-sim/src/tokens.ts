// A token is a short word-piece: leading whitespace plus up to four letters or digits, one CJK
// character, or one punctuation mark. That is close enough to real tokenizers for pacing and usage
// to look right, and the pieces always join back into the exact text.
const TOKEN =
  /\s*(?:[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]|(?:(?![\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}])[\p{L}\p{N}\p{M}]){1,4}|[^\s\p{L}\p{N}\p{M}])|\s+$/gu;

/** Splits `text` into tokens; `tokenize(text).join('') === text` always holds. */
export function tokenize(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

/** How many tokens `text` counts as, for usage figures. */
export function countTokens(text: string): number {
  return tokenize(text).length;
}
