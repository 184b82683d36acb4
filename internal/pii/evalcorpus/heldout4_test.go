package evalcorpus

import "testing"

// TestHeldOut4 scores the detectors on the fourth held-out corpus's
// plain-text documents (heldout4.go: RFC 5424 syslog, letters in five
// languages, a decoy-heavy developer note).
func TestHeldOut4(t *testing.T) {
	scoreHeldOut(t, HeldOut4())
}
