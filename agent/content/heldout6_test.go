package content

import (
	"testing"

	"github.com/sightline-dev/sightline/internal/pii/evalcorpus"
)

// TestHeldOut6Files reads the sixth round's files (Hibernate, redis and
// Cisco configs, a shell history, an auth log, SOAP, a plist, a LaTeX CV,
// an AD Export-Csv, a fixed-width export, an OCR'd passport with its MRZ,
// a ConfigMap embedding .properties, TOML, tables inside JSON,
// SpreadsheetML, letters in six languages, an .odt, an .ods, a compressed
// PDF, Latin-1 and BOM CSVs, a multipart e-mail with a CSV attachment)
// through the format readers and scores each type by its count per file.
func TestHeldOut6Files(t *testing.T) {
	scoreHeldOutFiles(t, evalcorpus.HeldOut6Files())
}
