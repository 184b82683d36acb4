package content

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"path"
	"strings"
	"unicode/utf8"
)

// mailKind reports whether a stream is an Internet message (RFC 5322 with
// MIME parts): by its name (.eml, .mbox, .mht) or by a first line that is
// a header field of one and a MIME-Version header in the head.
func mailKind(name string, head []byte) bool {
	switch path.Ext(strings.ToLower(strings.TrimSuffix(strings.ToLower(name), ".gz"))) {
	case ".eml", ".mbox", ".mbx", ".emlx", ".mht", ".mhtml":
		return true
	}
	nl := bytes.IndexByte(head, '\n')
	if nl < 0 {
		return false
	}
	first := bytes.ToLower(head[:nl])
	for _, h := range []string{"return-path:", "received:", "from:", "delivered-to:", "mime-version:", "message-id:", "date:", "x-"} {
		if bytes.HasPrefix(first, []byte(h)) {
			return bytes.Contains(bytes.ToLower(head), []byte("\nmime-version:")) || bytes.HasPrefix(first, []byte("mime-version:"))
		}
	}
	return false
}

// mimeText is a reader of a message's text: header fields with their
// encoded words decoded, and each text part's body decoded from
// quoted-printable or base64 (and from Latin-1 when it is not UTF-8).
// Parts that are not text (images, PDFs, archives) are left out.
type mimeText struct {
	br  *bufio.Reader
	out bytes.Buffer
	err error

	header     bool   // in a header block
	hdr        []byte // the header field being read (with its folds)
	ctype, cte string // of the part whose header is being read
	boundary   string
	bounds     []string // open multipart boundaries, innermost last
	// The body being read.
	enc  string // "quoted-printable", "base64" or ""
	text bool
	b64  []byte
	qp   []byte
	// prevEmpty: the line before was empty (an mbox's "From " line
	// follows one).
	prevEmpty bool
	wd        mime.WordDecoder

	// An attached file of a format with its own reader (a CSV, a
	// workbook, a PDF, an archive) is held decoded, not read as the
	// message's text, and read as a member after it (attachments).
	disposition string
	collect     bool
	file        string
	data        []byte
	attachments []mailAttachment
	held        int      // bytes held in attachments
	tooBig      []string // attachments over maxBuffered, not opened
}

// mailAttachment is an attached file, decoded.
type mailAttachment struct {
	name string
	data []byte
}

func newMimeText(r io.Reader) *mimeText {
	return &mimeText{br: bufio.NewReaderSize(r, 64<<10), header: true}
}

func (m *mimeText) Read(p []byte) (int, error) {
	for m.out.Len() == 0 && m.err == nil {
		line, err := m.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			err = nil // a long line is read in pieces
		}
		if len(line) > 0 {
			m.line(bytes.TrimRight(line, "\r\n"))
		}
		if err != nil {
			m.flushHeader()
			if !m.header {
				m.endBody()
			}
			m.err = err
		}
	}
	if m.out.Len() > 0 {
		return m.out.Read(p)
	}
	return 0, m.err
}

