package wire

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode/utf8"
)

// locationMark stands for the part of a location FitLocation leaves out:
// "/…/", escaped as FileLocation escapes, with a hash of the whole
// location inside ("/…3fa2…/"): asset ids are derived from the location
// a record carries (AssetID), so two locations shortened alike (a zip's
// members whose 64 KiB names differ only in the middle) must stay two.
const (
	locationMarkOpen  = "/%E2%80%A6"
	locationMarkClose = "/"
	locationHashLen   = 16 // hex digits: 64 bits of SHA-256
	locationMarkLen   = len(locationMarkOpen) + locationHashLen + len(locationMarkClose)
)

// FitLocation shortens a location longer than a record may hold (a path
// thousands of levels deep, names escaped three bytes for one, an archive
// member's 64 KiB name), which would make the collector refuse the whole
// batch holding it: it keeps the first KiB and the end (the file's name and
// nearest directories) up to the limit, cut at '/' where there is one,
// with locationMark between.
func FitLocation(loc string) (string, bool) {
	if len(loc) <= MaxStringLen {
		return loc, false
	}
	// The head ends before a rune's start and not inside a %XX escape
	// (cut judged on loc: the byte after the cut says where a rune starts).
	n := 1 << 10
	for n > 0 && !cutsCleanly(loc, n) {
		n--
	}
	head := loc[:n]
	if i := strings.LastIndexByte(head, '/'); i > len("file://") {
		head = head[:i]
	}
	tail := loc[len(loc)-(MaxStringLen-len(head)-locationMarkLen):]
	if i := strings.IndexByte(tail, '/'); i >= 0 {
		tail = tail[i+1:]
	} else {
		k := len(loc) - len(tail)
		for k < len(loc) && !cutsCleanly(loc, k) {
			k++
		}
		tail = loc[k:]
	}
	sum := sha256.Sum256([]byte(loc))
	return head + locationMarkOpen + hex.EncodeToString(sum[:locationHashLen/2]) + locationMarkClose + tail, true
}

// cutsCleanly reports whether s may be cut before byte n: at a rune's
// start and not inside a %XX escape.
func cutsCleanly(s string, n int) bool {
	return n == 0 || n == len(s) || utf8.RuneStart(s[n]) && s[n-1] != '%' && (n < 2 || s[n-2] != '%')
}
