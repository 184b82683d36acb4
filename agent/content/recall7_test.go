package content

import (
	"testing"

	"github.com/sightline-dev/sightline/internal/pii/evalcorpus"
)

// TestRecall7Files reads the seventh round's check files (residence
// phrases in prose in six languages, lower-case codici fiscali, French
// "Prénoms" labels, each with decoys; recall7.go) through the format
// readers: precision and recall 0.97 per type.
func TestRecall7Files(t *testing.T) {
	scoreHeldOutFiles(t, evalcorpus.Recall7Files())
}