// line reads one line of the message.
func (m *mimeText) line(l []byte) {
	empty := m.prevEmpty
	m.prevEmpty = len(l) == 0
	if empty && mboxFrom(l) && !m.header {
		// An mbox's next message: its own header follows.
		m.endBody()
		m.bounds, m.enc, m.text = m.bounds[:0], "", false
		m.header, m.ctype, m.cte, m.disposition = true, "", "", ""
		m.out.Write(l)
		m.out.WriteByte('\n')
		return
	}
	if bytes.HasPrefix(l, []byte("--")) && len(m.bounds) > 0 {
		for i := len(m.bounds) - 1; i >= 0; i-- {
			b := m.bounds[i]
			if !bytes.HasPrefix(l[2:], []byte(b)) {
				continue
			}
			rest := l[2+len(b):]
			m.endBody()
			if bytes.HasPrefix(rest, []byte("--")) {
				m.bounds = m.bounds[:i] // the multipart ends
				m.enc, m.text = "", false
				return
			}
			m.bounds = m.bounds[:i+1]
			m.header, m.ctype, m.cte, m.disposition = true, "", "", ""
			return
		}
	}
	if m.header {
		m.headerLine(l)
		return
	}
	if m.collect {
		m.collectLine(l)
		return
	}
	if !m.text {
		return
	}
	switch m.enc {
	case "quoted-printable":
		soft := bytes.HasSuffix(l, []byte("="))
		if soft {
			l = l[:len(l)-1]
		}
		// A character's bytes may straddle a soft break: the decoded
		// line is written whole.
		if len(m.qp) < 64<<10 {
			m.qp = append(m.qp, qpDecode(l)...)
		}
		if !soft {
			m.write(m.qp)
			m.out.WriteByte('\n')
			m.qp = m.qp[:0]
		}
	case "base64":
		for _, c := range l {
			if c != ' ' && c != '\t' {
				m.b64 = append(m.b64, c)
			}
		}
		n := len(m.b64) / 4 * 4
		if n >= 4<<10 {
			m.decode64(m.b64[:n])
			m.b64 = append(m.b64[:0], m.b64[n:]...)
		}
	default:
		m.out.Write(l)
		m.out.WriteByte('\n')
	}
}

// headerLine reads one line of a header block; an empty line ends it.
func (m *mimeText) headerLine(l []byte) {
	if len(l) > 0 && (l[0] == ' ' || l[0] == '\t') && len(m.hdr) > 0 {
		if len(m.hdr) < 16<<10 {
			m.hdr = append(m.hdr, l...)
		}
		return
	}
	m.flushHeader()
	if len(l) == 0 {
		m.header = false
		m.enc = strings.ToLower(strings.TrimSpace(m.cte))
		mt, params, err := mime.ParseMediaType(m.ctype)
		if m.ctype == "" || err != nil {
			mt = "text/plain"
		}
		m.text = strings.HasPrefix(mt, "text/") || strings.HasPrefix(mt, "message/") || mt == "application/json" ||
			mt == "application/xml"
		m.file, m.collect = attachmentName(m.disposition, params["name"]), false
		if m.file != "" && !strings.HasPrefix(mt, "multipart/") && !strings.HasPrefix(mt, "message/") && ownReader(mt, m.file) {
			m.collect, m.text, m.data = true, false, m.data[:0]
		}
		if strings.HasPrefix(mt, "multipart/") && params["boundary"] != "" && len(m.bounds) < 16 {
			m.bounds = append(m.bounds, params["boundary"])
			m.text = false
		}
		if mt == "message/rfc822" {
			m.header, m.ctype, m.cte, m.disposition = true, "", "", "" // an attached message: its own header follows
		}
		m.out.WriteByte('\n')
		return
	}
	m.hdr = append(m.hdr[:0], l...)
}

// flushHeader writes the header field read so far, encoded words
// decoded, and notes the part's type and transfer encoding.
func (m *mimeText) flushHeader() {
	if len(m.hdr) == 0 {
		return
	}
	h := string(m.hdr)
	m.hdr = m.hdr[:0]
	name, val, _ := strings.Cut(h, ":")
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "content-type":
		m.ctype = strings.TrimSpace(val)
	case "content-transfer-encoding":
		m.cte = val
	case "content-disposition":
		m.disposition = strings.TrimSpace(val)
	}
	if dec, err := m.wd.DecodeHeader(h); err == nil {
		h = dec
	}
	m.out.WriteString(h)
	m.out.WriteByte('\n')
}

// attachmentName is an attached file's name: the Content-Disposition's
// filename, else the Content-Type's name; "" for none or an unsafe one.
func attachmentName(disposition, typeName string) string {
	name := typeName
	if _, p, err := mime.ParseMediaType(disposition); err == nil && p["filename"] != "" {
		name = p["filename"]
	}
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	if name == "." || name == "/" || len(name) > 255 {
		return ""
	}
	return name
}

