// Package compresstest holds the browser test of plugins/compress: headless
// Chromium, Firefox and WebKit fetch Brotli- and gzip-coded JSON and HTML from a Covet app
// using the plugin and decodes them. It lives here, not in plugins/compress,
// so that the plugin's module does not require the browser-test module.
package compresstest
