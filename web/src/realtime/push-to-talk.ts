/**
 * Push-to-talk: hold the button (mouse, touch, pen) or the space bar. Pointer capture keeps the
 * press alive when the pointer slides off the button; a lost window focus counts as a release,
 * so a turn never stays open by accident.
 */
export interface PushToTalk {
  setEnabled(enabled: boolean): void;
  destroy(): void;
}

export function pushToTalk(button: HTMLButtonElement, handlers: { press(): void; release(): void }): PushToTalk {
  let enabled = false;
  let held: 'pointer' | 'key' | undefined;
  const press = (how: 'pointer' | 'key') => {
    if (!enabled || held) return;
    held = how;
    button.setAttribute('aria-pressed', 'true');
    handlers.press();
  };
  const release = (how: 'pointer' | 'key' | 'any') => {
    if (!held || (how !== 'any' && how !== held)) return;
    held = undefined;
    button.setAttribute('aria-pressed', 'false');
    handlers.release();
  };
  const onPointerDown = (event: PointerEvent) => {
    if (event.button !== 0) return;
    event.preventDefault();
    button.setPointerCapture(event.pointerId);
    press('pointer');
  };
  const onPointerUp = () => release('pointer');
  /** Space anywhere except where it types or presses something else. */
  const typing = (target: EventTarget | null) =>
    target instanceof HTMLElement && target !== button && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(target.tagName));
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.code !== 'Space' || event.repeat || typing(event.target) || event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    press('key');
  };
  const onKeyUp = (event: KeyboardEvent) => {
    if (event.code !== 'Space' || held !== 'key') return;
    event.preventDefault();
    release('key');
  };
  const onBlur = () => release('any');
  // The button's own click (Enter on it) must not toggle anything.
  const onClick = (event: MouseEvent) => event.preventDefault();
  button.addEventListener('pointerdown', onPointerDown);
  button.addEventListener('pointerup', onPointerUp);
  button.addEventListener('pointercancel', onPointerUp);
  button.addEventListener('click', onClick);
  window.addEventListener('keydown', onKeyDown);
  window.addEventListener('keyup', onKeyUp);
  window.addEventListener('blur', onBlur);
  return {
    setEnabled(next) {
      enabled = next;
      if (!next) release('any');
    },
    destroy() {
      release('any');
      button.removeEventListener('pointerdown', onPointerDown);
      button.removeEventListener('pointerup', onPointerUp);
      button.removeEventListener('pointercancel', onPointerUp);
      button.removeEventListener('click', onClick);
      window.removeEventListener('keydown', onKeyDown);
      window.removeEventListener('keyup', onKeyUp);
      window.removeEventListener('blur', onBlur);
    },
  };
}