// ownReader reports whether an attachment of type mt named file has a
// reader of its own: a structured text (CSV, JSON, XML), an Office
// document, a PDF or an archive, as its name or type says. Plain text
// stays the message's text; images, audio and video hold no text.
func ownReader(mt, file string) bool {
	if structuredKind(file, "") != "" {
		return true
	}
	switch path.Ext(strings.ToLower(file)) {
	case ".xlsx", ".docx", ".pptx", ".odt", ".ods", ".odp", ".pdf", ".zip", ".gz", ".tgz", ".tar":
		return true
	}
	switch mt {
	case "application/pdf", "application/zip", "application/gzip", "application/x-gzip":
		return true
	}
	return false
}

// collectLine adds one line of an attachment's body, decoded.
func (m *mimeText) collectLine(l []byte) {
	if m.held+len(m.data) > maxBuffered {
		return // reported when the part ends
	}
	switch m.enc {
	case "base64":
		for _, c := range l {
			if c != ' ' && c != '\t' {
				m.b64 = append(m.b64, c)
			}
		}
		if n := len(m.b64) / 4 * 4; n >= 4<<10 {
			if dst, err := base64.StdEncoding.AppendDecode(m.data, m.b64[:n]); err == nil {
				m.data = dst
			}
			m.b64 = append(m.b64[:0], m.b64[n:]...)
		}
	case "quoted-printable":
		soft := bytes.HasSuffix(l, []byte("="))
		if soft {
			l = l[:len(l)-1]
		}
		m.data = append(m.data, qpDecode(l)...)
		if !soft {
			m.data = append(m.data, '\n')
		}
	default:
		m.data = append(append(m.data, l...), '\n')
	}
}

// endAttachment keeps the attachment whose part ended.
func (m *mimeText) endAttachment() {
	if len(m.b64) > 0 {
		if dst, err := base64.StdEncoding.AppendDecode(m.data, m.b64); err == nil {
			m.data = dst
		}
		m.b64 = m.b64[:0]
	}
	switch {
	case m.held+len(m.data) > maxBuffered:
		m.tooBig = append(m.tooBig, m.file)
	case len(m.data) > 0:
		m.attachments = append(m.attachments, mailAttachment{name: m.file, data: append([]byte(nil), m.data...)})
		m.held += len(m.data)
	}
	m.collect, m.data = false, m.data[:0]
}

// endBody decodes what is left of a base64 body.
func (m *mimeText) endBody() {
	if m.collect {
		m.endAttachment()
		return
	}
	if len(m.qp) > 0 {
		m.write(m.qp)
		m.qp = m.qp[:0]
	}
	if len(m.b64) > 0 {
		m.decode64(m.b64)
		m.b64 = m.b64[:0]
	}
	m.out.WriteByte('\n')
}

func (m *mimeText) decode64(b []byte) {
	dst := make([]byte, base64.StdEncoding.DecodedLen(len(b)))
	n, err := base64.StdEncoding.Decode(dst, b)
	if err != nil {
		return // not base64 after all
	}
	m.write(dst[:n])
}

// write adds decoded body bytes, read as Latin-1 when not UTF-8.
func (m *mimeText) write(b []byte) {
	if utf8.Valid(b) {
		m.out.Write(b)
		return
	}
	for _, c := range b {
		m.out.WriteRune(rune(c))
	}
}

// qpDecode decodes one quoted-printable line (without its soft break).
func qpDecode(l []byte) []byte {
	if bytes.IndexByte(l, '=') < 0 {
		return l
	}
	out := make([]byte, 0, len(l))
	for i := 0; i < len(l); i++ {
		if l[i] == '=' && i+2 < len(l) && isHex(l[i+1]) && isHex(l[i+2]) {
			out = append(out, unhex(l[i+1])<<4|unhex(l[i+2]))
			i += 2
			continue
		}
		out = append(out, l[i])
	}
	return out
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f' }

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// mboxFrom reports whether a line is an mbox separator:
// "From sender@host Thu Dec  3 10:14:22 2026".
func mboxFrom(l []byte) bool {
	if !bytes.HasPrefix(l, []byte("From ")) {
		return false
	}
	f := bytes.Fields(l[5:])
	return len(f) >= 4 && (bytes.IndexByte(f[0], '@') > 0 || bytes.Equal(f[0], []byte("MAILER-DAEMON")))
}
