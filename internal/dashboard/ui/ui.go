// Package ui holds the dashboard's web interface: static HTML, CSS and
// JavaScript modules, written without any third-party front-end library
// and without a build step, served exactly as they are stored here.
//
// index.html loads app.css and app.js; app.js imports the other modules.
// No file holds an inline script or style, as the dashboard's
// Content-Security-Policy forbids them.
package ui

import "embed"

// Files are the UI's static files (index.html, app.css, app.js, the other
// JavaScript modules and favicon.svg), at the root of the file system.
//
//go:embed index.html *.css *.js *.svg
var Files embed.FS
