package pii

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The incremental state's fingerprint changes with the phone numbering
// plan and with the custom definitions, so a change of either makes the
// next scan read every file again.
func TestVersionOfNamesRegionAndDefinitions(t *testing.T) {
	defs := []Definition{{ID: "employee_id", Category: "personal", Pattern: `EMP-\d{6}`, Confidence: "high"}}
	withDefs := func(d Detector) Detector {
		c, err := WithCustom(d, defs)
		require.NoError(t, err)
		return c
	}
	versions := map[string]string{
		"default":    VersionOf(NewDefault()),
		"DE":         VersionOf(NewDefaultIn("DE")),
		"FR":         VersionOf(NewDefaultIn("FR")),
		"custom":     VersionOf(withDefs(NewDefault())),
		"custom, DE": VersionOf(withDefs(NewDefaultIn("DE"))),
		"custom, FR": VersionOf(withDefs(NewDefaultIn("FR"))),
	}
	require.Equal(t, "", versions["default"], "the built-in set keeps the fingerprint states had before")
	seen := map[string]string{}
	for name, v := range versions {
		require.NotContains(t, seen, v, "%s and %s share a version", name, seen[v])
		seen[v] = name
	}
	require.Equal(t, versions["DE"], VersionOf(NewDefaultIn("de")), "the region as given in any case")
}
