// Package examples holds the example rule files, their rule tests, events
// and webhook payloads, embedded so that the console's playground offers
// the very files the README walks through.
package examples

import "embed"

// Files holds rules/ (rule files and their tests), events/ (events as
// dry-run reads them), payloads/ (raw webhook bodies) and seeds/.
//
//go:embed rules events payloads seeds
var Files embed.FS
