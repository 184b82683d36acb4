package content

import (
	"testing"

	"github.com/sightline-dev/sightline/internal/pii/evalcorpus"
)

// TestHeldOut5Files reads the fifth round's files (SEPA pain.001 and
// camt.053, MT940, bank CSVs in three locales, password-manager and
// browser exports, SQLite/phpMyAdmin/pg_dump dumps, payroll exports with
// local headers, HL7 CDA, dcmdump, discharge letters, nginx/CEF/LEEF/
// journald/CloudTrail/Kubernetes audit logs, decoys, an .xlsx with
// numbers and date serials and a .docx with tables) through the format
// readers and scores each type by its count per file.
func TestHeldOut5Files(t *testing.T) {
	scoreHeldOutFiles(t, evalcorpus.HeldOut5Files())
}
