package objscan

import (
	"crypto/sha256"
	"errors"
	"fmt"
)

// Paging guards one listing (buckets, objects) against an endpoint that
// would never end it or would make it hold ever more: a page token seen
// before, one longer than any store gives, or too many pages in a row
// with nothing in them. Only tokens' hashes are kept, so a page's items
// and its token are let go with it. The zero value is ready.
type Paging struct {
	seen  map[[32]byte]bool
	empty int
}

// Limits of Paging. Real tokens are a few hundred bytes (a key is at most
// 1,024 characters), and each is sent back in a URL; a store may answer
// an empty page now and then (a filtered listing), never a thousand in a
// row.
const (
	MaxPageToken  = 16 << 10
	MaxEmptyPages = 1000
)

// ErrPaging is in every error Paging returns: the listing was stopped.
var ErrPaging = errors.New("listing stopped")

// ErrRepeatedToken is a listing whose endpoint repeats a page token.
var ErrRepeatedToken = fmt.Errorf("the server repeated a page token (continuation marker); %w", ErrPaging)

// Next records a page of items things with next page token ("" on the
// last page) and says whether the listing may go on; an error ends it.
func (p *Paging) Next(token string, items int) error {
	if items == 0 {
		p.empty++
		if p.empty >= MaxEmptyPages {
			return fmt.Errorf("the server answered %d pages in a row with nothing in them; %w", p.empty, ErrPaging)
		}
	} else {
		p.empty = 0
	}
	if len(token) > MaxPageToken {
		return fmt.Errorf("a page token (continuation marker) of %d bytes, over %d KiB: not a storage service's answer; %w", len(token), MaxPageToken>>10, ErrPaging)
	}
	if token == "" {
		return nil
	}
	h := sha256.Sum256([]byte(token))
	if p.seen == nil {
		p.seen = map[[32]byte]bool{}
	}
	if p.seen[h] {
		return ErrRepeatedToken
	}
	p.seen[h] = true
	return nil
}
