import { type MessageKey, t, type Vars } from '../i18n/index.js';

interface Entry {
  element: Element;
  /** `undefined`: the element's text; otherwise the attribute to set. */
  attr: string | undefined;
  key: MessageKey;
  vars: Vars | undefined;
}

/**
 * Words the chat view puts on elements it keeps (buttons, states, system messages), remembered so
 * that a language switch re-words them in place: messages and scroll position stay as they are.
 */
export class Labels {
  private entries: Entry[] = [];

  text<E extends Element>(element: E, key: MessageKey, vars?: Vars): E {
    return this.set(element, undefined, key, vars);
  }

  attr<E extends Element>(element: E, attr: string, key: MessageKey, vars?: Vars): E {
    return this.set(element, attr, key, vars);
  }

  /** Removes a worded attribute (or text) and forgets it, so a language switch does not bring it back. */
  clear(element: Element, attr: string | undefined): void {
    this.entries = this.entries.filter((e) => !(e.element === element && e.attr === attr));
    if (attr === undefined) element.textContent = '';
    else element.removeAttribute(attr);
  }

  /** Re-words everything still on the page and forgets what is gone. */
  apply(): void {
    this.entries = this.entries.filter((entry) => entry.element.isConnected);
    for (const entry of this.entries) write(entry);
  }

  private set<E extends Element>(element: E, attr: string | undefined, key: MessageKey, vars: Vars | undefined): E {
    const entry = { element, attr, key, vars };
    const at = this.entries.findIndex((e) => e.element === element && e.attr === attr);
    if (at >= 0) this.entries[at] = entry;
    else {
      // Elements that left the page are dropped now and then, so long chats do not pile them up
      // (the newest are kept: they may be built but not attached yet).
      if (this.entries.length > 400) this.entries = this.entries.filter((e, i, all) => e.element.isConnected || i >= all.length - 50);
      this.entries.push(entry);
    }
    write(entry);
    return element;
  }
}

function write(entry: Entry): void {
  const text = t(entry.key, entry.vars);
  if (entry.attr === undefined) entry.element.textContent = text;
  else entry.element.setAttribute(entry.attr, text);
}
