// Command sightline-init does the two steps a Kubernetes pod of Sightline
// needs before its program starts, in images that have no shell:
//
//	sightline-init copy-secret --from FILE --to FILE
//	    copies a mounted Secret's file to a file of mode 0600 owned by the
//	    running user. The kubelet makes Secret files group-readable for the
//	    pod's fsGroup, and the collector refuses a key file group or others
//	    may read (SECURITY.md).
//	sightline-init unless-exists FILE -- PROGRAM [ARG…]
//	    runs PROGRAM unless FILE exists: an agent enrolls once per node and
//	    keeps its identity when its pod is replaced.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/sightline-dev/sightline/internal/limitread"
)

// maxSecretBytes bounds what copy-secret reads (a key file is ~500 bytes).
const maxSecretBytes = 1 << 20

func main() {
	code, err := run(os.Args[1:], os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sightline-init:", err)
	}
	os.Exit(code)
}

const usage = `usage:
  sightline-init copy-secret --from FILE --to FILE
  sightline-init unless-exists FILE -- PROGRAM [ARG...]
`

// run returns the exit code: PROGRAM's own for unless-exists.
func run(args []string, stdout, stderr io.Writer) (int, error) {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2, errors.New("missing command")
	}
	switch args[0] {
	case "copy-secret":
		fl := flag.NewFlagSet("copy-secret", flag.ContinueOnError)
		fl.SetOutput(stderr)
		from := fl.String("from", "", "the mounted Secret's file")
		to := fl.String("to", "", "the copy (mode 0600)")
		if err := fl.Parse(args[1:]); err != nil {
			return 2, err
		}
		if *from == "" || *to == "" || fl.NArg() > 0 {
			return 2, errors.New("want: copy-secret --from FILE --to FILE")
		}
		if err := copySecret(*from, *to); err != nil {
			return 1, err
		}
		return 0, nil
	case "unless-exists":
		if len(args) < 4 || args[2] != "--" {
			return 2, errors.New("want: unless-exists FILE -- PROGRAM [ARG...]")
		}
		return unlessExists(args[1], args[3:], stdout, stderr)
	default:
		fmt.Fprint(stderr, usage)
		return 2, fmt.Errorf("unknown command %q", args[0])
	}
}

// copySecret writes from's content to to, mode 0600, through a new file in
// to's directory renamed over it, so a reader never sees half a file.
func copySecret(from, to string) error {
	f, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("reading the secret: %w (is the Secret mounted, with the key the chart expects?)", err)
	}
	defer f.Close()
	tooLarge := fmt.Errorf("the secret %s is larger than %d bytes", from, maxSecretBytes)
	data, err := limitread.All(f, maxSecretBytes, tooLarge)
	if errors.Is(err, tooLarge) {
		return err
	}
	if err != nil {
		return fmt.Errorf("reading the secret %s: %w", from, err)
	}
	if len(data) == 0 {
		return fmt.Errorf("the secret %s is empty", from)
	}
	tmp, err := os.CreateTemp(filepath.Dir(to), ".copy-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", to, err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", to, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", to, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", to, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", to, err)
	}
	if err := os.Rename(tmp.Name(), to); err != nil {
		return fmt.Errorf("writing %s: %w", to, err)
	}
	return nil
}

// unlessExists runs argv when path does not exist and returns its exit
// code; 0 at once when path exists.
func unlessExists(path string, argv []string, stdout, stderr io.Writer) (int, error) {
	_, err := os.Lstat(path)
	if err == nil {
		fmt.Fprintf(stdout, "%s exists: not running %s\n", path, argv[0])
		return 0, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return 1, fmt.Errorf("checking %s: %w", path, err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, stdout, stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), fmt.Errorf("%s failed: %w", argv[0], err)
	}
	if err != nil {
		return 1, fmt.Errorf("running %s: %w", argv[0], err)
	}
	return 0, nil
}
