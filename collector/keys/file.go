package keys

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// DefaultPath is where the collector keeps its key file unless the config
// says otherwise (key_file).
const DefaultPath = "/var/lib/sightline-collector/keys.json"

// maxFileSize bounds what is read of a key file (a real one is ~250 bytes).
const maxFileSize = 64 << 10

// ErrNoKeyFile is wrapped when the key file does not exist.
var ErrNoKeyFile = errors.New("key file does not exist")

// ReadFile loads a key file, refusing one that group or others may read.
func ReadFile(path string) (*Keys, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoKeyFile, path)
	}
	if errors.Is(err, fs.ErrPermission) {
		return nil, fmt.Errorf("opening key file: %w; it must belong to the user the collector runs as (was it created by `migrate` run as another user? chown it)", err)
	}
	if err != nil {
		return nil, fmt.Errorf("opening key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading key file %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("key file %s is not a regular file", path)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("key file %s is readable by group or others (mode %04o): it holds the keys that protect stored tokens; run `chmod 600 %s`", path, fi.Mode().Perm(), path)
	}
	if fi.Size() > maxFileSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrBadKeyFile, path, maxFileSize)
	}
	b := make([]byte, fi.Size())
	if _, err := f.ReadAt(b, 0); err != nil && fi.Size() > 0 {
		return nil, fmt.Errorf("reading key file %s: %w", path, err)
	}
	k, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w; restore it from your backup", path, err)
	}
	return k, nil
}

// CreateFile writes k to path, mode 0600, atomically and without ever
// replacing an existing file: the content goes to a temporary file opened
// with O_EXCL, is synced, then linked to path (link, unlike rename, fails
// when path exists). It reports fs.ErrExist when path was there first;
// the caller then reads that file instead.
func CreateFile(path string, k *Keys) error {
	tmp, err := writeTemp(path, k)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("key file %s: %w", path, fs.ErrExist)
		}
		return fmt.Errorf("installing key file %s: %w", path, err)
	}
	syncDir(filepath.Dir(path))
	return nil
}

// ReplaceFile writes k over the key file at path, atomically: a reader (or
// a crash) sees the old content or the new, never a mix. Key rotation
// uses it; the old file's content is gone once it returns.
func ReplaceFile(path string, k *Keys) error {
	tmp, err := writeTemp(path, k)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("replacing key file %s: %w", path, err)
	}
	syncDir(filepath.Dir(path))
	return nil
}

// writeTemp writes k, mode 0600 and synced, to a new temporary file next
// to path and returns its name.
func writeTemp(path string, k *Keys) (string, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating the key file's directory %s: %w", dir, err)
	}
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", fmt.Errorf("creating key file: %w", err)
	}
	tmp := filepath.Join(dir, "."+filepath.Base(path)+".tmp-"+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("creating key file %s: %w", tmp, err)
	}
	_, err = f.Write(k.Marshal())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("writing key file %s: %w", tmp, err)
	}
	return tmp, nil
}

// syncDir makes a new name in dir survive a crash.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
