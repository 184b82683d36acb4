package fsscan

import (
	"context"
	"io/fs"
	"sync"

	"github.com/sightline-dev/sightline/agent/content"
)

// maxLinked bounds the hard-linked files whose findings a scan keeps for
// their other links (until all of them are met); past it, a link of a
// file not kept is read again (as before links were known), so memory
// stays bounded whatever the tree.
const maxLinked = 4096

// linkKey is a file's content as of its stat: inode, size and change.
type linkKey struct {
	dev, ino uint64
	size     int64
	mtime    int64
}

// linkRead is one hard-linked file's read, shared by its links.
type linkRead struct {
	done    chan struct{} // closed when members is set
	members []content.Member
	ok      bool   // read to an answer (not cancelled)
	left    uint64 // links not yet met (guarded by links.mu)
}

// links reads a file with several hard links once per scan: a farm of
// 10,000 links to one 100 MB file is 100 MB read, not 1 TB. Each link is
// still reported, with the findings of the one read. Safe for the workers.
type links struct {
	mu sync.Mutex
	m  map[linkKey]*linkRead
}

func newLinks() *links { return &links{m: map[linkKey]*linkRead{}} }

// claim returns the read of info's file: first is true when the caller is
// to read it (then it must call finish), false when another link's read
// is (or was) under way; nil, false when info's file has one link or the
// scan keeps no more.
func (l *links) claim(info fs.FileInfo) (r *linkRead, first bool) {
	key, nlink, ok := linkKeyOf(info)
	if !ok {
		return nil, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if r := l.m[key]; r != nil {
		// Every link met: its findings are not kept for more.
		if r.left--; r.left == 0 {
			delete(l.m, key)
		}
		return r, false
	}
	if len(l.m) >= maxLinked {
		return nil, false
	}
	r = &linkRead{done: make(chan struct{}), left: nlink - 1}
	l.m[key] = r
	return r, true
}

// finish hands the members read to the file's other links.
func (r *linkRead) finish(members []content.Member, ok bool) {
	r.members, r.ok = members, ok
	close(r.done)
}

// wait returns the members of the link read, once read; ok is false when
// that read did not come to an answer or ctx ended first.
func (r *linkRead) wait(ctx context.Context) ([]content.Member, bool) {
	select {
	case <-r.done:
		return r.members, r.ok
	case <-ctx.Done():
		return nil, false
	}
}
