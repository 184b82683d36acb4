package benchrun

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name, line string
		want       time.Duration
		err        string
	}{
		{"plain", "42 (clickhouse-serv) S 1 42 42 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 40 0 100 0 0", 2800 * time.Millisecond, ""},
		{"name with spaces and parens", "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5 0 0", 30 * time.Millisecond, ""},
		{"no name", "7 a R 1", 0, "no command name"},
		{"too short", "7 (a) R 1 2 3", 0, "want at least 13"},
		{"not a number", "7 (a) R 1 7 7 0 -1 0 0 0 0 0 x 2 0", 0, "not a tick count"},
		{"negative", "7 (a) R 1 7 7 0 -1 0 0 0 0 0 -5 2 0", 0, "not a tick count"},
		{"overflows a duration", "7 (a) R 1 7 7 0 -1 0 0 0 0 0 922337203685477580 2 0", 0, "not a tick count"},
		{"sum overflows", "7 (a) R 1 7 7 0 -1 0 0 0 0 0 600000000000 600000000000 0", 0, "not a tick count"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStat(tc.line)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add("42 (clickhouse-serv) S 1 42 42 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 40 0 100 0 0")
	f.Add("7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 1 2 0")
	f.Add(")")
	f.Fuzz(func(t *testing.T, line string) {
		d, err := parseStat(line)
		if err == nil {
			require.GreaterOrEqual(t, d, time.Duration(0))
		}
	})
}

// The readers work on this machine's own /proc.
func TestProcessCPUOfSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	d, err := ProcessCPU(os.Getpid())
	require.NoError(t, err)
	require.GreaterOrEqual(t, d, time.Duration(0))
	_, err = ProcessCPU(-1)
	require.Error(t, err)
	busy, total, err := MachineCPU()
	require.NoError(t, err)
	require.Positive(t, total)
	require.LessOrEqual(t, busy, total)
}

func TestReadPID(t *testing.T) {
	dir := t.TempDir()
	good, bad := dir+"/good.pid", dir+"/bad.pid"
	require.NoError(t, os.WriteFile(good, []byte(" 1234\n"), 0o600))
	require.NoError(t, os.WriteFile(bad, []byte("nope"), 0o600))
	pid, err := ReadPID(good)
	require.NoError(t, err)
	require.Equal(t, 1234, pid)
	_, err = ReadPID(bad)
	require.ErrorContains(t, err, "holds no pid")
	_, err = ReadPID(dir + "/missing.pid")
	require.ErrorContains(t, err, "reading the pid file")
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.txt")
	require.NoError(t, WriteFile(p, func(w *bufio.Writer) error {
		_, err := w.WriteString("hello\n")
		return err
	}))
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Equal(t, "hello\n", string(b))

	boom := errors.New("fill failed")
	require.ErrorIs(t, WriteFile(p, func(*bufio.Writer) error { return boom }), boom)
	require.Error(t, WriteFile(filepath.Join(dir, "missing", "f.txt"), func(*bufio.Writer) error { return nil }))
}
