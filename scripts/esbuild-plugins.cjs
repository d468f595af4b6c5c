// @ts-check
/**
 * esbuild plugins for the Lambda bundles (serverless.yml custom.esbuild.plugins; serverless-esbuild
 * require()s this file, hence CommonJS).
 *
 * without-pdf-standard-fonts: the functions read PDFs with pdf-lib (page count, encryption:
 * src/documents/inspect.ts) and never draw text into one, yet pdf-lib's module graph imports the metrics
 * of the 14 standard PDF fonts (@pdf-lib/standard-fonts/es/Font.js: ~130 KB of compressed data, a third
 * of OcrBatch's zip), used only when a font is embedded. This plugin loads Font.js without them: the 14
 * imports become empty variables and `Font.load` throws an error that says why. Like webpack's
 * IgnorePlugin, which esbuild does not have. The build fails if Font.js no longer has the 14 imports.
 * test/unit/template/package-after-invoke.test.ts checks that a bundle built this way still inspects PDFs.
 */
const { readFile } = require('node:fs/promises');

const FONT_MODULE = /[\\/]@pdf-lib[\\/]standard-fonts[\\/]es[\\/]Font\.js$/;
const METRICS_IMPORT = /^import (\w+) from '\.\/[\w-]+\.compressed\.json';$/gm;
const STANDARD_FONTS = 14;

/** @type {import('esbuild').Plugin} */
const withoutPdfStandardFonts = {
  name: 'without-pdf-standard-fonts',
  setup(build) {
    build.onLoad({ filter: FONT_MODULE }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const found = source.match(METRICS_IMPORT) ?? [];
      if (found.length !== STANDARD_FONTS) {
        throw new Error(`${args.path}: expected ${STANDARD_FONTS} font metric imports, found ${found.length}; update scripts/esbuild-plugins.cjs`);
      }
      const message =
        "pdf-lib's standard font metrics are left out of doctrain's Lambda bundles (scripts/esbuild-plugins.cjs): the functions read PDFs and never embed a font";
      const contents = `${source.replace(METRICS_IMPORT, 'var $1;')}
Font.load = function (fontName) { throw new Error(${JSON.stringify(message)} + ' (' + fontName + ')'); };
`;
      return { contents, loader: 'js' };
    });
  },
};

/**
 * without-pdf-png-embedding: pdf-lib decodes PNGs with @pdf-lib/upng only to embed an image into a PDF
 * (pdf-lib/es/utils/png.js), which the functions never do. The import resolves to a stub whose use throws
 * an error that says why (~25 KB less in each bundle that reads PDFs; OcrBatch's zip stays under 350 KB).
 */
/** @type {import('esbuild').Plugin} */
const withoutPdfPngEmbedding = {
  name: 'without-pdf-png-embedding',
  setup(build) {
    build.onResolve({ filter: /^@pdf-lib\/upng$/ }, () => ({ path: 'upng', namespace: 'doctrain-stub' }));
    build.onLoad({ filter: /^upng$/, namespace: 'doctrain-stub' }, () => {
      const message =
        "pdf-lib's PNG decoder is left out of doctrain's Lambda bundles (scripts/esbuild-plugins.cjs): the functions read PDFs and never embed an image";
      const fail = `function () { throw new Error(${JSON.stringify(message)}); }`;
      return { contents: `export default { decode: ${fail}, toRGBA8: ${fail} };`, loader: 'js' };
    });
  },
};

module.exports = [withoutPdfStandardFonts, withoutPdfPngEmbedding];
