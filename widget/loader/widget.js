// The one script a site embeds:
//   <script src="https://EDGE/widget.js" data-site="SITE_KEY" async></script>
// It must never break or block the host page, and it is all a page pays for until a visitor
// reaches for the chat, so every byte counts. It defines one global, `ChatWidget`, makes a
// host element with an open shadow root and draws the launcher there at once, in the site's
// colour and place (the data- attributes, else the site's config as this browser last saw it).
// The widget itself (wasm) is fetched and started only when the visitor reaches for it
// (pointer over or focus on the launcher, a click), when the page asks for it (`open`,
// `toggle`, `data-open`, a panel left open or an unread reply on the site's last page: from
// the page's `load` event on), or when the browser is first idle after `load`. It takes the
// launcher over in place. Calls made before then are queued and replayed, including those a
// page queued before this script ran (`window.ChatWidget = [['open']]`), and a click on the
// launcher opens the panel as soon as the widget is ready.
(() => {
  const w = window;
  const d = document;
  const earlier = w.ChatWidget;
  // A second copy of the tag, or a single-page app re-running it, must not mount twice.
  if (earlier && earlier.loaded) return;
  const script = d.currentScript;
  if (!script || !script.src) return;
  const data = script.dataset;
  const edge = new URL(script.src).origin;
  let queue = Array.isArray(earlier) ? earlier.slice() : [];
  const listeners = {};
  let widget, started, asked, loaded, unread, look;

  const later = (name) => (...args) => {
    if (widget) return widget[name](...args);
    queue.push([name, ...args]);
    if (name == 'open' || name == 'toggle') ask();
  };
  const api = (w.ChatWidget = {
    loaded: 1,
    open: later('open'),
    close: later('close'),
    toggle: later('toggle'),
    identify: later('identify'),
    on: (event, fn) => (listeners[event] = listeners[event] || []).push(fn),
    off: (event, fn) => (listeners[event] = (listeners[event] || []).filter((f) => f !== fn)),
  });
  const emit = (event, detail) =>
    (listeners[event] || []).forEach((fn) => {
      // A page's listener that throws must not break the widget.
      try {
        fn(detail);
      } catch (e) {
        setTimeout(() => {
          throw e;
        });
      }
    });

  // The widget's own keys in the site's localStorage (widget/src/storage.rs), and the config.
  const key = 'chat-widget:' + data.site + ':';
  const stored = (name) => {
    try {
      return localStorage.getItem(key + name);
    } catch (e) {}
  };

  // The site's config, asked for at once (it is small, and a first visit shows the launcher
  // with it), drawn (also under a widget already started: the look is this script's alone),
  // kept for the next page's first frame and handed to the widget when it starts (its text, or
  // null when the edge refused). In the console's preview frame (`data-preview`), it is the
  // draft the console posts, again at each change.
  let draft;
  const config = data.preview
    ? new Promise((resolve) =>
        w.addEventListener('message', (e) => {
          if (e.source == w.parent && e.origin == location.origin) {
            draw((look = JSON.parse((draft = e.data))));
            widget ? widget.preview(draft) : resolve(draft);
          }
        }),
      )
    : fetch(edge + '/v1/widget/config?site=' + encodeURIComponent(data.site))
        .then((r) => (r.ok ? r.text() : null))
        .then((text) => {
          try {
            if (text) draw((look = JSON.parse(text))), localStorage.setItem(key + 'config', text);
          } catch (e) {}
          return text;
        }, () => null);

  // The host, the widget's root element and its launcher, as the widget draws them
  // (components/launcher.rs takes the button over).
  const host = d.createElement('chat-widget');
  host.setAttribute('data-chat-widget', '');
  const root = host.attachShadow({ mode: 'open' });
  const sheet = new CSSStyleSheet();
  root.adoptedStyleSheets = [sheet];
  const el = (parent, tag, attrs, svg) => {
    const e = svg ? d.createElementNS('http://www.w3.org/2000/svg', tag) : d.createElement(tag);
    for (const name in attrs) e.setAttribute(name, attrs[name]);
    return parent.appendChild(e);
  };
  const frame = el(root, 'div', { class: 'cw' });
  const button = el(frame, 'button', { class: 'launcher', type: 'button', 'aria-expanded': 'false' });
  const icon = el(button, 'svg', { viewBox: '0 0 24 24', 'aria-hidden': 'true', focusable: 'false' }, 1);
  el(icon, 'path', { d: 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z' }, 1);

  // What the page shows before the widget starts; the widget's stylesheet (style.rs) adds to it.
  // Nothing the widget draws has ::before or ::after.
  const PHONE = '(max-width:480px),(pointer:coarse) and (max-device-width:480px)';
  const CSS =
    ':host{all:initial!important;display:block!important}' +
    '.cw{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1f2937;text-align:start;letter-spacing:normal;-webkit-font-smoothing:antialiased}' +
    '.cw *{box-sizing:border-box;margin:0;padding:0;font-size:inherit;line-height:inherit;color:inherit}' +
    'button{font:inherit;cursor:pointer;border:0;background:none}' +
    'svg{display:block}' +
    '.launcher{position:fixed;bottom:20px;right:20px;width:56px;height:56px;border-radius:28px;background:var(--cw-primary);color:var(--cw-on-primary);box-shadow:0 4px 14px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center;z-index:2147483000}' +
    '.left .launcher{right:auto;left:20px}' +
    '.launcher svg{width:26px;height:26px;fill:currentColor}' +
    '.badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 6px;border-radius:10px;background:#dc2626;color:#fff;font-size:12px;font-weight:600;line-height:20px;text-align:center}' +
    ':focus-visible{outline:2px solid #1d4ed8;outline-offset:2px}' +
    // On a phone, a page laid out wider than the screen gets a launcher scaled to the phone.
    `@media ${PHONE}{.launcher{transform:scale(calc(var(--cw-scale,1)));transform-origin:calc(100% + 20px) calc(100% + 20px)}` +
    '.left .launcher{transform-origin:-20px calc(100% + 20px)}}';
  // The launcher's name in each language the widget speaks (i18n.rs: open_chat, unread).
  const LANGS = ['en', 'de', 'es', 'ar'];
  const OPEN_CHAT = ['Open chat', 'Chat öffnen', 'Abrir chat', 'فتح المحادثة'];
  const UNREAD = ['unread', 'ungelesen', 'sin leer', 'غير مقروءة'];

  const colour = (c) => /^#([\da-f]{3}){1,2}$/i.test((c = String(c || '').trim())) && c;
  // Black or white text on `hex`, whichever contrasts more (WCAG relative luminance: contrast
  // against white is 1.05 / (l + 0.05), against black (l + 0.05) / 0.05). Pure black, so the
  // better of the two always meets WCAG AA: 4.58:1 at worst (shared::config::readable_on).
  const readable = (hex, l = 0, n = hex.length > 4 ? 2 : 1) => {
    [0.2126, 0.7152, 0.0722].forEach((k, i) => {
      const c = parseInt(hex.substr(1 + i * n, n).repeat(3 - n), 16) / 255;
      l += k * (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    });
    return 1.05 / (l + 0.05) >= (l + 0.05) / 0.05 ? '#fff' : '#000';
  };
  // The look of `config` under the data- attributes: the colours (this script's alone; the
  // widget's stylesheet reads them), and the side, language and launcher's name, chosen as
  // components/ and i18n.rs choose them.
  const draw = (config) => {
    const theme = config.theme || {};
    const forced = colour(data.color);
    const primary = forced || colour(theme.primary) || '#2563eb';
    const text = (!forced && colour(theme.on_primary)) || readable(primary);
    sheet.replaceSync(CSS + `.cw{--cw-primary:${primary};--cw-on-primary:${text}}`);
    const side = /^(bottom-)?(left|right)$/.exec(data.position);
    frame.classList.toggle('left', side ? side[2] == 'left' : config.position == 'bottom-left');
    const tags = [data.lang, config.language ?? 'en', ...navigator.languages];
    const lang = tags.map((t) => LANGS.indexOf(String(t || '').trim().split(/[-_]/)[0].toLowerCase())).find((i) => i >= 0) || 0;
    frame.lang = LANGS[lang];
    frame.dir = lang == 3 ? 'rtl' : 'ltr';
    button.setAttribute('aria-label', OPEN_CHAT[lang] + (unread ? ` (${unread} ${UNREAD[lang]})` : ''));
  };
  draw({});
  frame.style.visibility = 'hidden';
  // A page without <meta name="viewport"> is laid out wider than a phone and shown shrunk;
  // components/mod.rs keeps this up to date once the widget runs. Reading the viewport's sizes
  // makes the browser lay the page out there and then, so they are read on a phone only, and
  // just before the frame is drawn, when the page is laid out for it anyway.
  const v = w.visualViewport;
  if (v && matchMedia(PHONE).matches)
    requestAnimationFrame(() => {
      const screen = Math.round(v.width * v.scale);
      const page = d.documentElement.clientWidth;
      if (screen && page > screen) frame.style.setProperty('--cw-scale', page + '/' + screen);
    });

  // The host goes beside <body>, not into it: a page's zoom or transform on <body> does not
  // reach the widget, and single-page apps and Turbo that replace <body>, or clone it and put
  // the clone back, neither remove nor copy it. Should a page still take it out, it goes back.
  const html = d.documentElement;
  const attach = () => host.isConnected || html.appendChild(host);
  new MutationObserver(attach).observe(html, { childList: true });
  attach();

  const base = new URL('.', script.src).href;
  const start = () => {
    if (started) return;
    started = 1;
    import(base + CORE + '.js')
      .then((m) =>
        m.default({ module_or_path: base + CORE + '_bg.wasm' }).then(() => {
          widget = m.start(root, { ...data, edge, open, config }, emit);
          // A draft posted while the widget loaded.
          if (draft) widget.preview(draft);
          queue.forEach((call) => api[call[0]](...call.slice(1)));
          queue = [];
        }),
      )
      .catch((e) => {
        // A later intent tries again.
        started = 0;
        console.warn('ChatWidget:', e);
      });
  };
  // The visitor reaching for the launcher starts the widget at once; a click before it is
  // ready opens the panel once it is (then the widget's own listener takes clicks).
  button.addEventListener('pointerover', start);
  button.addEventListener('focus', start);
  button.addEventListener('click', () => widget || (queue.push(['open']), start()));
  // What the page or the site's last page asks for starts the widget from `load` on; else the
  // browser's first idle moment after `load` does.
  const ask = () => (asked = 1) && loaded && start();
  const open = data.open != null && data.open != 'false';
  // What this browser keeps of the site (its look, an unread reply, a panel left open) is read
  // in a task of its own, before the launcher shows: a page's first read of its localStorage can
  // take several ms, which the page's loading should not wait for in one piece with the rest.
  const restore = () => {
    unread = +stored('unread');
    if (unread) el(button, 'span', { class: 'badge', 'aria-hidden': 'true' }).textContent = unread;
    let saved;
    try {
      saved = JSON.parse(stored('config'));
    } catch (e) {}
    draw(look || saved || {});
    // On a first visit the site's look comes with its config, so the launcher shows with it (or
    // after a second without it) rather than first in other colours or on the other side.
    const show = () => (frame.style.visibility = '');
    if (look || saved || (data.color && data.position)) show();
    else config.then(show), setTimeout(show, 1000);
    if (open || stored('open') || unread || queue.some((c) => c[0] == 'open' || c[0] == 'toggle')) ask();
  };
  const channel = new MessageChannel();
  channel.port1.onmessage = restore;
  channel.port2.postMessage(0);
  const onLoad = () => {
    loaded = 1;
    if (asked) start();
    else if (w.requestIdleCallback) requestIdleCallback(start, { timeout: 5000 });
    else setTimeout(start, 500);
  };
  if (d.readyState == 'complete') onLoad();
  else w.addEventListener('load', onLoad);
})();
