// Package browsertests holds no code: its sub-directories are the plugins'
// tests in real browsers (Chromium, Firefox, WebKit), kept out of the
// plugins' modules so that their go.mod files require no browser tooling.
package browsertests
