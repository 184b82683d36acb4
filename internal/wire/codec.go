package wire

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// MaxLineBytes bounds one NDJSON line. A pii record with its full token list
// is about 4 KiB; anything near this bound is not a record.
const MaxLineBytes = 1 << 20

// LineError names the 1-based line of a batch and, when known, the field that
// made it invalid.
type LineError struct {
	Line  int
	Field string
	Err   error
}

func (e *LineError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("line %d: field %q: %v", e.Line, e.Field, e.Err)
	}
	return fmt.Sprintf("line %d: %v", e.Line, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }

// Decoder reads records from an NDJSON stream one line at a time, so memory
// stays bounded by the longest line, not the batch.
type Decoder struct {
	r    *bufio.Reader
	line int
	buf  []byte
}

// NewDecoder returns a decoder reading from r.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{r: bufio.NewReaderSize(r, 64<<10)}
}

// Line is the number of the last line read (1-based).
func (d *Decoder) Line() int { return d.line }

// Decode reads the next non-blank line into rec and validates it. It returns
// io.EOF at the end of the stream and a *LineError for a bad line.
func (d *Decoder) Decode(rec *Record) error {
	for {
		line, err := d.readLine()
		if err != nil {
			return err
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		// Most lines take the fast path (fastDecode, held to encoding/json's
		// reading by a fuzz test); the rest — escapes, null, odd numbers,
		// unknown keys, bad lines — go through encoding/json itself, whose
		// errors name the field. (goccy/go-json, used here before, read
		// invalid UTF-8 and keys in another case differently.)
		*rec = Record{}
		if fastDecode(line, rec) {
			return d.validate(rec)
		}
		*rec = Record{}
		if err := json.Unmarshal(line, rec); err != nil {
			return d.jsonError(line, err)
		}
		return d.validate(rec)
	}
}

// validate checks a decoded record, naming the line and field.
func (d *Decoder) validate(rec *Record) error {
	if err := rec.Validate(); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			return &LineError{Line: d.line, Field: fe.Field, Err: errors.New(fe.Msg)}
		}
		return &LineError{Line: d.line, Err: err}
	}
	return nil
}

func (d *Decoder) readLine() ([]byte, error) {
	d.buf = d.buf[:0]
	for {
		chunk, err := d.r.ReadSlice('\n')
		d.buf = append(d.buf, chunk...)
		if len(d.buf) > MaxLineBytes {
			d.line++
			return nil, &LineError{Line: d.line, Err: fmt.Errorf("line longer than %d bytes", MaxLineBytes)}
		}
		switch {
		case err == nil:
			d.line++
			return d.buf, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(d.buf) == 0 {
				return nil, io.EOF
			}
			d.line++
			return d.buf, nil
		default:
			return nil, fmt.Errorf("reading line %d: %w", d.line+1, err)
		}
	}
}

// jsonError turns encoding/json's errors into a LineError that names the
// field when the decoder knows it. The message never quotes the line: a
// malformed line could hold anything.
func (d *Decoder) jsonError(line []byte, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &LineError{Line: d.line, Field: te.Field, Err: fmt.Errorf("want a JSON %s, got %s", te.Type, te.Value)}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &LineError{Line: d.line, Err: fmt.Errorf("malformed JSON at byte %d: %v", se.Offset, se)}
	}
	var pe *time.ParseError
	if errors.As(err, &pe) || strings.Contains(err.Error(), "Time.UnmarshalJSON") {
		return &LineError{Line: d.line, Field: badTimeField(line), Err: errors.New("want an RFC 3339 time such as 2026-11-01T10:00:00Z")}
	}
	return &LineError{Line: d.line, Err: errors.New("malformed record")}
}

// timeFields are the record's time-valued keys.
var timeFields = []string{"observed_at", "modified_at", "last_login", "password_last_set", "started_at", "finished_at"}

// badTimeField finds which time field of a line does not parse (time
// errors from encoding/json do not say, and quote the value instead).
func badTimeField(line []byte) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(line, &m) != nil {
		return ""
	}
	for _, f := range timeFields {
		raw, ok := m[f]
		if !ok || string(raw) == "null" {
			continue
		}
		var t time.Time
		if t.UnmarshalJSON(raw) != nil {
			return f
		}
	}
	return ""
}

// Encoder writes records as NDJSON: each record as encoding/json writes it
// with HTML escaping off (appendRecord), then a newline.
type Encoder struct {
	w   io.Writer
	buf []byte
}

// NewEncoder returns an encoder writing to w. Each Encode is one Write call,
// so a line is never interleaved with another writer's output.
func NewEncoder(w io.Writer) *Encoder { return &Encoder{w: w} }

// Encode writes rec as one line.
func (e *Encoder) Encode(rec *Record) error {
	line, err := appendLine(e.buf[:0], rec)
	if err != nil {
		return err
	}
	e.buf = line
	_, err = e.w.Write(line)
	return err
}

// Marshal returns rec as one NDJSON line including its newline.
func Marshal(rec *Record) ([]byte, error) { return appendLine(nil, rec) }

func appendLine(b []byte, rec *Record) ([]byte, error) {
	b, err := appendRecord(b, rec)
	if err != nil {
		return nil, fmt.Errorf("encoding %s record: %w", rec.Kind, err)
	}
	return append(b, '\n'), nil
}
