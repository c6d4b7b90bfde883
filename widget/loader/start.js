// The widget's start, which dev/build-widget bundles with wasm-bindgen's glue into the core
// module: only pages whose visitor reaches for the chat load it, so what the loader
// (widget.js) can leave to it lives here.
import init, { start } from './widget-core.js';

// Starts the widget in `root` with the wasm at `wasm`. `options` are those widget.rs's `start`
// takes; without a config (the console's preview passes its draft), the site's is asked for
// here, while the wasm loads. `ChatWidget.on` and `off` come here through the loader's queue.
export const boot = async (root, options, wasm) => {
  const config =
    options.config ||
    fetch(options.edge + '/v1/widget/config?site=' + encodeURIComponent(options.site)).then(
      (r) => (r.ok ? r.text() : null),
      () => null,
    );
  await init({ module_or_path: wasm });
  const listeners = {};
  const widget = start(root, { ...options, config }, (event, detail) =>
    (listeners[event] || []).forEach((fn) => {
      // A page's listener that throws must not break the widget.
      try {
        fn(detail);
      } catch (e) {
        setTimeout(() => {
          throw e;
        });
      }
    }),
  );
  widget.on = (event, fn) => (listeners[event] = listeners[event] || []).push(fn);
  widget.off = (event, fn) => (listeners[event] = (listeners[event] || []).filter((f) => f !== fn));
  return widget;
};
