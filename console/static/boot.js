// Starts the console: the strict CSP allows no inline script, so this is a file of its own.
import init from "./CORE.js";
init({ module_or_path: "/console/CORE_bg.wasm" });
