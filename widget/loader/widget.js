// The one script a site embeds:
//   <script src="https://EDGE/v1/widget.js?site=SITE_KEY" async></script>
// (the edge writes the site's key and the launcher's look for the page before this script,
// as the tag's `data-site` and `data-look`), or this file as it is:
//   <script src="https://EDGE/widget.js" data-site="SITE_KEY" async></script>
// It must never break or block the host page, and it is all a page pays for until a visitor
// reaches for the chat, so every byte counts. It defines one global, `ChatWidget`, makes a
// host element with an open shadow root and draws the launcher there: in the look written in,
// else as this browser last saw it at once, else as soon as the edge says how it looks
// (GET /v1/widget/look, which applies the tag's data- attributes and the visitor's languages,
// so the rules are not carried here).
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
  let widget, started, asked, loaded, unread, look, draft, drafted;

  const later = (name) => (...args) => {
    if (widget) return widget[name](...args);
    queue.push([name, ...args]);
    if (name == 'open' || name == 'toggle') ask();
  };
  const api = (w.ChatWidget = { loaded: 1 });
  for (const name of ['open', 'close', 'toggle', 'identify', 'on', 'off']) api[name] = later(name);

  // The widget's own keys in the site's localStorage (widget/src/storage.rs), and the look.
  const key = 'chat-widget:' + data.site + ':';
  const stored = (name) => {
    try {
      return localStorage.getItem(key + name);
    } catch (e) {}
  };

  // The launcher's look, written in or asked for at once (a first visit shows the launcher
  // with it); one asked for is drawn and kept for the next page's first frame. In the console's
  // preview frame (`data-preview`), the settings are the drafts the console posts, and the
  // widget draws them itself.
  const drafts = new Promise((resolve) => (drafted = resolve));
  if (data.preview)
    w.addEventListener('message', (e) => {
      if (e.source == w.parent && e.origin == location.origin) widget ? widget.preview(e.data) : drafted((draft = e.data));
    });
  const looked =
    data.preview ||
    (data.look
      ? (look = JSON.parse(data.look))
      : fetch(edge + '/v1/widget/look?' + new URLSearchParams({ site: data.site, color: data.color || '', position: data.position || '', lang: data.lang || '' }))
          .then((r) => r.ok && r.text())
          .then((text) => {
            try {
              if (text) draw((look = JSON.parse(text))), localStorage.setItem(key + 'look', text);
            } catch (e) {}
          }, () => 0));

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
    '.launcher{position:fixed;bottom:20px;right:20px;width:56px;height:56px;border:0;padding:0;border-radius:28px;background:var(--cw-primary);color:var(--cw-on-primary);box-shadow:0 4px 14px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center;cursor:pointer;z-index:2147483000}' +
    '.left .launcher{right:auto;left:20px}' +
    '.launcher svg{width:26px;height:26px;fill:currentColor}' +
    '.badge{position:absolute;top:-4px;right:-4px;box-sizing:border-box;min-width:20px;height:20px;padding:0 6px;border-radius:10px;background:#dc2626;color:#fff;font:600 12px/20px system-ui,sans-serif;text-align:center}' +
    ':focus-visible{outline:2px solid #1d4ed8;outline-offset:2px}' +
    // On a phone, a page laid out wider than the screen gets a launcher scaled to the phone.
    `@media ${PHONE}{.launcher{transform:scale(calc(var(--cw-scale,1)));transform-origin:calc(100% + 20px) calc(100% + 20px)}` +
    '.left .launcher{transform-origin:-20px calc(100% + 20px)}}';
  // The colours are this script's alone (the widget's stylesheet reads them).
  const draw = (look) => {
    sheet.replaceSync(CSS + `.cw{--cw-primary:${look.primary || '#2563eb'};--cw-on-primary:${look.on_primary || '#fff'}}`);
    frame.classList.toggle('left', look.position == 'bottom-left');
    frame.lang = look.lang || 'en';
    frame.dir = look.dir || 'ltr';
    button.setAttribute('aria-label', (look.open_chat || 'Open chat') + (unread ? ` (${unread} ${look.unread || 'unread'})` : ''));
  };
  // Hidden until `restore` draws it.
  frame.style.visibility = 'hidden';

  // The host goes beside <body>, not into it: a page's zoom or transform on <body> does not
  // reach the widget, and single-page apps and Turbo that replace <body>, or clone it and put
  // the clone back, neither remove nor copy it. Should a page still take it out, it goes back.
  // Put in the page, like the rest below, in a task of its own: a cold page's first script can
  // take the browser several ms a step, which should not add up in one long task.
  const html = d.documentElement;
  const attach = () => host.isConnected || html.appendChild(host);
  const soon = (then) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = then;
    channel.port2.postMessage(0);
  };
  soon(() => {
    new MutationObserver(attach).observe(html, { childList: true });
    attach();
    // A page without <meta name="viewport"> is laid out wider than a phone and shown shrunk;
    // components/mod.rs keeps this up to date once the widget runs. Reading the viewport's
    // sizes makes the browser lay the page out there and then, so they are read on a phone
    // only, and just before the frame is drawn, when the page is laid out for it anyway.
    const v = w.visualViewport;
    if (v && matchMedia(PHONE).matches)
      requestAnimationFrame(() => {
        const screen = Math.round(v.width * v.scale);
        const page = html.clientWidth;
        if (screen && page > screen) frame.style.setProperty('--cw-scale', page + '/' + screen);
      });
    // With the look written in, the launcher is drawn in this same task: a task more can cost
    // the launcher a frame, and this one has room.
    look ? restore() : soon(restore);
  });

  // The edge's root, where the static files are: the tag's script is under /v1/.
  const base = edge + '/';
  // The core (widget/loader/start.js with the wasm's glue) asks for the site's config while
  // the wasm loads; in the preview, its config is the console's first draft.
  const start = () => {
    if (started) return;
    started = 1;
    import(base + CORE + '.js')
      .then((m) => m.boot(root, { ...data, edge, open, config: data.preview && drafts }, base + CORE + '_bg.wasm'))
      .then((ready) => {
        widget = ready;
        // A draft posted while the widget loaded.
        if (draft) widget.preview(draft);
        queue.forEach((call) => api[call[0]](...call.slice(1)));
        queue = [];
      })
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
  // before the launcher shows, in a task of its own unless the look was written in: a page's
  // first read of its localStorage can take several ms too.
  const restore = () => {
    unread = +stored('unread');
    if (unread) el(button, 'span', { class: 'badge', 'aria-hidden': 'true' }).textContent = unread;
    let saved;
    try {
      saved = JSON.parse(stored('look'));
    } catch (e) {}
    draw(look || saved || {});
    // On a first visit the launcher shows with the site's look (or after a second without it)
    // rather than first in other colours or on the other side; the preview's is the widget's.
    const show = () => (frame.style.visibility = '');
    if (look || saved) show();
    else if (looked.then) looked.then(show), setTimeout(show, 1000);
    if (open || stored('open') || unread || queue.some((c) => c[0] == 'open' || c[0] == 'toggle')) ask();
  };
  const onLoad = () => {
    loaded = 1;
    if (asked) start();
    else if (w.requestIdleCallback) requestIdleCallback(start, { timeout: 5000 });
    else setTimeout(start, 500);
  };
  if (d.readyState == 'complete') onLoad();
  else w.addEventListener('load', onLoad);
})();
