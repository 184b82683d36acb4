// Package cli is what the project's commands share on their command line:
// how they start and fail, how a program picks its subcommand (with
// version and help), and how a subcommand's flags report errors.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/sightline-dev/sightline/internal/version"
)

// Main runs fn with a context that ends on SIGINT or SIGTERM and exits 1
// with "name: error" on stderr when it fails.
func Main(name string, fn func(ctx context.Context) error) {
	MainWith(name, func(parent context.Context) (context.Context, func()) {
		return signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	}, fn)
}

// MainWith is Main for a program that stops on signals its own way:
// watch returns the context fn runs under and a func that stops watching.
func MainWith(name string, watch func(context.Context) (context.Context, func()), fn func(ctx context.Context) error) {
	ctx, stop := watch(context.Background())
	err := fn(ctx)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

// Command is a (sub)command: it gets the arguments after its name.
type Command func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// Dispatch runs program's command named by args[0]. "version" (also
// --version, -version) prints "program version"; "help" (-h, --help)
// prints usage on stdout. No command or an unknown one prints usage on
// stderr and is an error.
func Dispatch(ctx context.Context, program, usage string, args []string, stdout, stderr io.Writer, cmds map[string]Command) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("missing command")
	}
	if cmd, ok := cmds[args[0]]; ok {
		return cmd(ctx, args[1:], stdout, stderr)
	}
	switch args[0] {
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, program, version.Version)
		return nil
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// Group is a command made of subcommands (token create, token list…): a
// missing or unknown subcommand prints usage on stderr and is the error
// want, which says what is accepted.
func Group(usage, want string, cmds map[string]Command) Command {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		if len(args) > 0 {
			if cmd, ok := cmds[args[0]]; ok {
				return cmd(ctx, args[1:], stdout, stderr)
			}
		}
		fmt.Fprint(stderr, usage)
		return errors.New(want)
	}
}

// FlagSet returns a subcommand's flag set: parse errors are returned, not
// fatal, and usage goes to stderr.
func FlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// Strings is a repeatable string flag: each use appends a value.
type Strings []string

func (s *Strings) String() string     { return strings.Join(*s, ",") }
func (s *Strings) Set(v string) error { *s = append(*s, v); return nil }
