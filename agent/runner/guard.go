package runner

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/sightline-dev/sightline/internal/wire"
)

// guard is the last check of each record before the spool: one the
// collector would refuse (a field past its bound, a line past
// wire.MaxLineBytes, whatever a scanner failed to bound) is not spooled,
// because the collector refuses the whole batch holding it and every
// other record in it would be lost. The scan's own record, last, says how
// many were dropped and the first reason, and is partial.
type guard struct {
	append  func(line []byte) error
	log     *slog.Logger
	dropped int
	first   string
}

func (g *guard) emit(rec *wire.Record) error {
	if rec.Kind == wire.KindScan && g.dropped > 0 {
		msg := fmt.Sprintf("%d records the collector would refuse were not shipped (the first: %s)", g.dropped, g.first)
		if len(rec.Errors) < wire.MaxErrors {
			rec.Errors = append(rec.Errors, msg)
		} else {
			rec.Errors[len(rec.Errors)-1] = msg
		}
		if rec.Status == wire.StatusOK {
			rec.Status = wire.StatusPartial
		}
	}
	line, err := wire.Marshal(rec)
	if err == nil {
		err = rec.Validate()
	}
	if err == nil && len(line) > wire.MaxLineBytes {
		err = fmt.Errorf("a line of %d bytes, over %d", len(line), wire.MaxLineBytes)
	}
	if err != nil {
		if rec.Kind == wire.KindScan {
			return err // the scan's record itself: the job says so
		}
		g.dropped++
		if g.first == "" {
			var fe *wire.FieldError
			if errors.As(err, &fe) {
				g.first = fmt.Sprintf("%s record: %s %s", rec.Kind, fe.Field, fe.Msg)
			} else {
				g.first = fmt.Sprintf("%s record: %v", rec.Kind, err)
			}
		}
		g.log.Warn("record not shipped: the collector would refuse it and its batch", "kind", rec.Kind, "error", err)
		return nil
	}
	return g.append(line)
}
