/** The login page's words; Chinese for browsers that prefer it (the first users write Chinese). */
const TEXT = {
  en: {
    lang: 'en',
    title: 'Voxgate: log in',
    heading: 'This Voxgate is closed with a password',
    label: 'Password',
    submit: 'Log in',
    wrong: 'Wrong password. Try again.',
    throttled: 'Too many wrong passwords. Wait a few minutes, then try again.',
    loggedOut: 'You are logged out.',
  },
  zh: {
    lang: 'zh-CN',
    title: 'Voxgate：登录',
    heading: '此 Voxgate 需要密码才能使用',
    label: '密码',
    submit: '登录',
    wrong: '密码错误，请重试。',
    throttled: '密码错误次数过多，请等几分钟后再试。',
    loggedOut: '已退出登录。',
  },
} as const;

export type LoginNotice = 'wrong' | 'throttled' | 'loggedOut';

/** Chinese when the browser ranks any `zh` above English (or names no English at all). */
export function pickLanguage(acceptLanguage: string | undefined): keyof typeof TEXT {
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part) => {
      const [tag = '', ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => /^q=([\d.]+)$/.exec(p.trim())?.[1]).find((v) => v !== undefined);
      return { tag, q: q === undefined ? 1 : Number(q) };
    })
    .filter((entry) => entry.tag !== '' && entry.q > 0)
    .sort((a, b) => b.q - a.q);
  const first = ranked.find((entry) => entry.tag.startsWith('zh') || entry.tag.startsWith('en'));
  return first?.tag.startsWith('zh') ? 'zh' : 'en';
}

/**
 * A plain HTML form posting to `/login`: no script at all, and its stylesheet is a file, so it
 * works under the gateway's CSP. Nothing from the request is echoed into it.
 */
export function loginPage(language: keyof typeof TEXT, notice?: LoginNotice): string {
  const t = TEXT[language];
  const message = notice === undefined ? '' : `\n      <p class="notice" role="alert">${t[notice]}</p>`;
  return `<!doctype html>
<html lang="${t.lang}">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="color-scheme" content="light dark" />
    <title>${t.title}</title>
    <link rel="stylesheet" href="/login.css" />
  </head>
  <body>
    <main>
      <h1>${t.heading}</h1>${message}
      <form method="post" action="/login">
        <label for="password">${t.label}</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required autofocus />
        <button type="submit">${t.submit}</button>
      </form>
    </main>
  </body>
</html>
`;
}

export const LOGIN_CSS = `body { font-family: system-ui, sans-serif; display: grid; place-items: center; min-height: 100vh; margin: 0; }
main { width: min(22rem, 90vw); }
h1 { font-size: 1.2rem; }
form { display: grid; gap: 0.6rem; }
input, button { font: inherit; padding: 0.5rem; }
.notice { color: #b3261e; }
`;
