package safeio

import (
	"errors"
	"strings"
)

// errBadName refuses a name StatAt or OpenAt would resolve through another
// directory: it must be one component of a directory listing.
var errBadName = errors.New("not a single file name (empty, \".\", \"..\" or holding a separator)")

// errNoIdentity refuses an OpenAt whose seen FileInfo tells no device and
// inode to compare with.
var errNoIdentity = errors.New("the file seen has no device and inode to compare with")

// checkName accepts a name as a directory listing gives it.
func checkName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
		return errBadName
	}
	return nil
}
