import { readPref, writePref } from '../prefs.js';
import { en, type MessageKey, type Messages } from './en.js';
import { zh } from './zh.js';

export type { MessageKey } from './en.js';

export type Lang = 'en' | 'zh';

/** Languages in the order the switch shows them, each named in its own language. */
export const LANGS: readonly { lang: Lang; name: string; htmlLang: string }[] = [
  { lang: 'en', name: 'English', htmlLang: 'en' },
  { lang: 'zh', name: '中文', htmlLang: 'zh-CN' },
];

const catalogues: Record<Lang, Messages> = { en, zh };

function isLang(value: string | undefined): value is Lang {
  return value === 'en' || value === 'zh';
}

/** A remembered choice wins; otherwise the browser's first language decides. */
function initialLang(): Lang {
  const saved = readPref('lang');
  if (isLang(saved)) return saved;
  const preferred = navigator.languages?.[0] ?? navigator.language ?? 'en';
  return preferred.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

let current: Lang = initialLang();
const listeners = new Set<(lang: Lang) => void>();

export function currentLang(): Lang {
  return current;
}

export function setLang(lang: Lang): void {
  if (lang === current) return;
  current = lang;
  writePref('lang', lang);
  applyToDocument();
  for (const listener of listeners) listener(lang);
}

/** Calls `listener` after every language change; returns the unsubscribe function. */
export function onLangChange(listener: (lang: Lang) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Screen readers and font selection (CJK glyph variants) follow `<html lang>`. */
export function applyToDocument(): void {
  const entry = LANGS.find((l) => l.lang === current);
  document.documentElement.lang = entry?.htmlLang ?? current;
}

export type Vars = Readonly<Record<string, string | number>>;

export function t(key: MessageKey, vars?: Vars): string {
  const template = catalogues[current][key];
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = vars[name];
    return value === undefined ? whole : String(value);
  });
}

/** "1 instance" / "2 instances"; Chinese has one form, English two. */
export function tCount(base: 'status.instances', count: number): string {
  const form = new Intl.PluralRules(current).select(count) === 'one' ? 'one' : 'other';
  return t(`${base}.${form}`, { count });
}

export function formatTime(date: Date): string {
  return new Intl.DateTimeFormat(current === 'zh' ? 'zh-CN' : 'en', { timeStyle: 'medium' }).format(date);
}
