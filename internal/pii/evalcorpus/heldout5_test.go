package evalcorpus

import "testing"

// TestHeldOut5 scores the detectors alone on the fifth held-out corpus's
// plain-text documents (heldout5.go: discharge letters in German and
// Dutch, a W-2, a dcmdump header, nginx, CEF/LEEF and Kubernetes audit
// logs, and a decoy file).
func TestHeldOut5(t *testing.T) {
	scoreHeldOut(t, HeldOut5())
}
