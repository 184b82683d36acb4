package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store/storetest"
)

// TestKeysRotateCommand: `keys rotate` is refused while a collector of the
// database serves, works once it stopped, and the collector starts again
// with the rotated key file.
func TestKeysRotateCommand(t *testing.T) {
	db := storetest.Open(t).Database()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "collector.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf("listen: 127.0.0.1:0\nkey_file: %s\nclickhouse:\n  addr: %s\n  database: %s\n",
		filepath.Join(dir, "keys.json"), storetest.Addr(t), db)), 0o600))

	serve := func() (stop func()) {
		log := &logBuffer{}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- run(ctx, []string{"serve", "--config", cfg}, io.Discard, log) }()
		log.waitFor(t, listening, 1)
		return func() { cancel(); require.NoError(t, <-done) }
	}
	rotate := func() (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), []string{"keys", "rotate", "--config", cfg}, &out, io.Discard)
		return out.String(), err
	}

	stop := serve()
	_, err := rotate()
	require.ErrorContains(t, err, "stop every collector")
	stop()

	out, err := rotate()
	require.NoError(t, err)
	require.Contains(t, out, "from key generation 1 to 2")
	require.Contains(t, out, "copy "+filepath.Join(dir, "keys.json"))

	serve()()
	require.ErrorContains(t, run(context.Background(), []string{"keys", "spin"}, io.Discard, io.Discard), "keys rotate")
}
