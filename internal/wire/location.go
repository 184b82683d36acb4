package wire

import (
	"strings"
	"unicode/utf8"
)

// locationMark stands for the part of a location FitLocation leaves out:
// "/…/", escaped as FileLocation escapes.
const locationMark = "/%E2%80%A6/"

// FitLocation shortens a location longer than a record may hold (a path
// thousands of levels deep, names escaped three bytes for one, an archive
// member's 64 KiB name), which would make the collector refuse the whole
// batch holding it: it keeps the first KiB and the end (the file's name and
// nearest directories) up to the limit, cut at '/' where there is one,
// with locationMark between. The asset id stays that of the whole location.
func FitLocation(loc string) (string, bool) {
	if len(loc) <= MaxStringLen {
		return loc, false
	}
	head := loc[:1<<10]
	if i := strings.LastIndexByte(head, '/'); i > len("file://") {
		head = head[:i]
	}
	head = cutRunes(head, len(head))
	tail := loc[len(loc)-(MaxStringLen-len(head)-len(locationMark)):]
	if i := strings.IndexByte(tail, '/'); i >= 0 {
		tail = tail[i+1:]
	} else {
		tail = tail[len(tail)-len(cutRunes(tail, 0)):]
	}
	return head + locationMark + tail, true
}

// cutRunes returns s[:n] backed off to a rune's start when n > 0, or s
// from its first rune's start (and past any %XX escape cut) when n is 0.
func cutRunes(s string, n int) string {
	if n > 0 {
		for n < len(s) && n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		return s[:n]
	}
	i := 0
	for i < len(s) && (!utf8.RuneStart(s[i]) || (i > 0 && s[i-1] == '%') || (i > 1 && s[i-2] == '%')) {
		i++
	}
	return s[i:]
}
