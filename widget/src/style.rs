//! The widget's look, kept inside its shadow root: one constructed stylesheet (allowed under a
//! strict `style-src` CSP, unlike `<style>` or `style=""`). The site's colours are the loader's
//! (`--cw-primary`, `--cw-on-primary`, set on the root element from the parsed colours, so config
//! can never smuggle CSS in).

/// The panel's look. The loader's stylesheet comes first (`loader/widget.js`): the launcher, which
/// it draws before the widget starts. The resets here come later but weigh nothing (`:where`), so
/// every other rule, the loader's included, wins over them.
/// Everything is in px: a host page's `html { font-size }` must not scale the widget. The phone
/// rule is for narrow windows and for phones, known by their screen and touch rather than the
/// page's width, which is 980 px on a page without `<meta name="viewport">`. Sides follow the
/// widget's direction (`start`, `inline`), except where the panel sits.
pub const SHEET: &str = r#"
.cw{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1f2937;text-align:start;letter-spacing:normal;-webkit-font-smoothing:antialiased}
:where(.cw *){box-sizing:border-box;margin:0;padding:0;font-size:inherit;line-height:inherit;color:inherit}
:where(.cw button){font:inherit;cursor:pointer;border:0;background:none}
:where(.cw svg){display:block}
.panel{position:fixed;bottom:88px;right:20px;width:380px;height:600px;max-height:calc(100vh - 108px);background:#fff;border-radius:14px;box-shadow:0 12px 40px rgba(0,0,0,.22);display:flex;flex-direction:column;overflow:hidden;z-index:2147483000}
.left .panel{right:auto;left:20px}
[hidden]{display:none!important}
.head{display:flex;align-items:center;gap:4px;padding:12px;padding-inline:16px 8px;background:var(--cw-primary);color:var(--cw-on-primary)}
.head h2{flex:1;font-size:16px;font-weight:600}
.icon{width:34px;height:34px;border-radius:8px;display:inline-flex;align-items:center;justify-content:center}
.icon svg{width:18px;height:18px;fill:currentColor}
.icon:hover{background:rgba(127,127,127,.2)}
.log{flex:1;overflow-y:auto;padding:16px;display:flex;flex-direction:column;gap:10px;background:#f9fafb}
.msg{max-width:85%;padding:9px 12px;border-radius:12px;overflow-wrap:anywhere}
.user{align-self:flex-end;background:var(--cw-primary);color:var(--cw-on-primary);border-end-end-radius:4px;white-space:pre-wrap}
.assistant{align-self:flex-start;background:#fff;border:1px solid #e5e7eb;border-end-start-radius:4px}
.md>*+*{margin-top:8px}
.md ul,.md ol{padding-inline-start:20px}
.md code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f3f4f6;border-radius:4px;padding:1px 4px}
.md pre{background:#111827;color:#f9fafb;padding:10px;border-radius:8px;overflow-x:auto}
.md pre code{background:none;padding:0;color:inherit}
.md a{color:#1d4ed8;text-decoration:underline}
.md blockquote{border-inline-start:3px solid #d1d5db;padding-inline-start:10px;color:#4b5563}
.md hr{border:0;border-top:1px solid #e5e7eb}
.md strong,.md .h{font-weight:700}
.md em{font-style:italic}
.note{font-size:12px;color:#6b7280;margin-top:6px}
.sources{font-size:12px;color:#4b5563;margin-top:6px;overflow-wrap:anywhere}
.sources a{color:inherit;text-decoration:underline}
.bad .note{color:#b91c1c}
.typing{display:flex;gap:4px;padding:6px 0}
.typing i{width:6px;height:6px;border-radius:3px;background:#9ca3af;animation:cw-blink 1.2s infinite}
.typing i:nth-child(2){animation-delay:.2s}
.typing i:nth-child(3){animation-delay:.4s}
@keyframes cw-blink{0%,80%,100%{opacity:.3}40%{opacity:1}}
.rate{display:flex;gap:2px;margin-top:6px}
.rate button{width:28px;height:28px;border-radius:6px;color:#9ca3af;display:inline-flex;align-items:center;justify-content:center}
.rate svg{width:16px;height:16px;fill:currentColor}
.rate button[aria-pressed=true]{color:var(--cw-primary);background:#eef2ff}
.starters{display:flex;flex-wrap:wrap;gap:6px;padding:0 16px 10px;background:#f9fafb}
.starters button{border:1px solid var(--cw-primary);color:var(--cw-primary);background:#fff;border-radius:16px;padding:6px 12px;font-size:13px}
.alert{padding:8px 16px;font-size:13px;background:#fef2f2;color:#991b1b;display:flex;gap:8px;align-items:center}
.alert button{text-decoration:underline;font-weight:600}
.composer{display:flex;align-items:flex-end;gap:8px;padding:10px 12px;border-top:1px solid #e5e7eb;background:#fff}
.composer textarea{flex:1;resize:none;font:inherit;font-size:14px;line-height:20px;color:#111827;background:#fff;border:1px solid #d1d5db;border-radius:10px;padding:9px 12px;height:40px;max-height:120px;outline:none}
.composer textarea:focus{border-color:var(--cw-primary)}
.send{height:40px;padding:0 14px;border-radius:10px;background:var(--cw-primary);color:var(--cw-on-primary);font-weight:600}
.send:disabled{opacity:.5;cursor:default}
.lead{padding:12px 16px;border-top:1px solid #e5e7eb;background:#fff;display:flex;flex-direction:column;gap:8px}
.lead input{font:inherit;font-size:14px;border:1px solid #d1d5db;border-radius:8px;padding:8px 10px;color:#111827;background:#fff}
.lead .send{align-self:flex-end}
.lead p{font-size:13px}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:480px),(pointer:coarse) and (max-device-width:480px){
.cw .panel{left:var(--cw-left,0px);right:auto;bottom:auto;top:var(--cw-top,0px);width:calc(var(--cw-width,100%)/(var(--cw-scale,1)));height:calc(var(--cw-height,100%)/(var(--cw-scale,1)));max-height:none;border-radius:0;transform:scale(calc(var(--cw-scale,1)));transform-origin:0 0}
.composer textarea,.lead input{font-size:16px}
.open .launcher{display:none}
}
@media (prefers-reduced-motion:reduce){.cw *{animation:none !important;transition:none !important}}
"#;
