package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/version"
)

func TestDispatch(t *testing.T) {
	var got []string
	cmd := func(_ context.Context, args []string, stdout, _ io.Writer) error {
		got = args
		_, err := io.WriteString(stdout, "ran")
		return err
	}
	failing := func(context.Context, []string, io.Writer, io.Writer) error { return errors.New("boom") }
	cmds := map[string]Command{
		"do":   cmd,
		"fail": failing,
		"grp":  Group("USAGE\n", "want: grp sub", map[string]Command{"sub": cmd}),
	}
	for _, tc := range []struct {
		name, stdout, stderr, err string
		args, got                 []string
	}{
		{name: "no command", args: nil, stderr: "USAGE\n", err: "missing command"},
		{name: "command gets the rest", args: []string{"do", "-x", "y"}, stdout: "ran", got: []string{"-x", "y"}},
		{name: "command error", args: []string{"fail"}, err: "boom"},
		{name: "version", args: []string{"--version"}, stdout: "prog " + version.Version + "\n"},
		{name: "help on stdout", args: []string{"help"}, stdout: "USAGE\n"},
		{name: "unknown", args: []string{"nope"}, stderr: "USAGE\n", err: `unknown command "nope"`},
		{name: "subcommand", args: []string{"grp", "sub", "z"}, stdout: "ran", got: []string{"z"}},
		{name: "missing subcommand", args: []string{"grp"}, stderr: "USAGE\n", err: "want: grp sub"},
		{name: "unknown subcommand", args: []string{"grp", "other"}, stderr: "USAGE\n", err: "want: grp sub"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got = nil
			var stdout, stderr bytes.Buffer
			err := Dispatch(context.Background(), "prog", "USAGE\n", tc.args, &stdout, &stderr, cmds)
			if tc.err == "" {
				require.NoError(t, err)
			} else {
				require.EqualError(t, err, tc.err)
			}
			require.Equal(t, tc.stdout, stdout.String())
			require.Equal(t, tc.stderr, stderr.String())
			require.Equal(t, tc.got, got)
		})
	}
}

func TestFlagSetReturnsErrors(t *testing.T) {
	var stderr bytes.Buffer
	fs := FlagSet("scan x", &stderr)
	var s Strings
	fs.Var(&s, "path", "repeatable")
	require.NoError(t, fs.Parse([]string{"--path", "a", "--path", "b"}))
	require.Equal(t, Strings{"a", "b"}, s)
	require.Equal(t, "a,b", s.String())
	require.Error(t, fs.Parse([]string{"--bogus"}))
	require.Contains(t, stderr.String(), "flag provided but not defined: -bogus")
}
