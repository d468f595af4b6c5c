'use strict';
/**
 * The tesseract.js worker thread, with leptonica's messages kept off the terminal. Leptonica (the image
 * library inside the wasm core) reports what it gives up on ("Error in boxClipToRectangle: box outside
 * rectangle", "Error in pixScanForForeground: invalid box", common in layout analysis of real scans) with
 * fprintf(stderr), which the core sends to console.error; tesseract's own diagnostics already go to
 * `debug_file` (/dev/null, see ocr.ts). The core binds console.error when it is first loaded, which is after
 * this file has replaced it. Anything that is not a leptonica message still reaches stderr.
 */
const LEPTONICA_MESSAGE = /^(Error|Warning|Info) in [A-Za-z0-9_]+: /;
const writeError = console.error.bind(console);
console.error = (...args) => {
  if (typeof args[0] === 'string' && LEPTONICA_MESSAGE.test(args[0])) return;
  writeError(...args);
};
require('tesseract.js/src/worker-script/node/index.js');
