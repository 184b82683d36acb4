package content

import (
	"testing"

	"github.com/sightline-dev/sightline/internal/pii/evalcorpus"
)

// TestHeldOut4Files reads the fourth round's files (MIME e-mail with
// quoted-printable and base64 parts, vCard, iCalendar, LDIF, HL7 v2,
// FHIR, MongoDB extended JSON, Terraform, kubeconfig, credential files,
// key files, a notebook, Windows event XML, European CSV, TSV, JSON
// lines, letters) through the format readers and scores each type by
// its count per file.
func TestHeldOut4Files(t *testing.T) {
	scoreHeldOutFiles(t, evalcorpus.HeldOut4Files())
}

// TestHeldOut4bFiles reads the check files written after the fourth
// round's fixes (mbox, vCard 2.1, Outlook CSV, HAR, PHP and Django
// settings, Ansible inventory, docker compose, a git patch, RTF,
// MLLP-framed HL7).
func TestHeldOut4bFiles(t *testing.T) {
	scoreHeldOutFiles(t, evalcorpus.HeldOut4bFiles())
}

// TestHeldOut4cFiles reads the second check set (name/value pairs,
// registry exports, unattend.xml, host files with hashes, a PostgreSQL
// log, Helm values).
func TestHeldOut4cFiles(t *testing.T) {
	scoreHeldOutFiles(t, evalcorpus.HeldOut4cFiles())
}
