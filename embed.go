// Package nova embeds the Nova charts and profile values, so that
// nova-installer deploys without a checkout. Built chart dependencies
// (charts/*/charts) may be embedded too when present; loaders skip them and
// assemble dependencies from the embedded sibling charts instead.
package nova

import "embed"

// Charts holds charts/<name>/... for every chart of the suite.
//
//go:embed all:charts
var Charts embed.FS

// Profiles holds values/<profile>.yaml and the presets.
//
//go:embed values/*.yaml
var Profiles embed.FS
