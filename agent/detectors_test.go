package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// scan fs --detectors FILE runs the file's custom detectors beside the
// built-in ones; a bad file stops the scan with the field named.
func TestScanFSWithDetectorsFile(t *testing.T) {
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	require.NoError(t, os.MkdirAll(tree, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(tree, "staff.csv"),
		[]byte("name,employee_no,email\nAnn,EMP-123456,ann@example.com\nBob,EMP-654321,bob@example.org\n"), 0o644))
	defs := filepath.Join(dir, "detectors.json")
	require.NoError(t, os.WriteFile(defs, []byte(`{"detectors":[{"id":"employee_id","category":"personal",
		"pattern":"\\bEMP-\\d{6}\\b","context_words":["employee"],"confidence":"high"}]}`), 0o600))
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"scan", "fs", "--path", tree, "--detectors", defs}, &out, &errOut), errOut.String())
	require.Contains(t, out.String(), `"type":"employee_id","category":"personal","count":2,"distinct":2`)
	require.Contains(t, out.String(), `"type":"email"`)
	require.NotContains(t, out.String(), "123456", "masked: the last two characters only")

	require.NoError(t, os.WriteFile(defs, []byte(`[{"id":"employee_id","category":"personal","pattern":"(x)\\1"}]`), 0o600))
	err := run(context.Background(), []string{"scan", "fs", "--path", tree, "--detectors", defs}, &out, &errOut)
	require.ErrorContains(t, err, "detectors[0].pattern")
}
