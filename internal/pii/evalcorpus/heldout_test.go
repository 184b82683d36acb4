package evalcorpus

import "testing"

// TestHeldOut scores the detectors on the hand-written held-out corpus
// (heldout.go) and names every miss and every false finding by document
// and line, so a failure says which rule did not generalise.
func TestHeldOut(t *testing.T) {
	scoreHeldOut(t, HeldOut())
}
