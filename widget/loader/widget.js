// The one script a site embeds:
//   <script src="https://EDGE/widget.js" data-site="SITE_KEY" async></script>
// It must never break or block the host page: it defines one global, `ChatWidget`, makes a
// host element with an open shadow root, and loads the widget module from the same place it
// came from. Calls made before the module is ready are queued and replayed, including those
// a page queued before this script ran (`window.ChatWidget = [['open']]`).
(function () {
  var w = window;
  var d = document;
  var earlier = w.ChatWidget;
  // A second copy of the tag, or a single-page app re-running it, must not mount twice.
  if (earlier && earlier.loaded) return;
  var script = d.currentScript;
  if (!script || !script.src) return;
  var data = script.dataset;
  var queue = Array.isArray(earlier) ? earlier.slice() : [];
  var listeners = {};
  var widget;

  function later(name) {
    return function () {
      var args = [].slice.call(arguments);
      if (widget) widget[name].apply(widget, args);
      else queue.push([name].concat(args));
    };
  }

  var api = {
    loaded: true,
    open: later('open'),
    close: later('close'),
    toggle: later('toggle'),
    identify: later('identify'),
    on: function (event, fn) {
      (listeners[event] = listeners[event] || []).push(fn);
    },
    off: function (event, fn) {
      listeners[event] = (listeners[event] || []).filter(function (f) { return f !== fn; });
    },
  };
  w.ChatWidget = api;

  function emit(event, detail) {
    (listeners[event] || []).forEach(function (fn) {
      // A page's listener that throws must not break the widget.
      try { fn(detail); } catch (e) { setTimeout(function () { throw e; }); }
    });
  }

  var host = d.createElement('chat-widget');
  host.setAttribute('data-chat-widget', '');
  var root = host.attachShadow({ mode: 'open' });
  // The host goes beside <body>, not into it: a page's zoom or transform on <body> does not
  // reach the widget, and single-page apps and Turbo that replace <body>, or clone it and put
  // the clone back, neither remove nor copy it. Should a page still take it out, it goes back.
  var html = d.documentElement;
  function attach() {
    if (!host.isConnected) html.appendChild(host);
  }
  new MutationObserver(attach).observe(html, { childList: true });
  attach();

  var base = new URL('.', script.src).href;
  import(base + CORE + '.js')
    .then(function (m) {
      return m.default({ module_or_path: base + CORE + '_bg.wasm' }).then(function () {
        widget = m.start(root, {
          site: data.site,
          edge: new URL(script.src).origin,
          position: data.position,
          color: data.color,
          open: data.open !== undefined && data.open !== 'false',
          lang: data.lang,
        }, emit);
        queue.forEach(function (call) { api[call[0]].apply(api, call.slice(1)); });
        queue = [];
      });
    })
    .catch(function (e) {
      console.warn('ChatWidget could not load:', e);
    });
})();
