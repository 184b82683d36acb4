package evalcorpus

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/sightline-dev/sightline/internal/extract/docgen"
)

// Formats are the file formats Render writes, each as a file name suffix.
var Formats = []string{"txt", "utf16.txt", "log.gz", "zip", "tar", "csv", "json", "ndjson", "xlsx", "docx", "pptx", "pdf"}

// Render writes a document in a format: its entries as lines, cells,
// records, paragraphs, slides or pages, so each planted value stays whole.
// The file name is the document's base name plus the format suffix.
func Render(d Doc, format string) (string, []byte, error) {
	base := strings.TrimSuffix(d.Name, ".txt")
	name := base + "." + format
	var b bytes.Buffer
	var err error
	switch format {
	case "txt":
		b.Write(d.Text)
	case "utf16.txt":
		_ = binary.Write(&b, binary.LittleEndian, uint16(0xfeff))
		for _, u := range utf16.Encode([]rune(string(d.Text))) {
			_ = binary.Write(&b, binary.LittleEndian, u)
		}
	case "log.gz":
		zw := gzip.NewWriter(&b)
		_, _ = zw.Write(d.Text)
		err = zw.Close()
	case "zip":
		zw := zip.NewWriter(&b)
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: "export/" + base + ".log", Method: zip.Deflate, Modified: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
		_, _ = w.Write(d.Text)
		err = zw.Close()
	case "tar":
		tw := tar.NewWriter(&b)
		_ = tw.WriteHeader(&tar.Header{Name: "var/log/" + base + ".log", Mode: 0o644, Size: int64(len(d.Text)), ModTime: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
		_, _ = tw.Write(d.Text)
		err = tw.Close()
	case "csv":
		cw := csv.NewWriter(&b)
		_ = cw.Write([]string{"id", "note"})
		for i, e := range d.Entries {
			_ = cw.Write([]string{fmt.Sprint(i + 1), e})
		}
		cw.Flush()
		err = cw.Error()
	case "json":
		type rec struct {
			ID   int    `json:"id"`
			Note string `json:"note"`
		}
		recs := make([]rec, len(d.Entries))
		for i, e := range d.Entries {
			recs[i] = rec{i + 1, e}
		}
		err = json.NewEncoder(&b).Encode(map[string]any{"records": recs})
	case "ndjson":
		enc := json.NewEncoder(&b)
		for i, e := range d.Entries {
			if err = enc.Encode(map[string]any{"id": i + 1, "note": e}); err != nil {
				break
			}
		}
	case "xlsx":
		rows := [][]string{{"id", "note"}}
		for i, e := range d.Entries {
			rows = append(rows, []string{fmt.Sprint(i + 1), e})
		}
		err = docgen.WriteXLSX(&b, map[string][][]string{"Export": rows})
	case "docx":
		err = docgen.WriteDOCX(&b, d.Entries)
	case "pptx":
		var slides [][]string
		for i := 0; i < len(d.Entries); i += 20 {
			slides = append(slides, d.Entries[i:min(i+20, len(d.Entries))])
		}
		err = docgen.WritePPTX(&b, slides)
	case "pdf":
		var pages []string
		for i := 0; i < len(d.Entries); i += 40 {
			pages = append(pages, strings.Join(d.Entries[i:min(i+40, len(d.Entries))], "\n"))
		}
		err = docgen.WritePDF(&b, pages)
	default:
		return "", nil, fmt.Errorf("unknown format %q", format)
	}
	return name, b.Bytes(), err
}
