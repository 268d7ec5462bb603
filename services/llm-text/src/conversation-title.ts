import { randomBytes } from 'node:crypto';
import type { ChatMessage } from '@voxgate/protocol';

/** Words of the first message a new conversation is titled with. */
const TITLE_WORDS = 8;
const TITLE_MAX_CHARS = 60;

/** A fresh id matching the protocol's id pattern (16 URL-safe characters, 96 random bits). */
export function newId(): string {
  return randomBytes(12).toString('base64url');
}

/**
 * The first words of the user's text; Chinese has no spaces, so the character cap does the work
 * there. A message without text is titled by what it carries.
 */
export function titleFrom(message: ChatMessage): string {
  const text = message.content
    .flatMap((p) => (p.type === 'text' ? [p.text] : []))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (text === '') return message.content.some((p) => p.type === 'audio') ? 'Voice message' : 'Image';
  const words = text.split(' ');
  const title = words.slice(0, TITLE_WORDS).join(' ');
  const cut = title.length > TITLE_MAX_CHARS ? `${title.slice(0, TITLE_MAX_CHARS).trimEnd()}…` : title;
  return words.length > TITLE_WORDS && cut === title ? `${title}…` : cut;
}
